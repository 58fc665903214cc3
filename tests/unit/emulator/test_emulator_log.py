"""The request log (memory and JSONL file), latency and the loopback-only rule."""

from __future__ import annotations

import json
import threading
import time

import pytest
from ansible_collections.cloudcert.tencent.tests.emulator import (
    DEMO_SECRET_ID,
    DEMO_SECRET_KEY,
    TEMP_SECRET_ID,
    TEMP_SECRET_KEY,
    TEMP_TOKEN,
    Emulator,
)


def test_jsonl_log_has_outcomes_and_no_secrets(tmp_path, make_client):
    path = tmp_path / "requests.jsonl"
    with Emulator(log_path=str(path)) as emu:
        client = make_client(emu)
        assert client.code("DescribeCertificate", {"CertificateId": "NoRm0001"}) is None
        assert client.code("DescribeCertificate", {"CertificateId": "nope0000"}) == "FailedOperation.CertificateNotFound"
        assert client.code("DescribeCertificate", {"CertificateId": "NoRm0001"}, secret_id=TEMP_SECRET_ID, secret_key=TEMP_SECRET_KEY, token=TEMP_TOKEN) is None
        assert client.code("DescribeCertificates", {}, secret_key="wrong") == "AuthFailure.SignatureFailure"
        memory = emu.requests
    text = path.read_text(encoding="utf-8")
    for secret in (DEMO_SECRET_KEY, TEMP_SECRET_KEY, TEMP_TOKEN, "TC3-HMAC-SHA256", "Signature="):
        assert secret not in text
    lines = [json.loads(line) for line in text.splitlines()]
    assert lines == memory
    assert [line["outcome"] for line in lines] == ["ok", "FailedOperation.CertificateNotFound", "ok", "AuthFailure.SignatureFailure"]
    assert lines[0]["secret_id"] == DEMO_SECRET_ID and lines[2]["secret_id"] == TEMP_SECRET_ID
    assert lines[0]["params"] == {"CertificateId": "NoRm0001"}
    assert all(set(line) == {"time", "action", "secret_id", "params", "outcome", "http_status", "request_id"} for line in lines)
    assert all(line["http_status"] == 200 and line["request_id"] for line in lines)


def test_count(emulator, client):
    client.code("DescribeCertificate", {"CertificateId": "NoRm0001"})
    client.code("DescribeCertificates", {})
    assert emulator.count() == 2
    assert emulator.count("DescribeCertificate") == 1
    assert emulator.count(outcome="ok") == 2
    assert emulator.count("DescribeCertificates", "InternalError") == 0


def test_latency_applies_without_serialising_requests(make_client):
    requests = 16
    with Emulator(latency=0.25, rate_limit=0) as emu:
        codes = []

        def worker():
            codes.append(make_client(emu).code("DescribeCertificate", {"CertificateId": "NoRm0001"}))

        start = time.monotonic()
        threads = [threading.Thread(target=worker) for _n in range(requests)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - start
    assert codes == [None] * requests
    # Each answer waits its latency; served one after the other they would take requests * 0.25 = 4 s. Half of that
    # proves they overlap, with room for a loaded machine's thread start-up (a bound of 1 s failed there).
    assert 0.25 <= elapsed < requests * 0.25 / 2


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.1", "::1", "example.com"])
def test_only_loopback(host):
    with pytest.raises(ValueError):
        Emulator(host=host)
