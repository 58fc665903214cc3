# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""RFC 6125 host name matching (plugin_utils/_names.py)."""

from __future__ import annotations

import pytest
from ansible_collections.cloudcert.tencent.plugins.plugin_utils._names import CoverageInputError, covers, hosts_of, matches, names_of, normalise

MATCHES = [
    # exact, case, trailing dots
    ("www.example.com", "www.example.com", True),
    ("WWW.Example.COM", "www.example.com", True),
    ("www.example.com", "WWW.EXAMPLE.COM", True),
    ("www.example.com.", "www.example.com", True),
    ("www.example.com", "www.example.com.", True),
    ("www.example.com", "example.com", False),
    ("example.com", "www.example.com", False),
    ("www.example.com", "www.example.org", False),
    ("www.example.com", "www.example.com..", False),
    ("www..example.com", "www..example.com", False),
    # wildcards: whole left-most label, exactly one label
    ("*.example.com", "a.example.com", True),
    ("*.Example.Com", "A.EXAMPLE.com.", True),
    ("*.example.com", "example.com", False),
    ("*.example.com", "a.b.example.com", False),
    ("*.example.com", ".example.com", False),
    ("*.example.com", "*.example.com", True),
    ("f*.example.com", "foo.example.com", False),
    ("f*.example.com", "f*.example.com", False),
    ("*o.example.com", "foo.example.com", False),
    ("a.*.example.com", "a.b.example.com", False),
    ("*.*.example.com", "a.b.example.com", False),
    ("www.*.com", "www.example.com", False),
    ("*.com", "example.com", False),
    ("*", "localhost", False),
    ("a.example.com", "*.example.com", False),
    # IDNs in A-label form, either side
    ("bücher.example", "xn--bcher-kva.example", True),
    ("xn--bcher-kva.example", "bücher.example", True),
    ("BÜCHER.example", "xn--bcher-kva.example", True),
    ("XN--BCHER-KVA.EXAMPLE", "bücher.example.", True),
    ("*.bücher.example", "shop.xn--bcher-kva.example", True),
    ("*.example.com", "bücher.example.com", True),
    ("*.example", "bücher.example", False),
    ("bücher.example", "bucher.example", False),
    ("münchen.de", "xn--mnchen-3ya.de", True),
    # labels IDNA refuses are compared as text
    ("%s.example.com" % ("a" * 70), "%s.example.com" % ("A" * 70), True),
    ("under_score.example.com", "UNDER_SCORE.example.com", True),
    ("", "example.com", False),
]


@pytest.mark.parametrize(("presented", "host", "expected"), MATCHES)
def test_matches(presented, host, expected):
    assert matches(presented, host) is expected


def test_normalise():
    assert normalise(" Bücher.Example. ") == ["xn--bcher-kva", "example"]
    assert normalise(".") is None
    assert normalise("a..b") is None
    assert normalise("*.example.com") == ["*", "example", "com"]


def test_names_of_record_prefers_sans():
    record = {"domain": "example.com", "subject_alt_name": ["www.example.com", "api.example.com"]}
    assert names_of(record) == ["www.example.com", "api.example.com"]


@pytest.mark.parametrize("sans", [None, []])
def test_names_of_record_falls_back_to_domain(sans):
    assert names_of({"domain": "example.com", "subject_alt_name": sans}) == ["example.com"]
    assert names_of({"Domain": "example.com", "SubjectAltName": sans}) == ["example.com"]


def test_names_of_all_null_record_is_empty():
    assert names_of({"domain": None, "subject_alt_name": None}) == []
    assert covers({"domain": None, "subject_alt_name": None}, "example.com") is False


def test_names_of_plain_values():
    assert names_of("example.com") == ["example.com"]
    assert names_of(["a.example.com", "b.example.com"]) == ["a.example.com", "b.example.com"]
    assert names_of(("a.example.com",)) == ["a.example.com"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "got NoneType"),
        (42, "got int"),
        (["a.example.com", 1], "only strings"),
        ({"certificates": []}, "none of subject_alt_name"),
        ({"subject_alt_name": "a.example.com"}, "must be a list"),
    ],
)
def test_names_of_rejects(value, message):
    with pytest.raises(CoverageInputError, match=message):
        names_of(value)


def test_hosts_of():
    assert hosts_of("a.example.com") == ["a.example.com"]
    assert hosts_of(["a.example.com", "b.example.com"]) == ["a.example.com", "b.example.com"]


@pytest.mark.parametrize(
    ("hosts", "message"), [([], "empty list"), ("", "not a host name"), (["a.example.com", None], "not a host name"), (3, "got int"), (["a..b"], "not a host")]
)
def test_hosts_of_rejects(hosts, message):
    with pytest.raises(CoverageInputError, match=message):
        hosts_of(hosts)


def test_covers_all_hosts_must_be_covered():
    cert = {"domain": "example.com", "subject_alt_name": ["example.com", "*.example.com"]}
    assert covers(cert, ["example.com", "www.example.com", "API.example.com."]) is True
    assert covers(cert, ["example.com", "a.b.example.com"]) is False
    assert covers(cert, "www.example.com") is True
    assert covers(["*.example.com"], "example.com") is False
