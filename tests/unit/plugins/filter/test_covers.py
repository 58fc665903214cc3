# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The covers filter: through the plugin loader and rendered by a real Templar."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleError, AnsibleFilterError
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import filter_loader
from ansible.template import Templar
from ansible_collections.cloudcert.tencent.plugins.filter.covers import FilterModule
from ansible_collections.cloudcert.tencent.plugins.plugin_utils._names import covers_in_template as covers
from ansible_collections.cloudcert.tencent.plugins.test.covers import TestModule
from ansible_collections.cloudcert.tencent.tests.unit.compat import trust_as_template

RECORD = {
    "certificate_id": "WiLd0004",
    "domain": "*.example.com",
    "subject_alt_name": ["*.example.com", "example.com"],
}


def render(template: str, **variables):
    # Templates written in a test are trusted, as a playbook's own would be.
    return Templar(loader=DataLoader(), variables=variables).template(trust_as_template(template))


def test_registered_name():
    # the filter and the test are the same function, from plugin_utils (neither front end imports the other)
    assert FilterModule().filters()["covers"] is covers
    assert TestModule().tests()["covers"] is covers
    assert filter_loader.get("cloudcert.tencent.covers") is not None


@pytest.mark.parametrize(
    ("host", "expected"),
    [("www.example.com", True), ("example.com", True), ("a.b.example.com", False), ("EXAMPLE.COM.", True), ("example.org", False)],
)
def test_rendered_on_a_record(host, expected):
    assert render("{{ cert | cloudcert.tencent.covers(host) }}", cert=RECORD, host=host) is expected


def test_rendered_with_a_list_of_hosts_and_select():
    certs = [{"domain": "a.example.org", "subject_alt_name": None}, RECORD]
    picked = render("{{ certs | select('cloudcert.tencent.covers', ['www.example.com', 'example.com']) | map(attribute='domain') | list }}", certs=certs)
    assert picked == ["*.example.com"]


def test_rendered_on_api_names_and_idn():
    api_record = {"Domain": "bücher.example", "SubjectAltName": ["bücher.example"]}
    assert render("{{ cert | cloudcert.tencent.covers('xn--bcher-kva.example') }}", cert=api_record) is True


def test_test_plugin_form():
    assert render("{{ cert is cloudcert.tencent.covers('a.example.com') }}", cert=RECORD) is True
    assert render("{{ cert is not cloudcert.tencent.covers(['a.example.com', 'example.org']) }}", cert=RECORD) is True


def test_bad_input_is_a_filter_error():
    with pytest.raises(AnsibleFilterError, match="cloudcert.tencent.covers: hosts is an empty list"):
        covers(RECORD, [])
    with pytest.raises(AnsibleError, match="expected a certificate record"):
        render("{{ 42 | cloudcert.tencent.covers('example.com') }}")
    with pytest.raises(AnsibleError, match="expected a certificate record"):
        render("{{ 42 is cloudcert.tencent.covers('example.com') }}")
