"""Run-time certificate changes: the Python API and the ``POST /_emulator/certificates`` control endpoint."""

from __future__ import annotations

import datetime

import pytest
import requests
from ansible_collections.cloudcert.tencent.tests.emulator import beijing_time, not_after


def control(emulator, document, status=200):
    reply = requests.post(emulator.url + "/_emulator/certificates", json=document, timeout=10)
    assert reply.status_code == status, reply.text
    return reply.json()


def test_renewal_moves_the_end_time(emulator, client):
    before = client.call("DescribeCertificate", {"CertificateId": "SoOn0002"})["CertEndTime"]
    answer = control(emulator, {"CertificateId": "SoOn0002", "expires_in_days": 200})
    expected = beijing_time(not_after(datetime.datetime.now(datetime.timezone.utc), 200))
    assert answer == {"ok": True, "changed": [{"CertificateId": "SoOn0002", "CertEndTime": expected}]}
    after = client.call("DescribeCertificate", {"CertificateId": "SoOn0002"})
    assert after["CertEndTime"] == expected != before
    assert after["Domain"] == "api.example.com"  # the rest of the record is kept
    listed = client.call("DescribeCertificates", {"CertIds": ["SoOn0002"]})["Certificates"]
    assert listed[0]["CertEndTime"] == expected


def test_fields_override_and_new_certificate(emulator, client):
    control(emulator, [{"CertificateId": "NoRm0001", "fields": {"Alias": "renamed"}}, {"CertificateId": "NeW00010", "expires_in_days": 5}])
    assert client.call("DescribeCertificate", {"CertificateId": "NoRm0001"})["Alias"] == "renamed"
    new = client.call("DescribeCertificate", {"CertificateId": "NeW00010"})
    assert new["CertificateId"] == "NeW00010"
    assert new["CertEndTime"] == beijing_time(not_after(datetime.datetime.now(datetime.timezone.utc), 5))
    assert client.call("DescribeCertificates", {"SearchKey": "NeW0001"})["TotalCount"] == 1


def test_delete(emulator, client):
    total = client.call("DescribeCertificates")["TotalCount"]
    assert control(emulator, {"CertificateId": "ExPd0003", "delete": True}) == {"ok": True, "changed": [{"CertificateId": "ExPd0003", "deleted": True}]}
    assert client.code("DescribeCertificate", {"CertificateId": "ExPd0003"}) == "FailedOperation.CertificateNotFound"
    assert client.call("DescribeCertificates")["TotalCount"] == total - 1
    assert "ExPd0003" not in emulator.certificates
    answer = control(emulator, {"CertificateId": "ExPd0003", "delete": True}, status=404)
    assert answer["ok"] is False and "ExPd0003" in answer["error"]


@pytest.mark.parametrize(
    "document, words",
    [
        ({"CertificateId": "", "expires_in_days": 3}, "CertificateId"),
        ({"CertificateId": "NoRm0001", "expires_in_days": "soon"}, "expires_in_days"),
        ({"CertificateId": "NoRm0001", "fields": ["Alias"]}, "fields"),
        ({"CertificateId": "NoRm0001", "expire_in_days": 3}, "expire_in_days"),
        (["not an object"], "JSON object"),
    ],
)
def test_bad_changes_are_refused(emulator, client, document, words):
    before = client.call("DescribeCertificate", {"CertificateId": "NoRm0001"})
    answer = control(emulator, document, status=400)
    assert answer["ok"] is False and words in answer["error"]
    after = client.call("DescribeCertificate", {"CertificateId": "NoRm0001"})
    assert after["CertEndTime"] == before["CertEndTime"] and after["Alias"] == before["Alias"]


def test_python_api_returns_copies(emulator):
    record = emulator.set_certificate("WiLd0004", expires_in_days=-1)
    record["Domain"] = "changed by the caller"
    assert emulator.certificates["WiLd0004"]["Domain"] == "*.example.com"
    assert emulator.certificates["WiLd0004"]["IsExpiring"] is False
    assert emulator.delete_certificate("WiLd0004") is True
    assert emulator.delete_certificate("WiLd0004") is False
