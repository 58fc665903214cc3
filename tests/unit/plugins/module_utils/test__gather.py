# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Gathering certificates against the emulator: order, duplicates, missing ids, batches, listing, pagination, filters."""

from __future__ import annotations

import math

import pytest
from ansible_collections.cloudcert.tencent.plugins.module_utils._errors import ApiError, ConfigurationError, ResponseError, describe_failure
from ansible_collections.cloudcert.tencent.plugins.module_utils._gather import NOT_FOUND, NotFoundError, gather, list_pages
from ansible_collections.cloudcert.tencent.tests.emulator import DENIED_SECRET_ID, DENIED_SECRET_KEY, FIXTURE_IDS, Emulator
from ansible_collections.cloudcert.tencent.tests.unit.plugins.module_utils.helpers import CaptureServer, envelope, static


def _asked(emu, action):
    return [entry["params"] for entry in emu.requests if entry["action"] == action]


def _ids(result):
    return [record["certificate_id"] for record in result["certificates"]]


@pytest.fixture
def big_emulator():
    with Emulator(port=0, rate_limit=0, generate=1500) as emu:
        yield emu


def test_order_kept_and_duplicates_asked_once(emulator, client):
    ids = ["WiLd0004", "NoRm0001", "WiLd0004", "SoOn0002", "NoRm0001", "WiLd0004"]
    result = gather(client, ids=ids)
    assert _ids(result) == ids
    assert result["missing"] == []
    assert sorted(p["CertificateId"] for p in _asked(emulator, "DescribeCertificate")) == ["NoRm0001", "SoOn0002", "WiLd0004"]
    assert emulator.count() == 3
    assert result["certificates"][0] == result["certificates"][2] == result["certificates"][5]
    assert result["certificates"][0]["request_id"]


def test_ids_are_stripped_and_validated(emulator, client):
    assert _ids(gather(client, ids=[" NoRm0001 "])) == ["NoRm0001"]
    for bad in ([""], ["  "], ["a b"], [5], ["ok\x00"]):
        with pytest.raises(ConfigurationError) as caught:
            gather(client, ids=bad)
        assert str(caught.value).startswith("certificate_ids:")


def test_empty_ids_make_no_call(emulator, client):
    assert gather(client, ids=[]) == {"certificates": [], "missing": []}
    assert gather(client, ids=[], details=False) == {"certificates": [], "missing": []}
    assert emulator.count() == 0


@pytest.mark.parametrize("details", [True, False])
def test_on_missing_error(emulator, client, details):
    with pytest.raises(NotFoundError) as caught:
        gather(client, ids=["NoSuch02", "NoRm0001", "NoSuch01"], details=details)
    assert isinstance(caught.value, ApiError)
    assert caught.value.code == NOT_FOUND
    assert caught.value.subject == "certificates NoSuch02, NoSuch01"
    text = describe_failure(caught.value)
    assert "certificates NoSuch02, NoSuch01" in text and NOT_FOUND in text
    if details:  # the API's own answer is the evidence: its request id is reported
        assert caught.value.request_id in [e["request_id"] for e in emulator.requests if e["outcome"] == NOT_FOUND]
        assert "RequestId %s" % caught.value.request_id in text


@pytest.mark.parametrize("details", [True, False])
def test_on_missing_warn_and_skip(emulator, client, details):
    warnings = []
    result = gather(client, ids=["NoSuch02", "NoRm0001", "NoSuch02", "NoSuch01"], details=details, on_missing="warn", warn=warnings.append)
    assert _ids(result) == ["NoRm0001"]
    assert result["missing"] == ["NoSuch02", "NoSuch01"]
    assert warnings == ["certificates not found: NoSuch02, NoSuch01"]
    warnings.clear()
    result = gather(client, ids=["NoSuch01", "SoOn0002"], details=details, on_missing="skip", warn=warnings.append)
    assert (_ids(result), result["missing"], warnings) == (["SoOn0002"], ["NoSuch01"], [])


def test_details_false_batches_of_fifty(emulator, make_client):
    with Emulator(port=0, rate_limit=0, generate=150) as emu:
        client = make_client(emu.url)
        ids = ["G%07d" % n for n in range(140, 0, -1)] + ["NoSuch01", "G0000007", "UnIc0008"]
        result = gather(client, ids=ids, details=False, on_missing="skip")
        calls = _asked(emu, "DescribeCertificates")
        unique = list(dict.fromkeys(ids))
        assert len(calls) == math.ceil(len(unique) / 50) == 3
        assert sorted((c["CertIds"] for c in calls), key=lambda batch: unique.index(batch[0])) == [unique[0:50], unique[50:100], unique[100:]]
        assert all(c["Limit"] == 1000 and c["Offset"] == 0 for c in calls)
        assert emu.count(action="DescribeCertificate") == 0
        assert _ids(result) == [cert_id for cert_id in ids if cert_id != "NoSuch01"]
        assert result["missing"] == ["NoSuch01"]
        record = result["certificates"][0]
        assert record["request_id"] and record["encrypt_algorithm"] == "RSA 2048" and "submitted_data" not in record


def test_listing_all_pages_without_details(big_emulator, make_client):
    client = make_client(big_emulator.url)
    result = gather(client, details=False)
    assert len(result["certificates"]) == 1509
    assert len(set(_ids(result))) == 1509
    calls = _asked(big_emulator, "DescribeCertificates")
    assert [(c["Offset"], c["Limit"]) for c in calls] == [(0, 1000), (1000, 1000)]
    assert big_emulator.count() == 2
    assert result["missing"] == []


def test_listing_with_filters(big_emulator, make_client):
    client = make_client(big_emulator.url)
    result = gather(client, search="host-12", statuses=[1, 3], certificate_type="SVR", details=False)
    call = _asked(big_emulator, "DescribeCertificates")[-1]
    assert call["SearchKey"] == "host-12" and call["CertificateStatus"] == [1, 3] and call["CertificateType"] == "SVR"
    assert result["certificates"]
    assert all("host-12" in r["domain"] and r["status"] in (1, 3) for r in result["certificates"])
    ca = gather(client, certificate_type="CA", details=False)
    assert _ids(ca) == ["CaCe0007"]


def test_listing_with_details_describes_each(emulator, client):
    result = gather(client, search="example.com")
    assert [p["SearchKey"] for p in _asked(emulator, "DescribeCertificates")] == ["example.com"]
    described = [p["CertificateId"] for p in _asked(emulator, "DescribeCertificate")]
    assert sorted(described) == sorted(_ids(result))
    assert "NoRm0001" in _ids(result) and "NuLl0005" not in _ids(result)
    keyp = [r for r in result["certificates"] if r["certificate_id"] == "KeYp0006"][0]
    assert keyp["submitted_data"]["key_password"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"


@pytest.mark.parametrize("details", [True, False])
def test_expiring_within_days(emulator, client, details):
    listed = gather(client, details=details, expiring_within_days=30)
    assert sorted(_ids(listed)) == ["ExPd0003", "SoOn0002"]  # expired ones kept, unknown expiry left out
    asked = gather(client, ids=list(FIXTURE_IDS), details=details, expiring_within_days=60)
    assert _ids(asked) == ["SoOn0002", "ExPd0003", "KeYp0006", "UnIc0008"]


def test_fatal_error_stops_further_calls(emulator, make_client):
    client = make_client(emulator.url, credentials=static(DENIED_SECRET_ID, DENIED_SECRET_KEY), retries=5)
    ids = ["G%07d" % n for n in range(1, 301)]
    with pytest.raises(ApiError) as caught:
        gather(client, ids=ids)
    assert caught.value.code == "AuthFailure.UnauthorizedOperation"
    assert caught.value.subject.startswith("certificate G")
    assert 1 <= emulator.count() < 100  # at most the requests already in flight, never one per id


def test_fatal_error_in_batches_stops(emulator, make_client):
    client = make_client(emulator.url, credentials=static(DENIED_SECRET_ID, DENIED_SECRET_KEY), retries=5, rate_limit=1.0)
    with pytest.raises(ApiError):
        gather(client, ids=["G%07d" % n for n in range(1, 501)], details=False)
    assert emulator.count() <= 2


def test_transient_faults_heal_inside_gather(emulator, client):
    emulator.add_fault("internal_error", count=2, certificate_id="SoOn0002")
    emulator.add_fault("reset", count=1, action="DescribeCertificate")
    result = gather(client, ids=["NoRm0001", "SoOn0002", "WiLd0004"])
    assert _ids(result) == ["NoRm0001", "SoOn0002", "WiLd0004"]


@pytest.mark.parametrize(
    "payload",
    [{"Certificates": "nope", "TotalCount": 1}, {"Certificates": [], "TotalCount": "1"}],
)
def test_list_pages_rejects_wrong_types(make_client, payload):
    server = CaptureServer(reply=(200, envelope(dict(payload, RequestId="rid-x"))))
    try:
        with pytest.raises(ResponseError) as caught:
            list_pages(make_client(server.url), {})
        assert caught.value.request_id == "rid-x" and caught.value.action == "DescribeCertificates"
    finally:
        server.close()


def test_list_pages_stops_on_empty_page_and_null_total(make_client):
    server = CaptureServer(reply=(200, envelope({"Certificates": None, "TotalCount": None, "RequestId": "r"})))
    try:
        assert list_pages(make_client(server.url), {}) == ([], "r")
        assert len(server.seen) == 1
    finally:
        server.close()
