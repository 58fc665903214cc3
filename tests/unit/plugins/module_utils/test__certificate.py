# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Normalising certificate records: snake_case, Beijing time to UTC, sentinels, expiry facts, masking, fuzzing."""

from __future__ import annotations

import copy
import json
import re
from datetime import datetime, timedelta, timezone

import pytest
from ansible.module_utils.common.dict_transformations import _camel_to_snake
from ansible_collections.cloudcert.tencent.plugins.module_utils._certificate import (
    DERIVED_KEYS,
    DETAIL_FIELDS,
    LIST_FIELDS,
    MASK,
    expiry_facts,
    normalise,
    parse_beijing_time,
    within_days,
)
from ansible_collections.cloudcert.tencent.plugins.module_utils._errors import ResponseError, TencentCloudError
from ansible_collections.cloudcert.tencent.tests.emulator import FIXTURE_IDS, KEY_PASSWORD, expected_not_after
from ansible_collections.cloudcert.tencent.tests.emulator.faults import _add_unknown_fields, _mangle_types
from ansible_collections.cloudcert.tencent.tests.emulator.fixtures import build_certificates, describe_view, list_view
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ANCHOR = datetime(2025, 6, 15, 13, 37, 11, tzinfo=timezone.utc)
RECORDS = build_certificates(ANCHOR, generate=3)
# Days to expiry the emulator gives each named fixture (fixtures.py), None when unknown.
EXPIRES_IN = {"NoRm0001": 200, "SoOn0002": 12, "ExPd0003": -30, "WiLd0004": 75, "KeYp0006": 45, "CaCe0007": 3 * 365, "UnIc0008": 60}
SNAKE_KEY = re.compile(r"^[a-z][a-z0-9_]*$")


def _describe(cert_id):
    record = describe_view(RECORDS[cert_id])
    record["RequestId"] = "req-%s" % cert_id
    return record


def _keys_everywhere(value):
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _keys_everywhere(item)
    elif isinstance(value, list):
        for item in value:
            yield from _keys_everywhere(item)


@pytest.mark.parametrize("shape", ["describe", "list"])
@pytest.mark.parametrize("cert_id", FIXTURE_IDS + ("G0000001", "G0000002", "G0000003"))
def test_every_fixture_shape(cert_id, shape):
    raw = _describe(cert_id) if shape == "describe" else list_view(RECORDS[cert_id])
    before = copy.deepcopy(raw)
    fields = DETAIL_FIELDS if shape == "describe" else LIST_FIELDS
    warnings = []
    result = normalise(raw, fields=fields, now=ANCHOR, warn=warnings.append)
    assert raw == before  # the input is not modified
    assert all(SNAKE_KEY.match(key) for key in _keys_everywhere(result)), sorted(_keys_everywhere(result))
    for name in fields:
        assert _camel_to_snake(name) in result, name
    for key in DERIVED_KEYS:
        assert key in result
    assert result["certificate_id"] == cert_id
    if shape == "describe":
        assert result["request_id"] == "req-%s" % cert_id
    json.dumps(result)  # plain JSON data only
    assert KEY_PASSWORD not in json.dumps(result)
    if cert_id == "BaDt0009":
        assert len(warnings) == 1 and "CertEndTime" in warnings[0] and "BaDt0009" in warnings[0] and "not_after" in warnings[0]
    else:
        assert warnings == []


@pytest.mark.parametrize("cert_id", sorted(EXPIRES_IN))
def test_fixture_times_and_expiry(cert_id):
    result = normalise(_describe(cert_id), now=ANCHOR)
    beijing, iso = expected_not_after(ANCHOR, EXPIRES_IN[cert_id])
    assert result["cert_end_time"] == beijing  # the API's own value is kept as sent
    assert result["not_after"] == iso
    assert result["days_to_expiry"] == EXPIRES_IN[cert_id]
    assert result["expired"] is (EXPIRES_IN[cert_id] < 0)
    assert result["not_before"].endswith("Z")
    assert result["not_before"] < result["not_after"]


def test_null_fixture_is_all_null_and_silent():
    warnings = []
    result = normalise(_describe("NuLl0005"), now=ANCHOR, warn=warnings.append)
    assert warnings == []
    assert {key: value for key, value in result.items() if value is not None} == {"certificate_id": "NuLl0005", "request_id": "req-NuLl0005"}


def test_bad_times_fixture():
    warnings = []
    result = normalise(_describe("BaDt0009"), now=ANCHOR, warn=warnings.append)
    assert result["not_before"] is None  # "0000-00-00 00:00:00" is a sentinel: silent
    assert result["not_after"] is None  # "2024-11-06 08:00:0" is malformed: null and a warning
    assert result["days_to_expiry"] is None and result["expired"] is None
    assert result["cert_end_time"] == "2024-11-06 08:00:0"
    assert warnings == ["certificate BaDt0009: CertEndTime '2024-11-06 08:00:0' is not a 'YYYY-MM-DD HH:MM:SS' time; not_after is null"]


def test_key_password_masked():
    result = normalise(_describe("KeYp0006"), now=ANCHOR)
    assert result["submitted_data"]["key_password"] == MASK
    assert result["submitted_data"]["admin_email"] == "admin@example.com"
    assert KEY_PASSWORD not in repr(result)


def test_key_password_masked_anywhere_and_empty_left_alone():
    raw = {"CertificateId": "x", "Deep": [{"Inner": {"KeyPassword": "pw1"}}, {"KeyPassword": ""}], "SubmittedData": {"KeyPassword": None}}
    result = normalise(raw)
    assert result["deep"][0]["inner"]["key_password"] == MASK
    assert result["deep"][1]["key_password"] == ""
    assert result["submitted_data"]["key_password"] is None
    assert "pw1" not in repr(result)


def test_unicode_fixture_survives():
    result = normalise(_describe("UnIc0008"), now=ANCHOR)
    assert result["alias"] == "生产环境证书 — ünïcödé ✓"
    assert result["subject_alt_name"] == ["bücher.example", "xn--fiqs8s.example"]


def test_wrong_types_and_extra_fields_shapes():
    mangled = _describe("NoRm0001")
    _mangle_types(mangled)
    _add_unknown_fields(mangled)
    result = normalise(mangled, now=ANCHOR)
    assert result["status"] == "1" and result["tags"] == "env=prod"
    assert result["future_flag"] is True
    assert result["not_after"] == expected_not_after(ANCHOR, 200)[1]


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2025-02-26 07:59:59", "2025-02-25T23:59:59Z"),  # TrustAsia's not-after: 23:59:59Z the day before
        ("2024-11-27 08:00:00", "2024-11-27T00:00:00Z"),
        ("2025-01-01 00:30:00", "2024-12-31T16:30:00Z"),  # 00:30 Beijing is the previous day in UTC
        ("2025-03-01 07:59:59", "2025-02-28T23:59:59Z"),
        ("2024-03-01 00:00:00", "2024-02-29T16:00:00Z"),  # leap day
        ("2027-02-27 07:59:59", "2027-02-26T23:59:59Z"),
        ("2025-06-15 12:00:00", "2025-06-15T04:00:00Z"),
        (" 2025-06-15 12:00:00 ", "2025-06-15T04:00:00Z"),
    ],
)
def test_beijing_to_utc(value, expected):
    moment, malformed = parse_beijing_time(value)
    assert not malformed
    assert moment.tzinfo is not None and moment.utcoffset() == timedelta(0)
    assert moment.strftime("%Y-%m-%dT%H:%M:%SZ") == expected
    assert normalise({"CertEndTime": value})["not_after"] == expected


@pytest.mark.parametrize("value", [None, "", "--", "0000-00-00 00:00:00"])
def test_sentinels_are_null_silently(value):
    assert parse_beijing_time(value) == (None, False)
    warnings = []
    result = normalise({"CertBeginTime": value, "CertEndTime": value}, warn=warnings.append)
    assert result["not_before"] is None and result["not_after"] is None and result["days_to_expiry"] is None and result["expired"] is None
    assert warnings == []


@pytest.mark.parametrize(
    "value",
    [
        "2024-11-06 08:00:0",
        "2024-11-06T08:00:00",
        "2024-11-06 08:00:00Z",
        "2024/11/06 08:00:00",
        "2024-13-01 00:00:00",
        "2024-02-30 00:00:00",
        "yesterday",
        1700000000,
        3.5,
        True,
        [],
        {},
    ],
)
def test_malformed_times_warn(value):
    assert parse_beijing_time(value) == (None, True)
    warnings = []
    result = normalise({"CertificateId": "AbCd1234", "CertEndTime": value}, warn=warnings.append)
    assert result["not_after"] is None and result["days_to_expiry"] is None
    assert len(warnings) == 1 and "AbCd1234" in warnings[0] and "CertEndTime" in warnings[0]
    normalise({"CertEndTime": value})  # no warn callback: still fine


def test_days_to_expiry_floored():
    not_after = datetime(2025, 3, 1, 23, 59, 59, tzinfo=timezone.utc)
    assert expiry_facts(not_after, not_after - timedelta(days=3, seconds=1)) == (3, False)
    assert expiry_facts(not_after, not_after - timedelta(days=2, hours=23)) == (2, False)
    assert expiry_facts(not_after, not_after) == (0, False)
    assert expiry_facts(not_after, not_after + timedelta(seconds=1)) == (-1, True)
    assert expiry_facts(not_after, not_after + timedelta(days=1, seconds=1)) == (-2, True)
    assert expiry_facts(None, not_after) == (None, None)


def test_within_days():
    assert within_days({"days_to_expiry": 5}, None)
    assert within_days({"days_to_expiry": None}, None)
    assert within_days({"days_to_expiry": 5}, 5) and not within_days({"days_to_expiry": 6}, 5)
    assert within_days({"days_to_expiry": -3}, 0)
    assert not within_days({"days_to_expiry": None}, 30) and not within_days({}, 30)
    assert not within_days({"days_to_expiry": True}, 30)


@pytest.mark.parametrize("value", [None, [], "text", 5, ["a"]])
def test_not_a_record(value):
    with pytest.raises(ResponseError):
        normalise(value)


# ---------------------------------------------------------------------------------------------------------------
# Fuzz: API-shaped records with anything in them.

_KEYS = st.one_of(st.sampled_from(sorted(set(DETAIL_FIELDS + LIST_FIELDS) | {"KeyPassword", "SubmittedData"})), st.text(max_size=12))
_TIMES = st.one_of(
    st.sampled_from(["", "--", "0000-00-00 00:00:00", "2024-11-06 08:00:0", "9999-12-31 23:59:59", "0001-01-01 00:00:00"]),
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)).map(lambda d: d.strftime("%Y-%m-%d %H:%M:%S")),
)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(),
    st.text(min_size=1, max_size=3).map(lambda s: s * 20000),  # huge strings
    _TIMES,
)
_VALUES = st.recursive(_SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_KEYS, inner, max_size=5)), max_leaves=25)
_RECORDS = st.one_of(
    st.dictionaries(_KEYS, _VALUES, max_size=12),
    st.fixed_dictionaries({"CertificateId": _VALUES, "CertBeginTime": st.one_of(_TIMES, _VALUES), "CertEndTime": st.one_of(_TIMES, _VALUES)}),
    _VALUES,
)


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(record=_RECORDS, details=st.booleans(), now=st.datetimes(timezones=st.just(timezone.utc)))
def test_fuzz_normalise_never_crashes(record, details, now):
    try:
        result = normalise(record, fields=DETAIL_FIELDS if details else LIST_FIELDS, now=now, warn=lambda text: None)
    except TencentCloudError:
        return
    assert isinstance(result, dict)
    for key in DERIVED_KEYS:
        assert key in result
    assert result["days_to_expiry"] is None or isinstance(result["days_to_expiry"], int)
    within_days(result, 30)


@settings(max_examples=300, deadline=None, database=None)
@given(value=st.one_of(_TIMES, st.text(), st.integers(), st.none()))
def test_fuzz_parse_beijing_time(value):
    moment, malformed = parse_beijing_time(value)
    assert moment is None or not malformed
    if moment is not None:
        assert moment.utcoffset() == timedelta(0)
