# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared options: validation messages, and the doc fragment, argspec and env names agreeing with each other."""

from __future__ import annotations

import re

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible_collections.cloudcert.tencent.plugins.doc_fragments._connection import ModuleDocFragment
from ansible_collections.cloudcert.tencent.plugins.module_utils import _chain, _credentials
from ansible_collections.cloudcert.tencent.plugins.module_utils._environment import ENV_VARS, KEY_OPTIONS, LATE_BOUND, SECRET_OPTIONS, VAR_NAMES
from ansible_collections.cloudcert.tencent.plugins.module_utils._errors import ConfigurationError, CredentialError
from ansible_collections.cloudcert.tencent.plugins.module_utils._options import (
    OPTION_NAMES,
    build_client,
    connection_argument_spec,
    validate,
)
from ansible_collections.cloudcert.tencent.plugins.module_utils._ssl import DEFAULT_ENDPOINT, LANGUAGES

DOC = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
PLUGINS = yaml.safe_load(ModuleDocFragment.PLUGINS)["options"]
GOOD = {"timeout": 15.0, "rate_limit": 10.0, "retries": 5, "language": "en-US", "ca_path": None}
ENV_NAME = re.compile(r"E\(([A-Z0-9_]+)\)")


def _documented_env(option):
    """Env names given in the option's "Environment variable(s) ..." description lines."""
    names = []
    for line in DOC[option]["description"]:
        if line.startswith("Environment variable"):
            names.extend(ENV_NAME.findall(line))
    return names


@pytest.mark.parametrize(
    "change, option",
    [
        ({"timeout": 0}, "timeout"),
        ({"timeout": -1.5}, "timeout"),
        ({"timeout": None}, "timeout"),
        ({"rate_limit": 0}, "rate_limit"),
        ({"rate_limit": -1}, "rate_limit"),
        ({"rate_limit": None}, "rate_limit"),
        ({"retries": -1}, "retries"),
        ({"retries": None}, "retries"),
        ({"language": "fr-FR"}, "language"),
        ({"language": None}, "language"),
        ({"ca_path": "/nonexistent/ca.pem"}, "ca_path"),
    ],
)
def test_validate_names_the_option(change, option):
    with pytest.raises(ConfigurationError) as caught:
        validate(dict(GOOD, **change))
    assert str(caught.value).startswith(option + ":")
    if option != "ca_path":
        assert repr(change[option]) in str(caught.value)


def test_validate_accepts_good_values(tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("pem")
    for language in LANGUAGES:
        validate(dict(GOOD, language=language))
    validate(dict(GOOD, retries=0, rate_limit=0.5, timeout=0.01, ca_path=str(bundle)))


def test_argspec_names_equal_fragment_names():
    spec = connection_argument_spec()
    assert set(spec) == set(DOC) == set(PLUGINS) == set(OPTION_NAMES) == set(VAR_NAMES)
    assert len(OPTION_NAMES) == len(set(OPTION_NAMES))


@pytest.mark.parametrize("option", OPTION_NAMES)
def test_argspec_mirrors_fragment(option):
    spec, doc = connection_argument_spec()[option], DOC[option]
    assert spec["type"] == doc["type"]
    assert spec.get("default") == doc.get("default")
    assert spec.get("choices") == doc.get("choices")
    assert sorted(spec.get("aliases", [])) == sorted(doc.get("aliases", []))
    assert bool(spec.get("no_log")) is (option in SECRET_OPTIONS)
    if option == "secret_id":
        assert spec["no_log"] is False  # looks like a secret, is not one: explicit


@pytest.mark.parametrize("option", OPTION_NAMES)
def test_env_names_documented_from_the_table(option):
    """The docs are static text: they must name exactly the table's variables, and the lookup's ``env:``
    sources must leave out the late-bound ones the credential chain reads itself."""
    expected = list(ENV_VARS.get(option, ()))
    assert _documented_env(option) == expected
    lookup_env = [entry["name"] for entry in PLUGINS[option].get("env", [])]
    assert lookup_env == ([] if option in LATE_BOUND else expected)
    fallback = connection_argument_spec()[option].get("fallback")
    if option in LATE_BOUND or option not in ENV_VARS:
        assert fallback is None  # credentials: the chain reads the environment itself
    else:
        assert list(fallback[1]) == expected


@pytest.mark.parametrize("option", [name for name in LATE_BOUND if name in KEY_OPTIONS + ("profile", "cvm_role")])
def test_credential_chain_reads_every_late_bound_variable(option, tmp_path):
    """Each variable of the table really reaches the chain (and nothing else is needed); the role and web identity
    variables: test__roles.py."""
    for name in ENV_VARS[option]:
        env = {"TENCENTCLOUD_SECRET_ID": "AKIDenv", "TENCENTCLOUD_SECRET_KEY": "key-env", name: "value-of-" + name}
        if option == "profile":
            (tmp_path / ".tccli").mkdir(exist_ok=True)
            (tmp_path / ".tccli" / "value-of-TENCENTCLOUD_PROFILE.credential").write_text('{"secretId": "AKIDp", "secretKey": "k"}')
            env = {name: "value-of-" + name}
        if option == "cvm_role":
            env = {name: "value-of-" + name}
        provider = _chain.resolve_credentials({}, env=env, home=str(tmp_path))
        if option == "cvm_role":
            assert provider.role == "value-of-" + name
        elif option == "profile":
            assert provider.get().secret_id == "AKIDp"
        else:
            attribute = {"secret_id": "secret_id", "secret_key": "secret_key", "security_token": "token"}[option]
            assert getattr(provider.get(), attribute) == "value-of-" + name


def test_metadata_url_variable_is_documented():
    assert "E(%s)" % _credentials.METADATA_URL_ENV in " ".join(DOC["cvm_role"]["description"])
    assert "V(%s)" % _credentials.METADATA_URL in " ".join(DOC["cvm_role"]["description"])


def test_plugins_overlay_has_ini_and_vars_for_every_option():
    for option in OPTION_NAMES:
        assert PLUGINS[option]["ini"] == [{"section": "cloudcert_tencent", "key": option}]
        assert PLUGINS[option]["vars"] == [{"name": name} for name in VAR_NAMES[option]]


def test_argspec_env_fallback_really_works(monkeypatch):
    monkeypatch.setenv("TENCENTCLOUD_SSL_ENDPOINT", "http://127.0.0.1:8443")
    monkeypatch.setenv("TENCENTCLOUD_REGION", "ap-shanghai")
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", "must-not-be-copied-into-params")
    result = ArgumentSpecValidator(connection_argument_spec()).validate({})
    assert result.error_messages == []
    params = result.validated_parameters
    assert params["endpoint"] == "http://127.0.0.1:8443" and params["region"] == "ap-shanghai"
    assert params["secret_key"] is None
    assert params["timeout"] == 15.0 and params["retries"] == 5 and params["rate_limit"] == 10.0 and params["language"] == "en-US"
    monkeypatch.delenv("TENCENTCLOUD_SSL_ENDPOINT")
    assert ArgumentSpecValidator(connection_argument_spec()).validate({}).validated_parameters["endpoint"] == DEFAULT_ENDPOINT


def _options(**overrides):
    options = dict.fromkeys(OPTION_NAMES)
    options.update(GOOD, endpoint=DEFAULT_ENDPOINT, validate_certs=True, secret_id="AKIDx", secret_key="sk")
    options.update(overrides)
    return options


def test_build_client(tmp_path):
    warnings = []
    client = build_client(_options(endpoint="http://127.0.0.1:8443", region="ap-guangzhou", retries=2, rate_limit=2.5), warn=warnings.append, env={})
    try:
        assert (client.url, client.host, client.region, client.retries, client.rate_limit) == (
            "http://127.0.0.1:8443/",
            "127.0.0.1:8443",
            "ap-guangzhou",
            2,
            2.5,
        )
        assert client.credentials.source == "task options"
        assert warnings == []
    finally:
        client.close()
    client = build_client(_options(validate_certs=False), warn=warnings.append, env={}, option_source="Ansible variables")
    try:
        assert client.credentials.source == "Ansible variables"
        assert len(warnings) == 1 and "validate_certs is false" in warnings[0] and DEFAULT_ENDPOINT in warnings[0]
    finally:
        client.close()


def test_build_client_validates_before_anything_else():
    with pytest.raises(ConfigurationError) as caught:
        build_client(_options(rate_limit=0, endpoint="ftp://x"), env={})
    assert str(caught.value).startswith("rate_limit:")
    with pytest.raises(ConfigurationError) as caught:
        build_client(_options(endpoint="https://x.example.com/path"), env={})
    assert str(caught.value).startswith("endpoint:")
    with pytest.raises(CredentialError):
        build_client(_options(secret_id=None), env={})
