# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The EDA files of docs/ and meta/ stay in step with the code: env names, the source's name, the extension dirs."""

from __future__ import annotations

import os

import pytest
import yaml
from ansible_collections.cloudcert.tencent.plugins.module_utils._environment import ENV_VARS, SECRET_OPTIONS

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))


def load(*parts: str):
    with open(os.path.join(ROOT, *parts), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@pytest.mark.parametrize("name", ["credential_type.yml", "credential_type_web_identity.yml"])
def test_credential_type_injects_the_modules_environment_variables(name):
    eda = load("docs", "eda", name)
    awx = load("docs", "awx", name)
    known = {name for names in ENV_VARS.values() for name in names}
    assert set(eda["injectors"]["env"]) <= known
    assert eda["injectors"]["env"] == awx["injectors"]["env"]  # one set of names for jobs and activations
    fields = {field["id"]: field for field in eda["inputs"]["fields"]}
    for template in eda["injectors"]["env"].values():
        assert template.strip("{} ") in fields
    assert {field["id"] for field in eda["inputs"]["fields"]} == {field["id"] for field in awx["inputs"]["fields"]}
    for name_, field in fields.items():
        assert bool(field.get("secret")) is (name_ in SECRET_OPTIONS), name_
    assert eda["inputs"]["required"] == awx["inputs"]["required"]


def test_decision_environment_has_requests_and_the_collection():
    definition = load("docs", "eda", "decision-environment.yml")
    assert definition["version"] == 3
    assert any(item.startswith("requests") for item in definition["dependencies"]["python"])
    assert any("cloudcert" in item["name"] for item in definition["dependencies"]["galaxy"]["collections"])


def test_meta_extensions_declares_the_event_source_dir():
    dirs = [item["args"]["ext_dir"] for item in load("meta", "extensions.yml")["extensions"]]
    assert "eda/plugins/event_source" in dirs
    for ext_dir in dirs:
        assert os.path.isdir(os.path.join(ROOT, "extensions", ext_dir))


def test_example_rulebook_uses_the_source_and_its_playbook():
    rulebook = load("docs", "examples", "rulebooks", "certificate_expiry.yml")
    sources = [source for ruleset in rulebook for source in ruleset["sources"]]
    assert any("cloudcert.tencent.certificate_expiry" in source for source in sources)
    playbooks = [rule["action"]["run_playbook"]["name"] for ruleset in rulebook for rule in ruleset["rules"] if "run_playbook" in rule.get("action", {})]
    assert playbooks and all(os.path.isfile(os.path.join(ROOT, "docs", "examples", name)) for name in playbooks)
