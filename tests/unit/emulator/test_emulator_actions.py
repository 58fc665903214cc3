"""DescribeCertificate, DescribeCertificates and DescribeCertificateDetail answers: fields, fixtures, filters, pagination, limits, material."""

from __future__ import annotations

import datetime
import hashlib
import json
import os

import pytest
from ansible_collections.cloudcert.tencent.tests.emulator import FIXTURE_EXPIRY_DAYS, FIXTURE_IDS, KEY_PASSWORD, Emulator, expected_not_after
from ansible_collections.cloudcert.tencent.tests.emulator.cli import build_emulator, build_parser
from ansible_collections.cloudcert.tencent.tests.emulator.fixtures import BEIJING, DESCRIBE_FIELDS, DETAIL_FIELDS, LIST_FIELDS, TIME_FORMAT
from ansible_collections.cloudcert.tencent.tests.emulator.material import GARBAGE_BLOCK, NOT_BASE64_BLOCK, private_key_lines
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID


def test_describe_certificate_has_every_documented_field(client):
    response = client.call("DescribeCertificate", {"CertificateId": "NoRm0001"})
    assert set(response) == set(DESCRIBE_FIELDS) | {"RequestId"}
    assert response["Status"] == 1
    assert response["SubjectAltName"] == ["www.example.com", "example.com"]
    assert response["Tags"] == [{"TagKey": "env", "TagValue": "prod"}]
    assert isinstance(response["OwnerUin"], str) and isinstance(response["ProjectId"], str)


def test_expiry_is_beijing_time_of_a_utc_day_end(emulator, client):
    response = client.call("DescribeCertificate", {"CertificateId": "SoOn0002"})
    beijing, iso_utc = expected_not_after(emulator.started_at, 12)
    assert response["CertEndTime"] == beijing
    assert beijing.endswith(" 07:59:59") and iso_utc.endswith("T23:59:59Z")
    end = datetime.datetime.strptime(iso_utc, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    assert (end - datetime.datetime.now(datetime.timezone.utc)).days == 12


@pytest.mark.parametrize("cert_id", FIXTURE_IDS)
def test_every_named_fixture_is_served(client, cert_id):
    assert client.call("DescribeCertificate", {"CertificateId": cert_id})["CertificateId"] == cert_id


@pytest.mark.parametrize("cert_id", sorted(FIXTURE_EXPIRY_DAYS))
def test_fixture_expiry_helper(emulator, client, cert_id):
    end = client.call("DescribeCertificate", {"CertificateId": cert_id})["CertEndTime"]
    assert end == expected_not_after(emulator.started_at, FIXTURE_EXPIRY_DAYS[cert_id])[0]


def test_special_fixtures(client):
    null = client.call("DescribeCertificate", {"CertificateId": "NuLl0005"})
    assert [name for name, value in null.items() if value is not None] == ["CertificateId", "RequestId"]
    keyp = client.call("DescribeCertificate", {"CertificateId": "KeYp0006"})
    assert keyp["SubmittedData"]["KeyPassword"] == KEY_PASSWORD
    assert all(value is not None for value in keyp["SubmittedData"].values())
    ca_cert = client.call("DescribeCertificate", {"CertificateId": "CaCe0007"})
    assert ca_cert["CertificateType"] == "CA" and ca_cert["CACommonNames"] == ["Example Internal Root CA"]
    bad = client.call("DescribeCertificate", {"CertificateId": "BaDt0009"})
    assert (bad["CertBeginTime"], bad["CertEndTime"], bad["InsertTime"]) == ("0000-00-00 00:00:00", "2024-11-06 08:00:0", "--")
    wild = client.call("DescribeCertificate", {"CertificateId": "WiLd0004"})
    assert wild["IsWildcard"] is True and "*.shop.example.com" in wild["SubjectAltName"]
    assert client.call("DescribeCertificate", {"CertificateId": "ExPd0003"})["Status"] == 3


def test_unicode_is_sent_as_utf8(client):
    body = json.dumps({"CertificateId": "UnIc0008"}).encode()
    raw = client.post(client.headers("DescribeCertificate", body), body).content
    assert "生产环境证书 — ünïcödé ✓".encode("utf-8") in raw
    assert json.loads(raw)["Response"]["StatusName"] == "已颁发"


@pytest.mark.parametrize(
    "params, code",
    [
        ({}, "MissingParameter"),
        ({"CertificateId": 12}, "InvalidParameter"),
        ({"CertificateId": "nope0000"}, "FailedOperation.CertificateNotFound"),
    ],
)
def test_describe_certificate_errors(client, params, code):
    response = client.call("DescribeCertificate", params)
    assert response["Error"]["Code"] == code
    assert response["RequestId"]


def test_list_items_have_the_list_field_set(client):
    response = client.call("DescribeCertificates", {"CertIds": ["NoRm0001"]})
    item = response["Certificates"][0]
    assert set(item) == set(LIST_FIELDS)
    assert "SubmittedData" not in item and "DvAuthDetail" not in item
    assert item["EncryptAlgorithm"] == "RSA 2048" and item["CertSANs"] == ["www.example.com", "example.com"]


def test_default_order_is_insert_time_descending_not_cert_ids_order(client):
    response = client.call("DescribeCertificates", {"CertIds": list(reversed(FIXTURE_IDS))})
    ids = [item["CertificateId"] for item in response["Certificates"]]
    assert response["TotalCount"] == 9
    assert ids == ["UnIc0008", "SoOn0002", "ExPd0003", "NoRm0001", "WiLd0004", "KeYp0006", "CaCe0007", "BaDt0009", "NuLl0005"]


def test_unknown_cert_ids_are_silently_absent(client):
    response = client.call("DescribeCertificates", {"CertIds": ["NoRm0001", "nope0000"]})
    assert response["TotalCount"] == 1


def test_cert_ids_limit(client):
    assert client.code("DescribeCertificates", {"CertIds": ["NoRm0001"] * 50}) is None
    assert client.code("DescribeCertificates", {"CertIds": ["NoRm0001"] * 51}) == "InvalidParameter.CertificateIdNumberLimit"


def test_pagination_and_limit_cap(make_client):
    with Emulator(generate=1100) as emu:
        client = make_client(emu)
        first = client.call("DescribeCertificates", {})
        assert first["TotalCount"] == 1109 and len(first["Certificates"]) == 10
        capped = client.call("DescribeCertificates", {"Limit": 5000})
        assert len(capped["Certificates"]) == 1000
        rest = client.call("DescribeCertificates", {"Offset": 1000, "Limit": 1000})
        assert len(rest["Certificates"]) == 109
        seen = [item["CertificateId"] for item in capped["Certificates"] + rest["Certificates"]]
        assert len(set(seen)) == 1109
        assert client.call("DescribeCertificates", {"Offset": 2000})["Certificates"] == []


def test_filters(make_client):
    with Emulator(generate=40) as emu:
        client = make_client(emu)
        search = client.call("DescribeCertificates", {"SearchKey": "HOST-1", "Limit": 100})
        assert {item["CertificateId"] for item in search["Certificates"]} == {"G0000001"} | {"G%07d" % n for n in range(10, 20)}
        assert client.call("DescribeCertificates", {"SearchKey": "ünïcödé"})["Certificates"][0]["CertificateId"] == "UnIc0008"
        assert client.call("DescribeCertificates", {"SearchKey": "soon0002"})["TotalCount"] == 1
        ca_only = client.call("DescribeCertificates", {"CertificateType": "CA"})
        assert [item["CertificateId"] for item in ca_only["Certificates"]] == ["CaCe0007"]
        expired = client.call("DescribeCertificates", {"CertificateStatus": [3], "Limit": 100})
        assert expired["TotalCount"] >= 2 and all(item["Status"] == 3 for item in expired["Certificates"])
        several = client.call("DescribeCertificates", {"CertificateStatus": [0, 10], "Limit": 100})
        assert {item["Status"] for item in several["Certificates"]} == {0, 10}


@pytest.mark.parametrize(
    "params",
    [
        {"Offset": -1},
        {"Limit": "10"},
        {"Offset": True},
        {"CertIds": "NoRm0001"},
        {"CertIds": [1]},
        {"CertificateStatus": ["1"]},
        {"CertificateStatus": 1},
        {"SearchKey": 5},
        {"CertificateType": ["CA"]},
    ],
)
def test_list_parameter_types(client, params):
    assert client.code("DescribeCertificates", params) == "InvalidParameter"


def test_fixture_file_merges_by_id(tmp_path, make_client):
    path = tmp_path / "extra.json"
    path.write_text(json.dumps([{"CertificateId": "NoRm0001", "Alias": "overridden"}, {"CertificateId": "NeWw0010", "Domain": "new.example"}]))
    with Emulator(fixtures_path=str(path)) as emu:
        client = make_client(emu)
        normal = client.call("DescribeCertificate", {"CertificateId": "NoRm0001"})
        assert normal["Alias"] == "overridden" and normal["Domain"] == "www.example.com"
        new = client.call("DescribeCertificate", {"CertificateId": "NeWw0010"})
        assert new["Domain"] == "new.example" and new["Status"] is None
        assert "NeWw0010" in emu.certificates


# DescribeCertificateDetail: real certificates, private keys, bad-data fixtures


def _certs(pem):
    return x509.load_pem_x509_certificates(pem.encode())


def test_detail_has_the_sdk_fields_and_a_matching_key(client):
    detail = client.call("DescribeCertificateDetail", {"CertificateId": "NoRm0001"})
    assert set(detail) == set(DETAIL_FIELDS) | {"RequestId"}
    assert not set(detail) & {"PackageTypeName", "CACommonNames", "CAEncryptAlgorithms", "CAEndTimes", "_material_pending"}
    leaf, issuer = _certs(detail["CertificatePublicKey"])
    key = serialization.load_pem_private_key(detail["CertificatePrivateKey"].encode(), None)
    spki = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert key.public_key().public_bytes(*spki) == leaf.public_key().public_bytes(*spki)
    leaf.verify_directly_issued_by(issuer)
    root = _certs(detail["RootCert"]["Standard"])[0]
    issuer.verify_directly_issued_by(root)
    assert detail["CertFingerprint"] == hashlib.sha1(leaf.public_bytes(serialization.Encoding.DER)).hexdigest().upper()
    assert [item["Fingerprint"] for item in detail["CertChainInfo"]] == [
        hashlib.sha1(cert.public_bytes(serialization.Encoding.DER)).hexdigest().upper() for cert in (leaf, issuer, root)
    ]
    names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
    assert names == detail["SubjectAltName"] == ["www.example.com", "example.com"]
    assert leaf.not_valid_after_utc.astimezone(BEIJING).strftime(TIME_FORMAT) == detail["CertEndTime"]
    assert (detail["DomainType"], detail["CertType"], detail["UseCrossSignRoot"]) == (2, "DV", False)
    assert detail["EncryptCert"] is None and detail["EncryptPrivateKey"] is None


def test_detail_is_the_same_on_every_call(client):
    first = client.call("DescribeCertificateDetail", {"CertificateId": "WiLd0004"})
    second = client.call("DescribeCertificateDetail", {"CertificateId": "WiLd0004"})
    assert {k: v for k, v in first.items() if k != "RequestId"} == {k: v for k, v in second.items() if k != "RequestId"}
    assert first["DomainType"] == 4  # several names, wildcards among them


def test_detail_errors_like_describe(client):
    assert client.code("DescribeCertificateDetail", {"CertificateId": "NoSuch01"}) == "FailedOperation.CertificateNotFound"
    assert client.code("DescribeCertificateDetail", {}) == "MissingParameter"
    assert client.code("DescribeCertificateDetail", {"CertificateId": 5}) == "InvalidParameter"


def test_detail_special_fixtures(client):
    null = client.call("DescribeCertificateDetail", {"CertificateId": "NuLl0005"})
    assert [name for name, value in null.items() if value is not None] == ["CertificateId", "RequestId"]
    odd = client.call("DescribeCertificateDetail", {"CertificateId": "BaDt0009"})
    assert odd["CertificatePublicKey"].startswith(NOT_BASE64_BLOCK) and odd["CertificatePublicKey"].endswith(GARBAGE_BLOCK)
    assert "PRIVATE KEY" in odd["CertificatePrivateKey"]  # bad data, and still a key that must not leak
    keyp = client.call("DescribeCertificateDetail", {"CertificateId": "KeYp0006"})
    assert "ENCRYPTED PRIVATE KEY" in keyp["CertificatePrivateKey"]
    serialization.load_pem_private_key(keyp["CertificatePrivateKey"].encode(), KEY_PASSWORD.encode())
    ca_cert = client.call("DescribeCertificateDetail", {"CertificateId": "CaCe0007"})
    (root,) = _certs(ca_cert["CertificatePublicKey"])
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca and ca_cert["CertificatePrivateKey"] is None
    assert root.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Example Internal Root CA"


def test_sm_fixture_has_an_encryption_key(make_client):
    with Emulator(port=0, rate_limit=0, generate=20) as emu:
        client = make_client(emu)
        sm = client.call("DescribeCertificateDetail", {"CertificateId": "G0000020"})
        assert sm["EncryptAlgorithm"] == "SM2" and sm["CertificateExtra"]["SMCert"] == 1
        assert "PRIVATE KEY" in sm["EncryptPrivateKey"] and "PRIVATE KEY" in sm["CertificatePrivateKey"]
        (encrypt,) = _certs(sm["EncryptCert"])
        assert sm["EncryptCertFingerprint"] == hashlib.sha1(encrypt.public_bytes(serialization.Encoding.DER)).hexdigest().upper()
        assert client.call("DescribeCertificates", {"CertIds": ["G0000020"]})["Certificates"][0]["IsSM"] is True
        assert client.call("DescribeCertificateDetail", {"CertificateId": "G0000019"})["EncryptPrivateKey"] is None


def test_detail_goes_through_faults_and_rate_limit(make_client):
    with Emulator(port=0, rate_limit=2) as emu:
        client = make_client(emu)
        emu.add_fault("internal_error", action="DescribeCertificateDetail")
        assert client.code("DescribeCertificateDetail", {"CertificateId": "NoRm0001"}) == "InternalError"
        codes = [client.code("DescribeCertificateDetail", {"CertificateId": "NoRm0001"}) for _attempt in range(3)]
        assert "LimitExceeded.RateLimitExceeded" in codes
        assert client.code("DescribeCertificate", {"CertificateId": "NoRm0001"}) is None  # a limit per action
        assert [entry["params"] for entry in emu.requests if entry["action"] == "DescribeCertificateDetail"][0] == {"CertificateId": "NoRm0001"}


def test_set_values_win_over_generated_material(emulator, client):
    emulator.set_certificate("SoOn0002", fields={"CertificatePublicKey": ""})
    detail = client.call("DescribeCertificateDetail", {"CertificateId": "SoOn0002"})
    assert detail["CertificatePublicKey"] == "" and "PRIVATE KEY" in detail["CertificatePrivateKey"]


def test_material_dir_holds_each_pem_and_key(tmp_path):
    args = build_parser().parse_args(["--material-dir", str(tmp_path / "m"), "--generate", "10"])
    emu = build_emulator(args)
    files = sorted(os.listdir(tmp_path / "m"))
    assert "NoRm0001.crt" in files and "NoRm0001.key" in files and "CaCe0007.crt" in files and "CaCe0007.key" not in files
    assert "NuLl0005.crt" not in files and "G0000010.key" in files
    assert (tmp_path / "m" / "NoRm0001.crt").read_text() == emu.certificates["NoRm0001"]["CertificatePublicKey"]
    assert oct(os.stat(tmp_path / "m" / "NoRm0001.key").st_mode & 0o777) == "0o600"
    lines = private_key_lines(emu.certificates["G0000010"])
    assert len(lines) > 4 and all(line in (tmp_path / "m" / "G0000010.key").read_text() for line in lines)  # both keys of the SM certificate
