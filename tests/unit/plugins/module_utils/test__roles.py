# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Roles and web identity (STS) through the real client against the emulator's STS: what is sent, what signs the SSL
calls, how often STS is asked, refresh, and every refusal with its message."""

from __future__ import annotations

import json
import time
from urllib.parse import unquote

import pytest
from ansible_collections.cloudcert.tencent.plugins.module_utils import _chain
from ansible_collections.cloudcert.tencent.plugins.module_utils._credentials import Credential
from ansible_collections.cloudcert.tencent.plugins.module_utils._errors import ApiError, ConfigurationError, CredentialError, describe_failure
from ansible_collections.cloudcert.tencent.plugins.module_utils._gather import Request, gather
from ansible_collections.cloudcert.tencent.plugins.module_utils._options import build_client
from ansible_collections.cloudcert.tencent.plugins.module_utils._roles import needs_refresh, read_token_file
from ansible_collections.cloudcert.tencent.plugins.module_utils._sts import default_endpoint
from ansible_collections.cloudcert.tencent.tests.emulator import (
    DEMO_SECRET_ID,
    DEMO_SECRET_KEY,
    FIXTURE_IDS,
    PARTNER_EXTERNAL_ID,
    ROLE_NOBODY,
    ROLE_PARTNER,
    ROLE_POD,
    ROLE_READER,
    WEB_IDENTITY_TOKEN,
    Emulator,
)
from ansible_collections.cloudcert.tencent.tests.emulator.sts import fingerprint

KEYS = {"TENCENTCLOUD_SECRET_ID": DEMO_SECRET_ID, "TENCENTCLOUD_SECRET_KEY": DEMO_SECRET_KEY}


def _client(emu, env=None, **options):
    values = {"endpoint": emu.url, "sts_endpoint": emu.url, "timeout": 5.0, "retries": 2, "rate_limit": 100.0, "language": "en-US", "throttle_timeout": 5.0}
    values.update(options)
    return build_client(values, env=dict(env or {}), warn=lambda text: None)


def _ssl_ids(emu):
    return [entry["secret_id"] for entry in emu.requests if entry["action"].startswith("Describe")]


@pytest.fixture
def emu():
    with Emulator(port=0, rate_limit=0) as emulator:
        yield emulator


def test_a_key_pair_assumes_the_role_once_and_its_keys_sign_every_ssl_call(emu):
    client = _client(emu, env=KEYS, role_arn=ROLE_READER, role_session_name="nightly-audit", role_duration=3600)
    result = gather(client, Request.of({"certificate_ids": FIXTURE_IDS[:3] * 10}))
    assert len(result["certificates"]) == 30  # each id at each place it was asked for
    calls = emu.sts_calls("AssumeRole")
    assert len(calls) == 1
    call = calls[0]
    assert (call["role"], call["session_name"], call["duration"], call["base"]) == (ROLE_READER, "nightly-audit", 3600, DEMO_SECRET_ID)
    assert call["region"] == "ap-guangzhou"
    assert set(_ssl_ids(emu)) == {call["secret_id"]}
    assert client.credentials.source == "AssumeRole %s (base: environment)" % ROLE_READER


def test_thirty_certificates_concurrently_still_one_assume_role(emu):
    emu.configure(latency=0.05)
    client = _client(emu, env=KEYS, role_arn=ROLE_READER)
    gather(client, Request.of({"certificate_ids": FIXTURE_IDS * 6}))
    assert len(emu.sts_calls()) == 1


def test_external_id_and_policy_are_sent_as_the_api_wants(emu):
    policy = {"version": "2.0", "statement": [{"effect": "allow", "action": ["ssl:DescribeCertificate"], "resource": ["*"]}]}
    client = _client(emu, env=KEYS, role_arn=ROLE_PARTNER, role_external_id=PARTNER_EXTERNAL_ID, role_policy=json.dumps(policy))
    gather(client, Request.of({"certificate_ids": FIXTURE_IDS[:1]}))
    call = emu.sts_calls()[0]
    assert call["external_id"] == PARTNER_EXTERNAL_ID and call["policy"] == policy
    body = next(entry for entry in emu.requests if entry["action"] == "AssumeRole")["params"]
    assert json.loads(unquote(body["Policy"])) == policy and "%22" in body["Policy"]


@pytest.mark.parametrize(
    ("options", "code", "words"),
    [
        ({"role_arn": ROLE_PARTNER}, "UnauthorizedOperation", "trust policy"),
        ({"role_arn": ROLE_PARTNER, "role_external_id": "wrong-external-id"}, "UnauthorizedOperation", "role_external_id"),
        ({"role_arn": ROLE_NOBODY}, "UnauthorizedOperation", "sts:AssumeRole"),
        ({"role_arn": ROLE_POD}, "UnauthorizedOperation", "trust policy"),
        ({"role_arn": "qcs::cam::uin/100000000001:roleName/no-such-role"}, "ResourceNotFound.RoleNotFound", "no such role"),
        ({"role_arn": ROLE_READER, "role_policy": {"version": "2.0"}, "role_duration": 43200}, None, None),
    ],
)
def test_assume_role_refusals_name_the_action_code_and_role(emu, options, code, words):
    client = _client(emu, env=KEYS, **options)
    if code is None:
        gather(client, Request.of({"certificate_ids": FIXTURE_IDS[:1]}))
        return
    with pytest.raises(ApiError) as caught:
        gather(client, Request.of({"certificate_ids": FIXTURE_IDS[:2]}))
    message = describe_failure(caught.value)
    assert caught.value.code == code and caught.value.action == "AssumeRole"
    assert message.startswith("AssumeRole for role %s failed: " % options["role_arn"]) and words in message
    assert len(emu.sts_calls()) == 0 and not _ssl_ids(emu)
    assert emu.count("AssumeRole") == 1  # refused once: not once per certificate, not retried


def test_a_temporary_base_sends_its_token_and_a_cvm_role_chains(emu):
    client = _client(emu, env={"CLOUDCERT_TENCENT_METADATA_URL": emu.metadata_url}, cvm_role="auto", role_arn=ROLE_READER)
    gather(client, Request.of({"certificate_ids": FIXTURE_IDS[:1]}))
    call = emu.sts_calls()[0]
    assert call["base"].startswith("AKIDcloudcertTmp")  # the CVM role's temporary key, accepted only with its token
    assert client.credentials.source.startswith("AssumeRole %s (base: CVM role " % ROLE_READER)


def test_web_identity_from_a_token_file_is_unsigned_and_reread_at_refresh(emu, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("  %s\n" % WEB_IDENTITY_TOKEN)
    emu.configure(sts_ttl=302)  # refreshed once less than 300 s remain: after about 2 s
    client = _client(emu, web_identity_token_file=str(token_file), role_arn=ROLE_POD, sts_region="ap-singapore")
    gather(client, Request.of({"certificate_ids": FIXTURE_IDS[:1]}))
    rotated = WEB_IDENTITY_TOKEN + "-rotated"
    emu.add_web_identity_token(rotated)
    emu.revoke_web_identity_token(WEB_IDENTITY_TOKEN)
    token_file.write_text(json.dumps({"web_identity_token": rotated}))
    time.sleep(2.2)
    gather(client, Request.of({"certificate_ids": FIXTURE_IDS[:1]}))
    calls = emu.sts_calls("AssumeRoleWithWebIdentity")
    assert [call["token"] for call in calls] == [fingerprint(WEB_IDENTITY_TOKEN), fingerprint(rotated)]
    assert {call["region"] for call in calls} == {"ap-singapore"} and calls[0]["provider_id"] == "OIDC"
    assert client.credentials.source == "AssumeRoleWithWebIdentity (task options)"
    assert len(set(_ssl_ids(emu))) == 2


def test_the_tke_quartet_is_a_source_after_environment_keys(emu, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text(WEB_IDENTITY_TOKEN)
    tke = {"TKE_REGION": "ap-shanghai", "TKE_PROVIDER_ID": "OIDC", "TKE_WEB_IDENTITY_TOKEN_FILE": str(token_file), "TKE_ROLE_ARN": ROLE_POD}
    client = _client(emu, env=tke)
    gather(client, Request.of({"certificate_ids": FIXTURE_IDS[:1]}))
    assert client.credentials.source == "AssumeRoleWithWebIdentity (TKE environment)"
    assert emu.sts_calls()[0]["region"] == "ap-shanghai"
    with_keys = _client(emu, env=dict(tke, **KEYS))
    assert with_keys.credentials.source == "environment"
    partial = dict(tke)
    del partial["TKE_REGION"]
    with pytest.raises(CredentialError, match="TKE_REGION"):
        _client(emu, env=partial)


def test_task_options_with_a_key_pair_and_a_web_identity_are_refused(emu, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text(WEB_IDENTITY_TOKEN)
    with pytest.raises(CredentialError) as caught:
        _client(emu, secret_id=DEMO_SECRET_ID, secret_key=DEMO_SECRET_KEY, web_identity_token_file=str(token_file), role_arn=ROLE_POD)
    assert "secret_id" in str(caught.value) and "web_identity_token_file" in str(caught.value)


def test_a_refused_web_identity_names_its_code(emu):
    client = _client(emu, web_identity_token="not-a-token", role_arn=ROLE_POD)
    with pytest.raises(ApiError) as caught:
        gather(client, Request.of({"certificate_ids": FIXTURE_IDS[:1]}))
    assert caught.value.code == "InvalidParameter.WebIdentityTokenError"
    assert "web_identity_provider_id" in describe_failure(caught.value) and "not-a-token" not in describe_failure(caught.value)


def test_token_failure_on_ssl_refreshes_the_role_once(emu):
    client = _client(emu, env=KEYS, role_arn=ROLE_READER)
    emu.add_fault("token_failure", action="DescribeCertificate")
    gather(client, Request.of({"certificate_ids": FIXTURE_IDS[:1]}))
    assert len(emu.sts_calls()) == 2


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"role_duration": 0}, "role_duration"),
        ({"role_duration": 50000}, "role_duration"),
        ({"role_session_name": "x"}, "role_session_name"),
        ({"role_external_id": "a"}, "role_external_id"),
        ({"role_policy": "not json"}, "role_policy"),
        ({"role_arn": "arn:aws:iam::1:role/x"}, "role_arn"),
        ({"web_identity_token_file": "/nonexistent/token"}, "web_identity_token_file"),
        ({"sts_endpoint": "ftp://sts.example"}, "sts_endpoint"),
    ],
)
def test_bad_values_fail_before_any_call(emu, options, named):
    options.setdefault("role_arn", ROLE_READER)
    with pytest.raises(ConfigurationError) as caught:
        _client(emu, env=KEYS, **options)
    assert str(caught.value).startswith(named)
    assert emu.count() == 0


def test_environment_names_reach_the_chain(emu, tmp_path):
    env = dict(KEYS, TENCENTCLOUD_ROLE_ARN=ROLE_PARTNER, TENCENTCLOUD_ROLE_SESSION_NAME="from-tccli-env")
    env.update(TENCENTCLOUD_ASSUME_ROLE_EXTERNAL_ID=PARTNER_EXTERNAL_ID, TENCENTCLOUD_ASSUME_ROLE_SESSION_DURATION="900")
    gather(_client(emu, env=env), Request.of({"certificate_ids": FIXTURE_IDS[:1]}))
    call = emu.sts_calls()[0]
    assert (call["role"], call["session_name"], call["duration"], call["external_id"]) == (ROLE_PARTNER, "from-tccli-env", 900, PARTNER_EXTERNAL_ID)
    with pytest.raises(ConfigurationError, match="TENCENTCLOUD_ASSUME_ROLE_SESSION_DURATION"):
        _client(emu, env=dict(env, TENCENTCLOUD_ASSUME_ROLE_SESSION_DURATION="forever"))


def test_a_tccli_profile_names_its_role(emu, tmp_path):
    (tmp_path / ".tccli").mkdir()
    profile = {"secretId": DEMO_SECRET_ID, "secretKey": DEMO_SECRET_KEY, "role-arn": ROLE_READER, "role-session-name": "from-profile"}
    (tmp_path / ".tccli" / "default.credential").write_text(json.dumps(profile))
    values = {"endpoint": emu.url, "sts_endpoint": emu.url}

    provider = _chain.resolve_credentials(values, env={}, home=str(tmp_path))  # STS is called on first use only
    assert provider.source == "AssumeRole %s (base: profile file %s)" % (ROLE_READER, tmp_path / ".tccli" / "default.credential")
    assert provider.role.session_name == "from-profile"


def test_identity_is_stable_and_holds_no_secret(emu):
    client = _client(emu, env=KEYS, role_arn=ROLE_READER)
    before = client.credentials.identity
    gather(client, Request.of({"certificate_ids": FIXTURE_IDS[:1]}))
    client.credentials.refresh()
    assert client.credentials.identity == before and ROLE_READER in before
    assert DEMO_SECRET_KEY not in before and client.credentials.get().secret_id not in before


def test_refresh_rule_and_token_file_shapes(tmp_path):
    now = 1000.0
    fresh = Credential("a", "b", "t", source="s", expires_at=now + 7200, issued_at=now)
    assert not needs_refresh(fresh, now) and not needs_refresh(fresh, now + 6479) and needs_refresh(fresh, now + 6481)
    short = Credential("a", "b", "t", source="s", expires_at=now + 600, issued_at=now)
    assert not needs_refresh(short, now + 299) and needs_refresh(short, now + 301)
    for content in ("", "  \n", "{}", '{"web_identity_token": ""}'):
        (tmp_path / "t").write_text(content)
        with pytest.raises(CredentialError):
            read_token_file(str(tmp_path / "t"))


def test_default_sts_endpoint_follows_the_ssl_site():
    assert default_endpoint("ssl.intl.tencentcloudapi.com") == "sts.intl.tencentcloudapi.com"
    assert default_endpoint("https://ssl.tencentcloudapi.com") == "https://sts.tencentcloudapi.com"
    assert default_endpoint("http://127.0.0.1:8443") == "sts.tencentcloudapi.com"
