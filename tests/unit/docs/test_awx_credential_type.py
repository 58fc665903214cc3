# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The AWX credential types in docs/awx/ (API key with an optional role; web identity) must inject exactly the
environment variables the plugins document.

Each injector ``ENV: '{{ field }}'`` must name an input field that is also a shared connection option, ENV must
be a variable of that option in the plugins' one table (``module_utils/_environment.py``), an ``env:`` source of
the lookup where Ansible reads it, and be named in the option's description (``connection.DOCUMENTATION``). Secrets must be
marked ``secret: true`` so AWX masks them.
"""

from __future__ import annotations

import ast
import os
import re

import pytest
import yaml
from ansible_collections.cloudcert.tencent.plugins.module_utils._environment import ENV_VARS, LATE_BOUND, SECRET_OPTIONS

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
SECRET_FIELDS = set(SECRET_OPTIONS)
CREDENTIAL_TYPES = {
    # file: (the options it fills in, each through the first environment variable of the one table; required fields)
    "credential_type.yml": (
        ("secret_id", "secret_key", "security_token", "endpoint", "region", "role_arn", "role_session_name", "role_external_id", "role_duration"),
        {"secret_id", "secret_key"},
    ),
    "credential_type_web_identity.yml": (
        ("web_identity_token", "role_arn", "web_identity_provider_id", "role_session_name", "role_duration", "endpoint", "region"),
        {"web_identity_token", "role_arn"},
    ),
}
FRAGMENT = os.path.join(ROOT, "plugins", "doc_fragments", "_connection.py")
CREATE_PLAYBOOK = os.path.join(ROOT, "docs", "awx", "create_credential_type.yml")
TEMPLATE = re.compile(r"^\{\{\s*([a-z_]+)\s*\}\}$")


def _fragment_docs() -> dict[str, dict]:
    """DOCUMENTATION and PLUGINS of the connection doc fragment, parsed without importing the plugin."""
    with open(FRAGMENT, encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == "ModuleDocFragment":
            for item in node.body:
                if isinstance(item, ast.Assign) and isinstance(item.value, ast.Constant):
                    for target in item.targets:
                        if isinstance(target, ast.Name):
                            found[target.id] = yaml.safe_load(item.value.value)
    assert "DOCUMENTATION" in found and "PLUGINS" in found, "_connection.py lost DOCUMENTATION or PLUGINS"
    return found


@pytest.fixture(scope="module", params=sorted(CREDENTIAL_TYPES))
def credential_type(request) -> dict:
    with open(os.path.join(ROOT, "docs", "awx", request.param), encoding="utf-8") as handle:
        document = yaml.safe_load(handle)
    document["_file"] = request.param
    return document


@pytest.fixture(scope="module")
def fragment() -> dict[str, dict]:
    return _fragment_docs()


def _fields(credential_type: dict) -> dict[str, dict]:
    return {field["id"]: field for field in credential_type["inputs"]["fields"]}


def _injected(credential_type: dict) -> dict[str, str]:
    """ENV -> input field id, from the injector templates."""
    result = {}
    for env, template in credential_type["injectors"]["env"].items():
        match = TEMPLATE.match(str(template).strip())
        assert match, "injector %s: %r is not a plain '{{ field }}' template" % (env, template)
        result[env] = match.group(1)
    return result


def test_injects_the_expected_variables(credential_type):
    options, _required = CREDENTIAL_TYPES[credential_type["_file"]]
    assert _injected(credential_type) == {ENV_VARS[option][0]: option for option in options}
    assert set(credential_type["injectors"]) == {"env"}, "only environment variables are injected"


def test_every_injector_is_a_documented_env_source_of_its_option(credential_type, fragment):
    lookup_options = fragment["PLUGINS"]["options"]
    module_options = fragment["DOCUMENTATION"]["options"]
    fields = _fields(credential_type)
    for env, field in _injected(credential_type).items():
        assert field in fields, "injector %s uses {{ %s }}, which is not an input field" % (env, field)
        assert field in module_options, "input field %s is not a connection option of the plugins" % field
        assert env in ENV_VARS[field], "%s is not an environment variable of option %s (%s)" % (env, field, ENV_VARS[field])
        if field not in LATE_BOUND:  # late-bound variables are read by the credential chain, not by Ansible
            env_sources = [entry["name"] for entry in lookup_options.get(field, {}).get("env", [])]
            assert env in env_sources, "%s is not an env source of option %s in connection.PLUGINS (it has %s)" % (env, field, env_sources)
        description = " ".join(module_options[field]["description"])
        assert "E(%s)" % env in description, "the module's option %s does not document E(%s)" % (field, env)


def test_secrets_are_marked_secret(credential_type):
    fields = _fields(credential_type)
    for name in SECRET_FIELDS & set(fields):
        assert fields[name].get("secret") is True, "input %s must be secret: true" % name
    for name, field in fields.items():
        if name not in SECRET_FIELDS:
            assert not field.get("secret"), "input %s is not a secret" % name


def test_fields_are_described_and_keys_required(credential_type):
    for field in credential_type["inputs"]["fields"]:
        assert field.get("type") == "string", field["id"]
        assert field.get("label") and field.get("help_text"), "input %s needs a label and help_text" % field["id"]
    assert set(credential_type["inputs"]["required"]) == CREDENTIAL_TYPES[credential_type["_file"]][1]
    assert credential_type.get("kind") == "cloud" and credential_type.get("name")


def test_endpoint_default_matches_the_plugins(credential_type, fragment):
    default = fragment["DOCUMENTATION"]["options"]["endpoint"]["default"]
    assert _fields(credential_type)["endpoint"].get("default") == default


def test_create_playbook_reads_this_file():
    with open(CREATE_PLAYBOOK, encoding="utf-8") as handle:
        text = handle.read()
    play = yaml.safe_load(text)[0]
    task = play["tasks"][0]
    assert "awx.awx.credential_type" in task
    assert "credential_type.yml" in play["vars"]["credential_type_file"]
    for key in ("inputs", "injectors"):
        assert task["awx.awx.credential_type"][key] == "{{ credential_type.%s }}" % key
