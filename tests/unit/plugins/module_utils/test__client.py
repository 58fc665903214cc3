# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ApiClient over real HTTP against the local emulator: headers, envelope, retries, faults, timeouts, TLS, proxies, concurrency."""

from __future__ import annotations

import inspect
import json
import os
import ssl
import subprocess
import sys
import time

import pytest
import trustme
import yaml
from ansible_collections.cloudcert.tencent.plugins.module_utils import _signer
from ansible_collections.cloudcert.tencent.plugins.module_utils._client import REQUEST_CLIENT, parse_endpoint, parse_envelope
from ansible_collections.cloudcert.tencent.plugins.module_utils._errors import ApiError, ConfigurationError, TransportError, describe_failure
from ansible_collections.cloudcert.tencent.plugins.module_utils._fetch import map_concurrent
from ansible_collections.cloudcert.tencent.plugins.module_utils._ratelimit import ENV_STATE_DIR, default_state_dir
from ansible_collections.cloudcert.tencent.tests.emulator import (
    DEMO_SECRET_ID,
    DEMO_SECRET_KEY,
    DENIED_SECRET_ID,
    DENIED_SECRET_KEY,
    TEMP_SECRET_ID,
    TEMP_SECRET_KEY,
    TEMP_TOKEN,
    Emulator,
)
from ansible_collections.cloudcert.tencent.tests.unit.plugins.module_utils.helpers import CaptureServer, static

COLLECTION_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))


@pytest.fixture(autouse=True)
def _private_rate_limit_state(monkeypatch, tmp_path_factory):
    """Each test's clients share a machine-wide limiter state of their own, never the user's."""
    monkeypatch.setenv(ENV_STATE_DIR, str(tmp_path_factory.mktemp("ratelimit")))


# ---------------------------------------------------------------------------------------------------------------
# Endpoint parsing


@pytest.mark.parametrize(
    "endpoint, url, host",
    [
        ("ssl.tencentcloudapi.com", "https://ssl.tencentcloudapi.com/", "ssl.tencentcloudapi.com"),
        ("  ssl.intl.tencentcloudapi.com  ", "https://ssl.intl.tencentcloudapi.com/", "ssl.intl.tencentcloudapi.com"),
        ("https://ssl.ap-guangzhou.tencentcloudapi.com", "https://ssl.ap-guangzhou.tencentcloudapi.com/", "ssl.ap-guangzhou.tencentcloudapi.com"),
        ("https://gateway.example.com/", "https://gateway.example.com/", "gateway.example.com"),
        ("http://127.0.0.1:8443", "http://127.0.0.1:8443/", "127.0.0.1:8443"),
        ("https://gateway.example.com:9443/", "https://gateway.example.com:9443/", "gateway.example.com:9443"),
        ("SSL.TencentCloudAPI.com", "https://ssl.tencentcloudapi.com/", "ssl.tencentcloudapi.com"),
        ("HTTPS://SSL.TENCENTCLOUDAPI.COM", "https://ssl.tencentcloudapi.com/", "ssl.tencentcloudapi.com"),
        ("http://[::1]:8080", "http://[::1]:8080/", "[::1]:8080"),
        ("https://[2001:DB8::1]/", "https://[2001:db8::1]/", "[2001:db8::1]"),
        ("localhost:8080", "https://localhost:8080/", "localhost:8080"),
    ],
)
def test_parse_endpoint_valid(endpoint, url, host):
    assert parse_endpoint(endpoint) == (url, host)


@pytest.mark.parametrize(
    "endpoint",
    [
        "",
        "   ",
        None,
        "ftp://ssl.tencentcloudapi.com",
        "https://ssl.tencentcloudapi.com/api",
        "https://ssl.tencentcloudapi.com/?a=b",
        "https://ssl.tencentcloudapi.com/#frag",
        "https://user:pass@ssl.tencentcloudapi.com",
        "https://user@ssl.tencentcloudapi.com",
        "https://ssl.tencentcloudapi.com:99999",
        "https://ssl.tencentcloudapi.com:port",
        "ssl tencentcloudapi.com",
        "https://",
        "https://-bad-.example.com",
        "https://ssl_under.example.com",
    ],
)
def test_parse_endpoint_invalid(endpoint):
    with pytest.raises(ConfigurationError) as caught:
        parse_endpoint(endpoint)
    assert str(caught.value).startswith("endpoint:")


# ---------------------------------------------------------------------------------------------------------------
# Envelope parsing (pure)


def test_parse_envelope_success_and_error():
    assert parse_envelope(status=200, body=b'{"Response": {"A": 1, "RequestId": "r"}}', action="X") == {"A": 1, "RequestId": "r"}
    with pytest.raises(ApiError) as caught:
        parse_envelope(status=200, body=b'{"Response": {"Error": {"Code": "C.D", "Message": "msg"}, "RequestId": "rid"}}', action="X")
    assert (caught.value.code, caught.value.api_message, caught.value.request_id, caught.value.action) == ("C.D", "msg", "rid", "X")


@pytest.mark.parametrize(
    "status, body, words",
    [
        (502, b"<html><head><title>502 Bad Gateway</title></head></html>", ["HTTP 502", "502 Bad Gateway"]),
        (200, b'{"Response": {"Request', ["not valid JSON"]),
        (200, b"upstream error", ["not valid JSON", "upstream error"]),
        (200, b'{"Result": "ok"}', ["without a 'Response'"]),
        (200, b"[1, 2]", ["without a 'Response'"]),
        (200, b'{"Response": "text"}', ["without a 'Response'"]),
        (200, b"", ["not valid JSON", "empty body"]),
        (200, b"\xff\xfe\x00garbage", ["not valid JSON"]),
    ],
)
def test_parse_envelope_transport_errors(status, body, words):
    with pytest.raises(TransportError) as caught:
        parse_envelope(status=status, body=body, action="DescribeCertificate")
    assert caught.value.retryable
    for word in words:
        assert word in str(caught.value)


def test_parse_envelope_odd_error_shapes():
    with pytest.raises(ApiError) as caught:
        parse_envelope(status=200, body=b'{"Response": {"Error": "boom"}}', action="X")
    assert caught.value.code == "UnknownError" and caught.value.request_id is None
    with pytest.raises(ApiError) as caught:
        parse_envelope(status=200, body=b'{"Response": {"Error": {"Code": 5}, "RequestId": 7}}', action="X")
    assert caught.value.code == "5" and caught.value.request_id is None


# ---------------------------------------------------------------------------------------------------------------
# Headers on the wire (a capture server sees them verbatim)


def _galaxy_version():
    with open(os.path.join(COLLECTION_ROOT, "galaxy.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)["version"]


def test_headers_sent_without_token_or_region(capture, make_client):
    client = make_client(capture.url)
    before = int(time.time())
    assert client.call("DescribeCertificate", {"CertificateId": "Juz8JAxn", "Z": "é"}) == {"RequestId": "capture-1"}
    seen = capture.seen[-1]
    headers = seen["headers"]
    assert seen["method"] == "POST" and seen["path"] == "/"
    assert headers["Content-Type"] == "application/json"
    assert headers["Host"] == capture.url.split("//")[1]
    assert headers["X-TC-Action"] == "DescribeCertificate"
    assert headers["X-TC-Version"] == "2019-12-05"
    assert headers["X-TC-Language"] == "en-US"
    assert before - 1 <= int(headers["X-TC-Timestamp"]) <= int(time.time()) + 1
    version = _galaxy_version()
    assert headers["X-TC-RequestClient"] == REQUEST_CLIENT
    assert "CLOUDCERT" in REQUEST_CLIENT.upper() and "TENCENT" in REQUEST_CLIENT.upper() and REQUEST_CLIENT.endswith(version)
    assert "X-TC-Token" not in headers and "X-TC-Region" not in headers
    # The exact bytes sent are the bytes signed.
    expected = _signer.sign_json_post(
        secret_id=DEMO_SECRET_ID,
        secret_key=DEMO_SECRET_KEY,
        service="ssl",
        host=headers["Host"],
        timestamp=int(headers["X-TC-Timestamp"]),
        payload=seen["body"],
    )
    assert headers["Authorization"] == expected["Authorization"]
    assert json.loads(seen["body"]) == {"CertificateId": "Juz8JAxn", "Z": "é"}
    assert DEMO_SECRET_KEY not in json.dumps(headers)


def test_headers_sent_with_token_region_and_language(capture, make_client):
    client = make_client(capture.url, credentials=static(TEMP_SECRET_ID, TEMP_SECRET_KEY, TEMP_TOKEN), region="ap-guangzhou", language="zh-CN")
    client.call("DescribeCertificates", {})
    headers = capture.seen[-1]["headers"]
    assert headers["X-TC-Token"] == TEMP_TOKEN
    assert headers["X-TC-Region"] == "ap-guangzhou"
    assert headers["X-TC-Language"] == "zh-CN"
    assert headers["X-TC-Action"] == "DescribeCertificates"
    assert "Credential=%s/" % TEMP_SECRET_ID in headers["Authorization"]


def test_empty_region_is_not_sent(capture, make_client):
    make_client(capture.url, region="").call("DescribeCertificate", {})
    assert "X-TC-Region" not in capture.seen[-1]["headers"]


# ---------------------------------------------------------------------------------------------------------------
# Against the emulator


def test_describe_and_api_calls_counter(emulator, client):
    response = client.call("DescribeCertificate", {"CertificateId": "NoRm0001"})
    assert response["CertificateId"] == "NoRm0001"
    assert response["RequestId"] == emulator.requests[-1]["request_id"]
    assert client.api_calls == 1
    listing = client.call("DescribeCertificates", {"Limit": 1000})
    assert listing["TotalCount"] == 9 and len(listing["Certificates"]) == 9
    assert client.api_calls == 2


def test_temporary_keys_with_token(emulator, make_client):
    client = make_client(emulator.url, credentials=static(TEMP_SECRET_ID, TEMP_SECRET_KEY, TEMP_TOKEN))
    assert client.call("DescribeCertificate", {"CertificateId": "SoOn0002"})["CertificateId"] == "SoOn0002"


def test_api_error_fields(emulator, client):
    with pytest.raises(ApiError) as caught:
        client.call("DescribeCertificate", {"CertificateId": "NoSuch99"})
    error = caught.value
    assert error.code == "FailedOperation.CertificateNotFound"
    assert error.api_message == error.message == "certificate does not exist"
    assert error.request_id == emulator.requests[-1]["request_id"]
    assert error.action == "DescribeCertificate"
    assert error.attempts == 1
    assert error.result_fields() == {"error_code": "FailedOperation.CertificateNotFound", "request_id": error.request_id, "attempts": 1}
    assert emulator.count() == 1  # not retried


@pytest.mark.parametrize(
    "credentials, code",
    [
        (static("AKIDunknown0000000000000000000000001", "whatever"), "AuthFailure.SecretIdNotFound"),
        (static(DEMO_SECRET_ID, "wrong-secret-key"), "AuthFailure.SignatureFailure"),
        (static(DENIED_SECRET_ID, DENIED_SECRET_KEY), "AuthFailure.UnauthorizedOperation"),
        (static(TEMP_SECRET_ID, TEMP_SECRET_KEY), "AuthFailure.TokenFailure"),
        (static(TEMP_SECRET_ID, TEMP_SECRET_KEY, "wrong-token"), "AuthFailure.TokenFailure"),
    ],
)
def test_auth_failures_are_not_retried(emulator, make_client, credentials, code):
    warnings = []
    client = make_client(emulator.url, credentials=credentials, retries=5, warn=warnings.append)
    with pytest.raises(ApiError) as caught:
        client.call("DescribeCertificate", {"CertificateId": "NoRm0001"})
    assert caught.value.code == code
    assert caught.value.request_id
    assert emulator.count() == 1
    assert warnings == []
    assert credentials.get().secret_key not in str(caught.value)


def test_skewed_clock_fails_at_once(make_client):
    with Emulator(port=0, rate_limit=0, clock_offset=3600) as emu:
        client = make_client(emu.url, retries=5)
        with pytest.raises(ApiError) as caught:
            client.call("DescribeCertificate", {"CertificateId": "NoRm0001"})
        assert caught.value.code == "AuthFailure.SignatureExpire"
        assert "clock" in describe_failure(caught.value)
        assert emu.count(outcome="AuthFailure.SignatureExpire") == 1


API_FAULTS = {
    "internal_error": "InternalError",
    "request_limit": "RequestLimitExceeded",
    "rate_limit": "LimitExceeded.RateLimitExceeded",
    "service_unavailable": "ServiceUnavailable",
}
TRANSPORT_FAULTS = ("http_502", "http_503", "reset", "truncated", "non_json", "no_response")


@pytest.mark.parametrize("kind", sorted(API_FAULTS) + list(TRANSPORT_FAULTS))
def test_transient_fault_is_retried_to_success(emulator, make_client, kind):
    sleeps, warnings, notes = [], [], []
    client = make_client(emulator.url, retries=3, sleeps=sleeps, warn=warnings.append, note=notes.append)
    emulator.add_fault(kind, count=3, action="DescribeCertificate")
    response = client.call("DescribeCertificate", {"CertificateId": "WiLd0004"})
    assert response["CertificateId"] == "WiLd0004"
    assert emulator.count(action="DescribeCertificate", outcome=kind) == 3
    assert emulator.count(action="DescribeCertificate", outcome="ok") == 1
    assert client.api_calls == 4
    # Repeated throttling of one call is told once as a warning, then at high verbosity only.
    throttling = kind in ("request_limit", "rate_limit")
    assert len(sleeps) == 3 and len(warnings) == (1 if throttling else 3)
    assert len([n for n in notes if "retry" in n]) == (2 if throttling else 0)
    assert all(0 <= delay <= 8.0 for delay in sleeps)


@pytest.mark.parametrize("kind", sorted(API_FAULTS))
def test_persistent_api_fault_raises_with_attempts(emulator, make_client, kind):
    client = make_client(emulator.url, retries=2, throttle_timeout=0)  # 0: throttling gets `retries` too
    emulator.add_fault(kind, count=-1)
    with pytest.raises(ApiError) as caught:
        client.call("DescribeCertificate", {"CertificateId": "NoRm0001"})
    assert caught.value.code == API_FAULTS[kind]
    assert caught.value.attempts == 3
    assert caught.value.request_id == emulator.requests[-1]["request_id"]
    assert emulator.count(outcome=kind) == 3


@pytest.mark.parametrize("kind", TRANSPORT_FAULTS)
def test_persistent_transport_fault_raises_with_attempts(emulator, make_client, kind):
    client = make_client(emulator.url, retries=1)
    emulator.add_fault(kind, count=-1)
    with pytest.raises(TransportError) as caught:
        client.call("DescribeCertificate", {"CertificateId": "NoRm0001"})
    assert caught.value.attempts == 2
    assert caught.value.action == "DescribeCertificate"
    assert caught.value.code is None
    assert emulator.count(outcome=kind) == 2


def test_gateway_html_is_summarised(emulator, make_client):
    emulator.add_fault("http_502", count=-1)
    with pytest.raises(TransportError) as caught:
        make_client(emulator.url, retries=0).call("DescribeCertificate", {"CertificateId": "NoRm0001"})
    assert "HTTP 502" in str(caught.value) and "502 Bad Gateway" in str(caught.value)
    assert "<html>" not in str(caught.value)


def test_injected_unauthorized_is_not_retried(emulator, make_client):
    emulator.add_fault("unauthorized", count=-1)
    with pytest.raises(ApiError) as caught:
        make_client(emulator.url, retries=5).call("DescribeCertificate", {"CertificateId": "NoRm0001"})
    assert caught.value.code == "AuthFailure.UnauthorizedOperation"
    assert emulator.count() == 1


@pytest.mark.parametrize("kind", ["wrong_types", "extra_fields"])
def test_valid_envelopes_with_odd_content_are_returned(emulator, client, kind):
    emulator.add_fault(kind)
    response = client.call("DescribeCertificate", {"CertificateId": "NoRm0001"})
    assert response["CertificateId"] == "NoRm0001"
    assert emulator.count() == 1


def test_timeout_then_success(emulator, make_client):
    client = make_client(emulator.url, retries=2, timeout=0.3)
    emulator.add_fault("slow", seconds=1.0)
    assert client.call("DescribeCertificate", {"CertificateId": "NoRm0001"})["CertificateId"] == "NoRm0001"
    assert client.api_calls == 2


def test_timeout_exhausts_retries(emulator, make_client):
    client = make_client(emulator.url, retries=1, timeout=0.3)
    emulator.add_fault("slow", count=2, seconds=1.0)
    with pytest.raises(TransportError) as caught:
        client.call("DescribeCertificate", {"CertificateId": "NoRm0001"})
    assert "timeout=0.3" in str(caught.value)
    assert caught.value.attempts == 2


def test_connection_refused_is_transport_error(make_client):
    with Emulator(port=0) as emu:
        url = emu.url
    with pytest.raises(TransportError) as caught:
        make_client(url, retries=1).call("DescribeCertificate", {})
    assert caught.value.attempts == 2
    assert "cannot reach 127.0.0.1" in str(caught.value)


# ---------------------------------------------------------------------------------------------------------------
# TLS


@pytest.fixture(scope="module")
def tls_ca():
    return trustme.CA()


@pytest.fixture
def tls_emulator(tls_ca):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls_ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    with Emulator(port=0, rate_limit=0, ssl_context=context) as emu:
        yield emu


def test_tls_default_verification_rejects_private_ca(tls_emulator, make_client, monkeypatch):
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"):
        monkeypatch.delenv(name, raising=False)
    client = make_client(tls_emulator.url, retries=3)
    assert client.url.startswith("https://")
    with pytest.raises(TransportError) as caught:
        client.call("DescribeCertificate", {"CertificateId": "NoRm0001"})
    assert not caught.value.retryable
    assert caught.value.attempts == 1  # a certificate that does not verify does not heal by waiting
    assert "ca_path" in str(caught.value) and "validate_certs" in str(caught.value)
    assert tls_emulator.count() == 0


@pytest.fixture
def foreign_ca_bundle_env(tmp_path, monkeypatch):
    """REQUESTS_CA_BUNDLE pointing at an unrelated CA: it must not override ca_path or validate_certs."""
    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(other))
    monkeypatch.setenv("CURL_CA_BUNDLE", str(other))


def test_tls_ca_path_accepts(tls_emulator, tls_ca, make_client, tmp_path, foreign_ca_bundle_env):
    bundle = tmp_path / "ca.pem"
    tls_ca.cert_pem.write_to_path(str(bundle))
    client = make_client(tls_emulator.url, ca_path=str(bundle))
    assert client.call("DescribeCertificate", {"CertificateId": "NoRm0001"})["CertificateId"] == "NoRm0001"


def test_tls_validate_certs_false(tls_emulator, make_client, foreign_ca_bundle_env):
    client = make_client(tls_emulator.url, validate_certs=False)
    assert client.call("DescribeCertificate", {"CertificateId": "CaCe0007"})["CertificateType"] == "CA"


# ---------------------------------------------------------------------------------------------------------------
# Proxies from the environment


def test_https_proxy_is_used_for_remote_hosts(make_client, monkeypatch):
    proxy = CaptureServer(reply=(403, b"no"))
    try:
        for name in ("NO_PROXY", "no_proxy", "https_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        client = make_client("ssl.example.invalid", retries=0)
        with pytest.raises(TransportError):
            client.call("DescribeCertificate", {})
        assert proxy.seen and proxy.seen[0]["method"] == "CONNECT"
        assert proxy.seen[0]["path"] == "ssl.example.invalid:443"
    finally:
        proxy.close()


def _record_connected_at_permit(client) -> list:
    """Wrap the limiter: note whether the connection asking for a permit is already connected."""
    seen, real = [], client.limiter.acquire

    def acquire(action):
        connection = inspect.currentframe().f_back.f_locals.get("self")  # the urllib3 connection about to write
        seen.append(getattr(connection, "sock", None) is not None)
        assert action == "DescribeCertificate"  # the limit is per action, handed down by the transport
        real(action)

    client.limiter.acquire = acquire
    return seen


def test_permit_is_taken_after_connecting(emulator, make_client):
    """The server counts arrivals: a handshake must not sit between our permit and the request."""
    client = make_client(emulator.url)
    seen = _record_connected_at_permit(client)
    for _index in range(3):
        client.call("DescribeCertificate", {"CertificateId": "NoRm0001"})
    assert seen == [True, True, True]


def test_permit_is_taken_after_the_tls_handshake(make_client, tmp_path):
    import trustme

    authority = trustme.CA()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    ca_file = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    with Emulator(port=0, rate_limit=0, ssl_context=context) as emu:
        client = make_client(emu.url, ca_path=str(ca_file))
        seen = _record_connected_at_permit(client)
        client.call("DescribeCertificate", {"CertificateId": "NoRm0001"})
    assert seen == [True]


def test_netrc_cannot_replace_the_signature(emulator, make_client, monkeypatch, tmp_path):
    """requests would put Basic auth from ~/.netrc over our Authorization header for a matching host."""
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine 127.0.0.1 login someone password something\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("NETRC", str(netrc))
    client = make_client(emulator.url)
    assert client.call("DescribeCertificate", {"CertificateId": "NoRm0001"})["CertificateId"] == "NoRm0001"


def test_no_proxy_bypasses_the_proxy(emulator, make_client, monkeypatch):
    proxy = CaptureServer(reply=(403, b"no"))
    try:
        for name in ("http_proxy", "https_proxy", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        client = make_client(emulator.url, retries=0)
        assert client.call("DescribeCertificate", {"CertificateId": "NoRm0001"})["CertificateId"] == "NoRm0001"
        assert proxy.seen == []
    finally:
        proxy.close()


# ---------------------------------------------------------------------------------------------------------------
# Concurrency


def _emulator_process(tmp_path, *args):
    """The emulator as its own process, as a real server is: no GIL shared with the client under test."""
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
    port_file, log = tmp_path / "port", tmp_path / "requests.jsonl"
    command = [sys.executable, "-m", "tests.emulator", "--port", "0", "--port-file", str(port_file), "--log", str(log)] + list(args)
    process = subprocess.Popen(command, cwd=root, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while not port_file.exists():
        assert process.poll() is None and time.monotonic() < deadline, process.stderr.read() if process.poll() is not None else "no port"
        time.sleep(0.05)
    return process, "http://127.0.0.1:%s" % port_file.read_text().strip(), log


def test_fifty_concurrent_describes_within_the_rate_limit(make_client, tmp_path):
    ids = ["NoRm0001", "SoOn0002", "ExPd0003", "WiLd0004", "NuLl0005", "KeYp0006", "CaCe0007", "UnIc0008", "BaDt0009"]
    items = [("G%07d" % n) if n % 3 else ids[n % len(ids)] for n in range(1, 51)]
    process, url, log = _emulator_process(tmp_path, "--rate-limit", "10", "--generate", "60")
    try:
        client = make_client(url, rate_limit=10.0, retries=0)
        started = time.monotonic()
        results = map_concurrent(lambda cert_id: client.call("DescribeCertificate", {"CertificateId": cert_id}), items, workers=20)
        elapsed = time.monotonic() - started
    finally:
        process.terminate()
        process.wait(timeout=20)
    print("\n50 concurrent DescribeCertificate at rate_limit=10 against the emulator (10/s enforced): %.2f s" % elapsed)
    outcomes = [json.loads(line)["outcome"] for line in log.read_text().splitlines()]
    assert [getattr(r, "code", None) for r in results if not isinstance(r, dict)] == []
    assert [r["CertificateId"] for r in results] == items
    assert outcomes.count("LimitExceeded.RateLimitExceeded") == 0
    assert outcomes == ["ok"] * 50


# ---------------------------------------------------------------------------------------------------------------
# Throttling: the machine-wide limiter and the time budget


class _Monotonic:
    """A monotonic clock advanced by the client's (fake) retry sleeps."""

    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def test_throttling_is_retried_beyond_retries_until_it_heals(emulator, make_client):
    clock = _Monotonic()
    client = make_client(emulator.url, retries=1, throttle_timeout=300.0, monotonic=clock)
    client._sleep = clock.sleep
    emulator.add_fault("rate_limit", count=12, action="DescribeCertificate")
    assert client.call("DescribeCertificate", {"CertificateId": "NoRm0001"})["CertificateId"] == "NoRm0001"
    assert emulator.count(outcome="rate_limit") == 12 and client.api_calls == 13
    assert clock.now <= 300.0


def test_throttling_fails_once_the_budget_is_spent(emulator, make_client):
    clock = _Monotonic()
    client = make_client(emulator.url, retries=1, throttle_timeout=30.0, monotonic=clock)
    client._sleep = clock.sleep
    emulator.add_fault("request_limit", count=-1)
    with pytest.raises(ApiError) as caught:
        client.call("DescribeCertificate", {"CertificateId": "NoRm0001"})
    assert caught.value.code == "RequestLimitExceeded"
    assert caught.value.attempts == client.api_calls > 2  # more than retries allows for other failures
    assert sum(clock.sleeps) <= 30.0


def test_other_failures_keep_their_retry_count(emulator, make_client):
    client = make_client(emulator.url, retries=1, throttle_timeout=300.0)
    emulator.add_fault("internal_error", count=-1)
    with pytest.raises(ApiError) as caught:
        client.call("DescribeCertificate", {"CertificateId": "NoRm0001"})
    assert caught.value.attempts == 2


def test_a_throttled_answer_slows_every_client_of_the_key_on_this_machine(emulator, make_client, tmp_path):
    first = make_client(emulator.url, rate_limit=10.0, retries=3, rate_limit_dir=str(tmp_path))
    second = make_client(emulator.url, rate_limit=10.0, rate_limit_dir=str(tmp_path))  # as if another fork
    other_key = make_client(emulator.url, rate_limit=10.0, rate_limit_dir=str(tmp_path), credentials=static(TEMP_SECRET_ID, TEMP_SECRET_KEY, TEMP_TOKEN))
    emulator.add_fault("rate_limit", count=1, action="DescribeCertificate")
    first.call("DescribeCertificate", {"CertificateId": "NoRm0001"})
    assert second.limiter.rate_for("DescribeCertificate") < 10.0  # lowered for the whole machine ...
    assert second.limiter.rate_for("DescribeCertificates") == 10.0  # ... for this action only
    assert other_key.limiter.rate_for("DescribeCertificate") == 10.0  # ... and this key only
    state = "".join(path.read_text() for path in tmp_path.iterdir())
    for secret in (DEMO_SECRET_ID, DEMO_SECRET_KEY, TEMP_SECRET_ID, TEMP_SECRET_KEY, TEMP_TOKEN):
        assert secret not in state and secret not in "".join(os.listdir(tmp_path))


def test_the_state_lives_in_the_configured_directory(emulator, make_client):
    client = make_client(emulator.url)
    client.call("DescribeCertificate", {"CertificateId": "NoRm0001"})
    assert len(os.listdir(default_state_dir())) == 1


def test_shared_rate_limit_off_writes_nothing(emulator, make_client, tmp_path):
    client = make_client(emulator.url, shared_rate_limit=False, rate_limit_dir=str(tmp_path / "never"))
    client.call("DescribeCertificate", {"CertificateId": "NoRm0001"})
    assert not (tmp_path / "never").exists()
