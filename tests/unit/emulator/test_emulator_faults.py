"""Injected faults: each kind, selectors, counts, FIFO order and the HTTP control endpoint."""

from __future__ import annotations

import json
import time

import pytest
import requests
from ansible_collections.cloudcert.tencent.tests.emulator import FAULT_KINDS

PARAMS = {"CertificateId": "NoRm0001"}
BODY = json.dumps(PARAMS).encode()


def send(client, action="DescribeCertificate", body=BODY, timeout=10):
    return client.post(client.headers(action, body), body, timeout=timeout)


@pytest.mark.parametrize(
    "kind, code",
    [
        ("internal_error", "InternalError"),
        ("request_limit", "RequestLimitExceeded"),
        ("rate_limit", "LimitExceeded.RateLimitExceeded"),
        ("service_unavailable", "ServiceUnavailable"),
        ("unauthorized", "AuthFailure.UnauthorizedOperation"),
    ],
)
def test_api_error_faults(emulator, client, kind, code):
    emulator.add_fault(kind)
    reply = send(client)
    assert reply.status_code == 200
    assert reply.json()["Response"]["Error"]["Code"] == code
    assert reply.json()["Response"]["RequestId"]
    assert emulator.count(outcome=kind) == 1
    assert client.code("DescribeCertificate", PARAMS) is None  # count 1: consumed


@pytest.mark.parametrize("kind, status", [("http_502", 502), ("http_503", 503)])
def test_gateway_faults(emulator, client, kind, status):
    emulator.add_fault(kind)
    reply = send(client)
    assert reply.status_code == status
    assert reply.headers["Content-Type"] == "text/html"
    assert "nginx" in reply.text


def test_reset_fault(emulator, client):
    emulator.add_fault("reset")
    with pytest.raises(requests.exceptions.ConnectionError):
        send(client)
    assert client.code("DescribeCertificate", PARAMS) is None
    assert emulator.requests[0]["outcome"] == "reset"


def test_slow_fault(emulator, client):
    emulator.add_fault("slow", seconds=0.3)
    start = time.monotonic()
    assert send(client).json()["Response"]["CertificateId"] == "NoRm0001"
    assert time.monotonic() - start >= 0.3
    emulator.add_fault("slow", seconds=2)
    with pytest.raises(requests.exceptions.Timeout):
        send(client, timeout=0.3)


def test_truncated_fault(emulator, client):
    emulator.add_fault("truncated")
    reply = send(client)
    assert reply.status_code == 200 and reply.headers["Content-Type"] == "application/json"
    assert reply.content.startswith(b'{"Response": {')
    with pytest.raises(ValueError):
        json.loads(reply.content)


def test_non_json_and_no_response_faults(emulator, client):
    emulator.add_fault("non_json")
    emulator.add_fault("no_response")
    first = send(client)
    assert (first.status_code, first.headers["Content-Type"], first.text) == (200, "text/plain", "upstream error")
    assert send(client).json() == {"Result": "ok"}


def test_wrong_types_fault(emulator, client):
    emulator.add_fault("wrong_types", count=2)
    response = send(client).json()["Response"]
    assert response["Status"] == "1"
    assert isinstance(response["SubjectAltName"], dict)
    assert isinstance(response["Tags"], str)
    item = send(client, "DescribeCertificates", b"{}").json()["Response"]["Certificates"][0]
    assert isinstance(item["Status"], str)


def test_extra_fields_fault(emulator, client):
    emulator.add_fault("extra_fields")
    document = send(client).json()
    response = document["Response"]
    assert "Extra" in document and "FutureTopLevel" in response and "FutureField" in response
    assert response["CertificateExtra"]["FutureNestedField"] == "emulator-extra"
    assert response["CertificateId"] == "NoRm0001" and response["RequestId"]


def test_selectors_count_and_fifo(emulator, client):
    emulator.add_fault("internal_error", count=2, action="DescribeCertificates")
    emulator.add_fault("service_unavailable", certificate_id="SoOn0002")
    emulator.add_fault("request_limit", count=-1, certificate_id="WiLd0004")
    assert client.code("DescribeCertificate", PARAMS) is None
    assert client.code("DescribeCertificate", {"CertificateId": "SoOn0002"}) == "ServiceUnavailable"
    assert client.code("DescribeCertificate", {"CertificateId": "SoOn0002"}) is None
    assert client.code("DescribeCertificates", {"CertIds": ["WiLd0004"]}) == "InternalError"
    assert client.code("DescribeCertificates", {}) == "InternalError"
    assert client.code("DescribeCertificates", {}) is None
    assert [client.code("DescribeCertificates", {"CertIds": ["WiLd0004"]}) for _n in range(3)] == ["RequestLimitExceeded"] * 3
    emulator.reset()
    assert client.code("DescribeCertificates", {"CertIds": ["WiLd0004"]}) is None


def test_fault_validation(emulator):
    with pytest.raises(ValueError):
        emulator.add_fault("meteor_strike")
    with pytest.raises(ValueError):
        emulator.add_fault("internal_error", count=0)
    assert set(FAULT_KINDS) >= {"reset", "slow", "truncated", "http_502"}


def test_faults_do_not_bypass_authentication(emulator, client):
    emulator.add_fault("internal_error")
    assert client.code("DescribeCertificate", PARAMS, secret_key="wrong") == "AuthFailure.SignatureFailure"
    assert client.code("DescribeCertificate", PARAMS) == "InternalError"


def test_http_control_endpoints(emulator, client):
    session = client.session
    assert session.get(emulator.url + "/_emulator/health", timeout=5).json() == {"ok": True}
    answer = session.post(emulator.url + "/_emulator/faults", json={"kind": "internal_error", "count": 1, "action": "DescribeCertificate"}, timeout=5)
    assert answer.json()["ok"] is True
    assert session.post(emulator.url + "/_emulator/faults", json={"kind": "nope"}, timeout=5).status_code == 400
    assert client.code("DescribeCertificate", PARAMS) == "InternalError"
    log = session.get(emulator.url + "/_emulator/requests", timeout=5).json()
    assert [entry["outcome"] for entry in log] == ["internal_error"]
    config = session.post(emulator.url + "/_emulator/config", json={"latency": 0.2, "rate_limit": 3, "clock_offset": 0}, timeout=5).json()
    assert config["config"]["rate_limit"] == 3 and emulator.latency == 0.2
    assert session.post(emulator.url + "/_emulator/reset", timeout=5).json() == {"ok": True}
    assert emulator.requests == []
    assert session.get(emulator.url + "/_emulator/unknown", timeout=5).status_code == 404
