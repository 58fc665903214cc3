# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The credential chain: options > env > INI profile > tccli JSON > CVM role (served by the emulator's metadata endpoint)."""

from __future__ import annotations

import json
import os
import time

import pytest
from ansible_collections.cloudcert.tencent.plugins.module_utils._chain import resolve_credentials
from ansible_collections.cloudcert.tencent.plugins.module_utils._client import connect
from ansible_collections.cloudcert.tencent.plugins.module_utils._credentials import (
    METADATA_URL,
    REFRESH_MARGIN,
    Credential,
    CvmRoleCredentials,
    StaticCredentials,
    metadata_base_url,
)
from ansible_collections.cloudcert.tencent.plugins.module_utils._errors import CredentialError
from ansible_collections.cloudcert.tencent.plugins.module_utils._ssl import SSL
from ansible_collections.cloudcert.tencent.tests.emulator import DEFAULT_METADATA_ROLE, Emulator

SECRET = "S3cr3t-K3y-must-never-show"
TOKEN = "t0k3n-must-never-show"


def _write_ini(home, text):
    path = home / ".tencentcloud" / "credentials"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return str(path)


def _write_tccli(home, data, profile="default"):
    path = home / ".tccli" / ("%s.credential" % profile)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return str(path)


def _resolve(options=None, env=None, home=None, **kwargs):
    return resolve_credentials(options or {}, env=env or {}, home=str(home) if home else "/nonexistent-home", **kwargs)


def _no_secret(text):
    assert SECRET not in text and TOKEN not in text, text


FULL_ENV = {"TENCENTCLOUD_SECRET_ID": "AKIDenv", "TENCENTCLOUD_SECRET_KEY": SECRET}


def test_options_first(tmp_path):
    _write_ini(tmp_path, "[default]\nsecret_id = AKIDini\nsecret_key = k\n")
    provider = _resolve({"secret_id": " AKIDopt ", "secret_key": SECRET, "security_token": TOKEN}, env=FULL_ENV, home=tmp_path)
    assert isinstance(provider, StaticCredentials) and not provider.refreshable
    cred = provider.get()
    assert (cred.secret_id, cred.secret_key, cred.token, cred.source) == ("AKIDopt", SECRET, TOKEN, "task options")
    assert provider.source == "task options"
    assert _resolve({"secret_id": "a", "secret_key": "b"}, option_source="Ansible variables").source == "Ansible variables"


@pytest.mark.parametrize("token_var", ["TENCENTCLOUD_SECURITY_TOKEN", "TENCENTCLOUD_TOKEN"])
def test_environment_second(tmp_path, token_var):
    _write_ini(tmp_path, "[default]\nsecret_id = AKIDini\nsecret_key = k\n")
    cred = _resolve(env=dict(FULL_ENV, **{token_var: TOKEN}), home=tmp_path).get()
    assert (cred.secret_id, cred.secret_key, cred.token, cred.source) == ("AKIDenv", SECRET, TOKEN, "environment")


def test_security_token_wins_over_token_env():
    cred = _resolve(env=dict(FULL_ENV, TENCENTCLOUD_SECURITY_TOKEN="first", TENCENTCLOUD_TOKEN="second")).get()
    assert cred.token == "first"


def test_ini_profile_third(tmp_path):
    path = _write_ini(tmp_path, "[default]\nsecret_id = AKIDini\nsecret_key = %s\ntoken = %s\n" % (SECRET, TOKEN))
    _write_tccli(tmp_path, {"secretId": "AKIDtccli", "secretKey": "k"})
    cred = _resolve(home=tmp_path, env={"TENCENTCLOUD_CVM_ROLE": "auto"}).get()
    assert (cred.secret_id, cred.secret_key, cred.token) == ("AKIDini", SECRET, TOKEN)
    assert cred.source == "profile file %s [default]" % path


def test_tccli_fourth(tmp_path):
    _write_ini(tmp_path, "[other]\nsecret_id = AKIDini\nsecret_key = k\n")
    path = _write_tccli(tmp_path, {"secretId": "AKIDtccli", "secretKey": SECRET, "token": TOKEN})
    cred = _resolve(home=tmp_path, options={"cvm_role": "auto"}).get()
    assert (cred.secret_id, cred.secret_key, cred.token, cred.source) == ("AKIDtccli", SECRET, TOKEN, "profile file %s" % path)


def test_cvm_role_last(tmp_path):
    provider = _resolve(home=tmp_path, options={"cvm_role": "my-role"}, env={"CLOUDCERT_TENCENT_METADATA_URL": "http://127.0.0.1:9/"})
    assert isinstance(provider, CvmRoleCredentials) and provider.refreshable
    assert provider.role == "my-role"
    assert provider.base_url == "http://127.0.0.1:9" + "/latest/meta-data/cam/security-credentials/"
    assert _resolve(env={"TENCENTCLOUD_CVM_ROLE": " auto "}).role == "auto"


def test_cvm_role_option_beats_env():
    assert _resolve(options={"cvm_role": "from-option"}, env={"TENCENTCLOUD_CVM_ROLE": "from-env"}).role == "from-option"


@pytest.mark.parametrize(
    "options, env, missing, names",
    [
        ({"secret_id": "AKIDopt"}, FULL_ENV, "secret_key is missing", "task options"),
        ({"secret_key": SECRET}, FULL_ENV, "secret_id is missing", "task options"),
        ({}, {"TENCENTCLOUD_SECRET_ID": "AKIDenv"}, "secret_key is missing", "TENCENTCLOUD_SECRET_KEY"),
        ({}, {"TENCENTCLOUD_SECRET_KEY": SECRET, "TENCENTCLOUD_TOKEN": TOKEN}, "secret_id is missing", "TENCENTCLOUD_SECRET_ID"),
    ],
)
def test_half_pairs_are_errors(options, env, missing, names):
    with pytest.raises(CredentialError) as caught:
        _resolve(options, env=env)
    assert missing in str(caught.value) and names in str(caught.value)
    _no_secret(str(caught.value))


def test_half_pair_in_ini(tmp_path):
    path = _write_ini(tmp_path, "[default]\nsecret_key = %s\n" % SECRET)
    with pytest.raises(CredentialError) as caught:
        _resolve(home=tmp_path)
    assert path in str(caught.value) and "secret_id is missing" in str(caught.value)
    _no_secret(str(caught.value))


def test_half_pair_in_tccli(tmp_path):
    path = _write_tccli(tmp_path, {"secretId": "AKIDtccli", "secretKey": ""})
    with pytest.raises(CredentialError) as caught:
        _resolve(home=tmp_path)
    assert path in str(caught.value) and "secret_key is missing" in str(caught.value)


def test_named_profile_from_option_and_env(tmp_path):
    _write_ini(tmp_path, "[default]\nsecret_id = AKIDdefault\nsecret_key = k\n\n[prod]\nsecret_id = AKIDprod\nsecret_key = k2\n")
    assert _resolve({"profile": "prod"}, home=tmp_path).get().secret_id == "AKIDprod"
    assert _resolve(env={"TENCENTCLOUD_PROFILE": "prod"}, home=tmp_path).get().secret_id == "AKIDprod"
    assert _resolve({"profile": "default"}, env={"TENCENTCLOUD_PROFILE": "prod"}, home=tmp_path).get().secret_id == "AKIDdefault"
    assert _resolve(home=tmp_path).get().secret_id == "AKIDdefault"


def test_named_tccli_profile(tmp_path):
    path = _write_tccli(tmp_path, {"secretId": "AKIDstage", "secretKey": "k"}, profile="stage")
    _write_tccli(tmp_path, {"secretId": "AKIDdefault", "secretKey": "k"})
    cred = _resolve({"profile": "stage"}, home=tmp_path).get()
    assert (cred.secret_id, cred.source) == ("AKIDstage", "profile file %s" % path)


def test_missing_named_profile_is_an_error(tmp_path):
    ini = _write_ini(tmp_path, "[default]\nsecret_id = AKIDdefault\nsecret_key = k\n")
    with pytest.raises(CredentialError) as caught:
        _resolve({"profile": "nope"}, home=tmp_path)
    message = str(caught.value)
    assert "'nope'" in message and ini in message and os.path.join(str(tmp_path), ".tccli", "nope.credential") in message


@pytest.mark.parametrize(
    "content, words",
    [
        ("secret_key = %s\nsecret_id = AKIDx\n" % SECRET, ["not valid INI", "MissingSectionHeaderError at line 1"]),
        ("[default]\nsecret_id = a\nsecret_id = b\n", ["not valid INI", "DuplicateOptionError at line 3"]),
        ("[default]\n  secret_key %s\n" % SECRET, ["not valid INI", "line 2"]),
        ("[default]\nsecret_id = a\n%s\n" % SECRET, ["not valid INI", "ParsingError at line 3"]),
        (b"[default]\nsecret_id = \xff\xfe\n", ["cannot be read", "not UTF-8"]),
    ],
)
def test_malformed_ini_names_the_file(tmp_path, content, words):
    path = tmp_path / ".tencentcloud" / "credentials"
    path.parent.mkdir(parents=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(CredentialError) as caught:
        _resolve(home=tmp_path)
    for word in words:
        assert word in str(caught.value)
    assert str(path) in str(caught.value)
    _no_secret(str(caught.value))


def test_unreadable_ini_names_the_file(tmp_path):
    path = tmp_path / ".tencentcloud" / "credentials"
    path.mkdir(parents=True)  # a directory where the file should be: unreadable even for root
    with pytest.raises(CredentialError) as caught:
        _resolve(home=tmp_path)
    assert "%s cannot be read" % path in str(caught.value)


@pytest.mark.parametrize(
    "content, word",
    [('{"secretId": "AKID", "secretKey": "%s"' % SECRET, "not valid JSON"), ("[1, 2]", "must hold a JSON object"), ("", "not valid JSON")],
)
def test_malformed_tccli_names_the_file(tmp_path, content, word):
    path = _write_tccli(tmp_path, content)
    with pytest.raises(CredentialError) as caught:
        _resolve(home=tmp_path)
    assert path in str(caught.value) and word in str(caught.value)
    _no_secret(str(caught.value))


def test_unreadable_tccli_names_the_file(tmp_path):
    path = tmp_path / ".tccli" / "default.credential"
    path.mkdir(parents=True)
    with pytest.raises(CredentialError) as caught:
        _resolve(home=tmp_path)
    assert "%s cannot be read" % path in str(caught.value)


def test_no_credentials_lists_every_place(tmp_path):
    with pytest.raises(CredentialError) as caught:
        _resolve(home=tmp_path)
    message = str(caught.value)
    for place in (
        "secret_id/secret_key options",
        "TENCENTCLOUD_SECRET_ID",
        "TENCENTCLOUD_SECRET_KEY",
        os.path.join(str(tmp_path), ".tencentcloud", "credentials"),
        os.path.join(str(tmp_path), ".tccli", "default.credential"),
        "CVM instance role",
        "cvm_role",
    ):
        assert place in message


def test_repr_never_shows_secrets():
    cred = Credential("AKIDx", SECRET, TOKEN, source="test")
    _no_secret(repr(cred))
    assert "AKIDx" in repr(cred) and "token=set" in repr(cred)
    assert "token=none" in repr(Credential("AKIDx", SECRET, source="test"))
    _no_secret(repr(StaticCredentials(cred)))
    assert not hasattr(cred, "__dict__")  # __slots__: no accidental vars() dump


# ---------------------------------------------------------------------------------------------------------------
# CVM role through the emulator's fake metadata service


def test_metadata_base_url():
    assert metadata_base_url({}) == METADATA_URL
    assert metadata_base_url({"CLOUDCERT_TENCENT_METADATA_URL": "http://127.0.0.1:8080"}) == "http://127.0.0.1:8080/latest/meta-data/cam/security-credentials/"
    assert metadata_base_url({"CLOUDCERT_TENCENT_METADATA_URL": "http://127.0.0.1:8080/"}) == "http://127.0.0.1:8080/latest/meta-data/cam/security-credentials/"
    assert metadata_base_url({"CLOUDCERT_TENCENT_METADATA_URL": " http://h/custom/path "}) == "http://h/custom/path/"


@pytest.fixture
def metadata_emulator():
    with Emulator(port=0, rate_limit=0) as emu:
        yield emu


def _role_provider(emu, role, **kwargs):
    return _resolve({"cvm_role": role}, env={"CLOUDCERT_TENCENT_METADATA_URL": emu.metadata_url}, **kwargs)


@pytest.mark.parametrize("role", ["auto", DEFAULT_METADATA_ROLE])
def test_cvm_role_keys_work_against_the_api(metadata_emulator, role):
    provider = _role_provider(metadata_emulator, role)
    assert provider.base_url == metadata_emulator.metadata_url
    cred = provider.get()
    assert cred.secret_id.startswith("AKID") and cred.secret_key and cred.token and cred.expires_at > time.time()
    assert provider.source == "CVM role %s" % DEFAULT_METADATA_ROLE
    _no_secret(repr(cred))
    assert cred.secret_key not in repr(cred) and cred.token not in repr(cred)
    client = connect(SSL, credentials=provider, endpoint=metadata_emulator.url, retries=0)
    try:
        assert client.call("DescribeCertificate", {"CertificateId": "NoRm0001"})["CertificateId"] == "NoRm0001"
    finally:
        client.close()


def test_cvm_role_token_failure_refreshes_once(metadata_emulator):
    provider = _role_provider(metadata_emulator, "auto")
    first = provider.get()
    # The emulator now considers these keys expired: the client must fetch new ones and try again.
    metadata_emulator.add_temp_key(first.secret_id, first.secret_key, first.token, expires=time.time() - 10)
    client = connect(SSL, credentials=provider, endpoint=metadata_emulator.url, retries=0)
    try:
        assert client.call("DescribeCertificate", {"CertificateId": "NoRm0001"})["CertificateId"] == "NoRm0001"
    finally:
        client.close()
    assert metadata_emulator.count(outcome="AuthFailure.TokenFailure") == 1
    assert metadata_emulator.count(outcome="ok") == 1
    assert provider.get().secret_id != first.secret_id


def test_cvm_role_auto_without_bound_role(metadata_emulator):
    metadata_emulator.configure(metadata_role=None)
    with pytest.raises(CredentialError) as caught:
        _role_provider(metadata_emulator, "auto").get()
    assert "no CAM role is bound" in str(caught.value) and "404" in str(caught.value)


def test_cvm_role_unknown_role_is_404(metadata_emulator):
    with pytest.raises(CredentialError) as caught:
        _role_provider(metadata_emulator, "not-my-role").get()
    assert "'not-my-role'" in str(caught.value) and "404" in str(caught.value)


def test_cvm_role_garbage(metadata_emulator):
    metadata_emulator.configure(metadata_garbage=True)
    with pytest.raises(CredentialError) as caught:
        _role_provider(metadata_emulator, "auto").get()
    assert "garbage" in str(caught.value) and "TmpSecretId" in str(caught.value)


def test_cvm_role_unreachable_metadata_service():
    with Emulator(port=0) as emu:
        url = emu.metadata_url
    with pytest.raises(CredentialError) as caught:
        _resolve({"cvm_role": "auto"}, env={"CLOUDCERT_TENCENT_METADATA_URL": url}).get()
    assert url in str(caught.value) and "CLOUDCERT_TENCENT_METADATA_URL" in str(caught.value)


def test_cvm_role_refreshes_before_expiry_with_a_fake_clock(metadata_emulator):
    now = [time.time()]
    provider = CvmRoleCredentials("auto", base_url=metadata_emulator.metadata_url, clock=lambda: now[0])
    first = provider.get()
    assert provider.get() is first  # cached
    now[0] = first.expires_at - REFRESH_MARGIN - 1
    assert provider.get() is first  # still more than the margin left
    now[0] = first.expires_at - REFRESH_MARGIN
    second = provider.get()
    assert second is not first and second.secret_id != first.secret_id
    now[0] = time.time()
    assert provider.get() is second
    third = provider.refresh()
    assert third.secret_id not in (first.secret_id, second.secret_id)


def test_metadata_session_ignores_proxies(metadata_emulator, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert _role_provider(metadata_emulator, "auto").get().token
