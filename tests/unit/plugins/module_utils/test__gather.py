# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Gathering certificates against the emulator: order, duplicates, missing ids, batches, listing, pagination, filters."""

from __future__ import annotations

import hashlib
import json
import math
import time

import pytest
from ansible_collections.cloudcert.tencent.plugins.module_utils._client import connect
from ansible_collections.cloudcert.tencent.plugins.module_utils._errors import ApiError, ConfigurationError, ResponseError, TencentCloudError, describe_failure
from ansible_collections.cloudcert.tencent.plugins.module_utils._fetch import MATERIAL, NOT_FOUND, Fetcher, map_concurrent
from ansible_collections.cloudcert.tencent.plugins.module_utils._gather import NotFoundError, Request
from ansible_collections.cloudcert.tencent.plugins.module_utils._gather import gather as _gather
from ansible_collections.cloudcert.tencent.plugins.module_utils._ssl import SSL
from ansible_collections.cloudcert.tencent.tests.emulator import DENIED_SECRET_ID, DENIED_SECRET_KEY, FIXTURE_IDS, Emulator
from ansible_collections.cloudcert.tencent.tests.emulator.material import GARBAGE_BLOCK, private_key_lines
from ansible_collections.cloudcert.tencent.tests.unit.plugins.module_utils.helpers import CaptureServer, envelope, static
from cryptography import x509
from cryptography.hazmat.primitives import serialization


def gather(client, *, ids=None, warn=None, **params):
    """The fetch plan as the module runs it, with the module's option names (``ids``: certificate_ids)."""
    return _gather(client, Request.of(dict(params, certificate_ids=ids)), warn=warn)


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
        record = result["certificates"][1]  # G0000139 (every tenth generated certificate is an SM one)
        assert record["request_id"] and record["encrypt_algorithm"] == "RSA 2048" and "submitted_data" not in record
        assert result["certificates"][0]["encrypt_algorithm"] == "SM2" and result["certificates"][0]["is_sm"] is True


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
            Fetcher(make_client(server.url)).pages({})
        assert caught.value.request_id == "rid-x" and caught.value.action == "DescribeCertificates"
    finally:
        server.close()


def test_list_pages_stops_on_empty_page_and_null_total(make_client):
    server = CaptureServer(reply=(200, envelope({"Certificates": None, "TotalCount": None, "RequestId": "r"})))
    try:
        assert Fetcher(make_client(server.url)).pages({}) == []
        assert len(server.seen) == 1
    finally:
        server.close()


# include_certificate: DescribeCertificateDetail, material, private keys


def _leaf_der(pem):
    return x509.load_pem_x509_certificate(pem.encode()).public_bytes(serialization.Encoding.DER)


def _key_lines(emu, ids):
    """Base64 body lines of the emulator's private keys for these certificates."""
    lines = [line for cert_id in ids for line in private_key_lines(emu.certificates[cert_id])]
    assert lines  # the check below means something only if the emulator really holds keys
    return lines


def _assert_no_key(emu, ids, *texts):
    for line in _key_lines(emu, ids):
        assert all(line not in text for text in texts), "private key bytes leaked"


@pytest.mark.parametrize("details", [True, False])
def test_include_certificate_adds_material_only(emulator, client, details):
    ids = ["NoRm0001", "WiLd0004", "NoRm0001", "KeYp0006", "UnIc0008"]
    plain = gather(client, ids=ids, details=details)
    emulator.reset()
    warnings = []
    result = gather(client, ids=ids, details=details, include_certificate=True, warn=warnings.append)
    assert warnings == []
    assert _ids(result) == ids
    for before, after in zip(plain["certificates"], result["certificates"]):
        assert set(after) == set(before) | {"certificate_pem", "certificate_chain", "fingerprints"}
        assert {k: v for k, v in after.items() if k not in ("request_id", "certificate_pem", "certificate_chain", "fingerprints")} == {
            k: v for k, v in before.items() if k != "request_id"
        }
        served = emulator.certificates[after["certificate_id"]]["CertificatePublicKey"]
        assert after["certificate_pem"] + "".join(after["certificate_chain"]) == served  # leaf, then the issuing CA
        der = _leaf_der(after["certificate_pem"])
        assert after["fingerprints"] == {name: ":".join("%02x" % b for b in hashlib.new(name, der).digest()) for name in ("sha1", "sha256")}
    assert sorted(p["CertificateId"] for p in _asked(emulator, "DescribeCertificateDetail")) == ["KeYp0006", "NoRm0001", "UnIc0008", "WiLd0004"]
    assert emulator.count("DescribeCertificate") == (4 if details else 0)
    _assert_no_key(emulator, set(ids), repr(result))


def test_certificate_names_and_dates_match_the_record(emulator, client):
    record = gather(client, ids=["UnIc0008"], include_certificate=True)["certificates"][0]
    cert = x509.load_pem_x509_certificate(record["certificate_pem"].encode())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
    assert names == ["xn--bcher-kva.example", "xn--fiqs8s.example"]
    assert cert.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ") == record["not_after"]


def test_details_false_fetches_material_only_for_kept_certificates(emulator, client):
    result = gather(client, ids=["NoRm0001", "SoOn0002", "ExPd0003"], details=False, expiring_within_days=30, include_certificate=True)
    assert _ids(result) == ["SoOn0002", "ExPd0003"]
    assert sorted(p["CertificateId"] for p in _asked(emulator, "DescribeCertificateDetail")) == ["ExPd0003", "SoOn0002"]
    assert all(record["fingerprints"]["sha256"] for record in result["certificates"])


def test_listing_with_material(emulator, client):
    warnings = []
    result = gather(client, details=False, certificate_type="CA", include_certificate=True, warn=warnings.append)
    assert _ids(result) == ["CaCe0007"] and warnings == []
    ca_cert = x509.load_pem_x509_certificate(result["certificates"][0]["certificate_pem"].encode())
    assert ca_cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    assert result["certificates"][0]["certificate_chain"] == []
    listed = gather(client, details=True, include_certificate=True, warn=warnings.append)
    assert {record["certificate_id"] for record in listed["certificates"]} == set(FIXTURE_IDS)
    assert all(set(record) >= {"certificate_pem", "certificate_chain", "fingerprints"} for record in listed["certificates"])


@pytest.mark.parametrize("details", [True, False])
def test_bad_material_gives_nulls_and_one_warning_each(emulator, client, details):
    good = emulator.certificates["SoOn0002"]
    private_key_lines(good)  # make the material now, to build the damaged variants from it
    leaf = good["CertificatePublicKey"].split("-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----\n"
    emulator.set_certificate("SoOn0002", fields={"CertificatePublicKey": leaf + GARBAGE_BLOCK})
    emulator.set_certificate("WiLd0004", fields={"CertificatePublicKey": ""})
    warnings = []
    result = gather(client, ids=["BaDt0009", "NuLl0005", "SoOn0002", "WiLd0004", "NoRm0001"], details=details, include_certificate=True, warn=warnings.append)
    by_id = {record["certificate_id"]: record for record in result["certificates"]}
    assert len(by_id) == 5
    for cert_id in ("BaDt0009", "NuLl0005", "WiLd0004"):
        assert by_id[cert_id]["certificate_pem"] is None and by_id[cert_id]["fingerprints"] is None
    assert len(by_id["BaDt0009"]["certificate_chain"]) == 1 and by_id["NuLl0005"]["certificate_chain"] == []
    assert by_id["SoOn0002"]["certificate_pem"] == leaf and by_id["SoOn0002"]["certificate_chain"] == []
    assert by_id["NoRm0001"]["certificate_pem"]
    material_warnings = [text for text in warnings if "DescribeCertificateDetail" in text]
    named = sorted(text.split(":")[0] for text in material_warnings)
    assert named == ["certificate BaDt0009", "certificate NuLl0005", "certificate SoOn0002", "certificate WiLd0004"]
    _assert_no_key(emulator, ["BaDt0009", "SoOn0002"], repr(result), "\n".join(warnings))


def test_sm_certificate_keys_are_dropped(emulator, client):
    with Emulator(port=0, rate_limit=0, generate=10) as emu:
        assert "EncryptPrivateKey" in emu.certificates["G0000010"] or emu.certificates["G0000010"].get("_material_pending")
        result = gather(connect(SSL, credentials=static(), endpoint=emu.url, rate_limit=1000.0), ids=["G0000010"], include_certificate=True)
        assert emu.certificates["G0000010"]["EncryptPrivateKey"].startswith("-----BEGIN PRIVATE KEY-----")
        assert result["certificates"][0]["fingerprints"]["sha256"]
        _assert_no_key(emu, ["G0000010"], repr(result))


def test_fetch_material_for_records_already_held(emulator, client):
    found, missing = Fetcher(client).by_id(["NoRm0001", "NoSuch01", "NoRm0001"], (MATERIAL,))
    assert list(found) == ["NoRm0001"] and set(found["NoRm0001"]) == {"certificate_pem", "certificate_chain", "fingerprints"}
    assert missing == ["NoSuch01"] and missing.evidence.code == NOT_FOUND
    records = gather(client, ids=["SoOn0002", "NoRm0001"], details=False)["certificates"]
    emulator.reset()
    assert Fetcher(client).enrich(records, (MATERIAL,)) == []
    assert all(record["fingerprints"]["sha256"] for record in records)
    assert emulator.count() == 2 and emulator.count("DescribeCertificateDetail") == 2


def test_not_found_by_the_detail_call_is_missing(emulator, client):
    warnings = []
    result = gather(client, ids=["NoSuch01", "NoRm0001"], include_certificate=True, on_missing="warn", warn=warnings.append)
    assert _ids(result) == ["NoRm0001"] and result["missing"] == ["NoSuch01"]
    assert warnings == ["certificate not found: NoSuch01"]
    with pytest.raises(NotFoundError):
        gather(client, ids=["NoSuch01"], details=False, include_certificate=True)


def test_truncated_detail_answer_is_never_quoted(emulator, make_client):
    client = make_client(emulator.url, retries=0)
    emulator.add_fault("truncated", action="DescribeCertificateDetail")
    emulator.add_fault("http_502", action="DescribeCertificateDetail")
    lines = _key_lines(emulator, ["NoRm0001"])
    body = json.dumps({"Response": {"CertificatePrivateKey": emulator.certificates["NoRm0001"]["CertificatePrivateKey"]}})
    assert any(line in body for line in lines)
    for _fault in range(2):
        with pytest.raises(TencentCloudError) as caught:
            gather(client, ids=["NoRm0001"], include_certificate=True)
        text = describe_failure(caught.value)
        assert "not quoted" in text
        _assert_no_key(emulator, ["NoRm0001"], text, repr(caught.value.__dict__))
    emulator.add_fault("truncated", count=2, action="DescribeCertificateDetail")
    warnings = []
    healed = gather(make_client(emulator.url, retries=3, warn=warnings.append), ids=["NoRm0001"], include_certificate=True, warn=warnings.append)
    assert healed["certificates"][0]["fingerprints"] and len(warnings) == 2
    _assert_no_key(emulator, ["NoRm0001"], "\n".join(warnings), repr(healed))


def test_map_concurrent_order_exceptions_and_stop():
    def func(item):
        if item % 7 == 3:
            raise ValueError(item)
        time.sleep(0.001 * (item % 5))
        return item * 10

    results = map_concurrent(func, list(range(40)), workers=20)
    for index, result in enumerate(results):
        if index % 7 == 3:
            assert isinstance(result, ValueError) and result.args == (index,)
        else:
            assert result == index * 10
    assert map_concurrent(func, [], workers=20) == []


def test_map_concurrent_stop_on_skips_unstarted_items():
    started = []

    def func(item):
        started.append(item)
        if item == 0:
            raise ApiError("AuthFailure.SignatureFailure", "bad key")
        time.sleep(0.05)
        return item

    results = map_concurrent(func, list(range(20)), workers=2, stop_on=lambda exc: isinstance(exc, ApiError))
    assert isinstance(results[0], ApiError)
    assert len(started) < 20
    assert results.count(None) == 20 - len(started)
