"""Requests signed by the official SDK are accepted; tampered or wrongly authenticated ones get the right codes."""

from __future__ import annotations

import json
import time

import pytest
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
from tencentcloud.common import credential
from tencentcloud.common.common_client import CommonClient
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile

BODY = b'{"CertificateId": "NoRm0001"}'


def sdk_client(emulator, secret_id, secret_key, token=None):
    """CommonClient of the official SDK; it signs Host as "127.0.0.1:PORT", which is what it sends."""
    profile = ClientProfile(signMethod="TC3-HMAC-SHA256", httpProfile=HttpProfile(endpoint=emulator.endpoint, protocol="http", reqTimeout=10))
    return CommonClient("ssl", "2019-12-05", credential.Credential(secret_id, secret_key, token), "", profile=profile)


def test_official_sdk_request_is_accepted(emulator):
    response = sdk_client(emulator, DEMO_SECRET_ID, DEMO_SECRET_KEY).call_json("DescribeCertificate", {"CertificateId": "NoRm0001"})
    assert response["Response"]["CertificateId"] == "NoRm0001"
    assert response["Response"]["Domain"] == "www.example.com"
    listing = sdk_client(emulator, DEMO_SECRET_ID, DEMO_SECRET_KEY).call_json("DescribeCertificates", {"CertIds": ["NoRm0001", "SoOn0002"]})
    assert listing["Response"]["TotalCount"] == 2


def test_official_sdk_with_temporary_key_and_token(emulator):
    response = sdk_client(emulator, TEMP_SECRET_ID, TEMP_SECRET_KEY, TEMP_TOKEN).call_json("DescribeCertificate", {"CertificateId": "UnIc0008"})
    assert response["Response"]["Alias"] == "生产环境证书 — ünïcödé ✓"


def test_official_sdk_with_wrong_key_fails_signature(emulator):
    with pytest.raises(TencentCloudSDKException) as caught:
        sdk_client(emulator, DEMO_SECRET_ID, "not-the-key").call_json("DescribeCertificate", {"CertificateId": "NoRm0001"})
    assert caught.value.get_code() == "AuthFailure.SignatureFailure"
    assert caught.value.get_request_id()


def test_extra_keys_from_constructor():
    with Emulator(keys={"AKIDextra": "extra-secret"}, temp_keys={"AKIDextratemp": ("temp-secret", "tok")}) as emu:
        assert sdk_client(emu, "AKIDextra", "extra-secret").call_json("DescribeCertificate", {"CertificateId": "NoRm0001"})
        assert sdk_client(emu, "AKIDextratemp", "temp-secret", "tok").call_json("DescribeCertificate", {"CertificateId": "NoRm0001"})


def test_tampered_body_fails_signature(client):
    headers = client.headers("DescribeCertificate", BODY)
    reply = client.post(headers, b'{"CertificateId": "SoOn0002"}').json()["Response"]
    assert reply["Error"]["Code"] == "AuthFailure.SignatureFailure"
    assert reply["RequestId"]


def test_reserialised_body_fails_signature(client):
    headers = client.headers("DescribeCertificate", BODY)
    reply = client.post(headers, json.dumps(json.loads(BODY), separators=(",", ":")).encode()).json()["Response"]
    assert reply["Error"]["Code"] == "AuthFailure.SignatureFailure"


def test_tampered_signature_fails(client):
    headers = client.headers("DescribeCertificate", BODY)
    last = headers["Authorization"][-1]
    headers["Authorization"] = headers["Authorization"][:-1] + ("0" if last != "0" else "1")
    assert client.post(headers, BODY).json()["Response"]["Error"]["Code"] == "AuthFailure.SignatureFailure"


def test_signed_host_must_match_sent_host(client):
    headers = client.headers("DescribeCertificate", BODY)
    headers["Host"] = "ssl.tencentcloudapi.com"
    assert client.post(headers, BODY).json()["Response"]["Error"]["Code"] == "AuthFailure.SignatureFailure"


def test_unknown_secret_id(client):
    assert client.code("DescribeCertificate", {"CertificateId": "NoRm0001"}, secret_id="AKIDnobody") == "AuthFailure.SecretIdNotFound"


# 305, not 301: a timestamp int(now) + 301 is only 300.x seconds ahead once the request has taken most of a second to
# arrive (a loaded machine), and is then rightly accepted; the margin keeps the check about "more than 300 seconds".
@pytest.mark.parametrize("skew", [-305, 305, 3600])
def test_skewed_timestamp_expires(client, skew):
    response = client.call("DescribeCertificate", {"CertificateId": "NoRm0001"}, timestamp=int(time.time()) + skew)
    assert response["Error"]["Code"] == "AuthFailure.SignatureExpire"
    assert "differs from server time" in response["Error"]["Message"]


def test_small_skew_is_tolerated(client):
    assert client.code("DescribeCertificate", {"CertificateId": "NoRm0001"}, timestamp=int(time.time()) - 250) is None


def test_server_clock_offset_simulates_a_skewed_client(emulator, client):
    emulator.configure(clock_offset=-600)
    assert client.code("DescribeCertificate", {"CertificateId": "NoRm0001"}) == "AuthFailure.SignatureExpire"
    assert client.code("DescribeCertificate", {"CertificateId": "NoRm0001"}, timestamp=int(time.time()) - 600) is None


def test_temporary_key_needs_its_token(client):
    params = {"CertificateId": "NoRm0001"}
    assert client.code("DescribeCertificate", params, secret_id=TEMP_SECRET_ID, secret_key=TEMP_SECRET_KEY) == "AuthFailure.TokenFailure"
    assert client.code("DescribeCertificate", params, secret_id=TEMP_SECRET_ID, secret_key=TEMP_SECRET_KEY, token="wrong") == "AuthFailure.TokenFailure"
    assert client.code("DescribeCertificate", params, secret_id=TEMP_SECRET_ID, secret_key=TEMP_SECRET_KEY, token=TEMP_TOKEN) is None


def test_expired_temporary_key(emulator, client):
    emulator.add_temp_key("AKIDold", "old-secret", "old-token", expires=time.time() - 1)
    assert (
        client.code("DescribeCertificate", {"CertificateId": "NoRm0001"}, secret_id="AKIDold", secret_key="old-secret", token="old-token")
        == "AuthFailure.TokenFailure"
    )


@pytest.mark.parametrize("action", ["DescribeCertificate", "DescribeCertificates"])
def test_denied_key_is_unauthorized(client, action):
    response = client.call(action, {"CertificateId": "NoRm0001"}, secret_id=DENIED_SECRET_ID, secret_key=DENIED_SECRET_KEY)
    assert response["Error"]["Code"] == "AuthFailure.UnauthorizedOperation"
    assert "ssl:%s" % action in response["Error"]["Message"]


@pytest.mark.parametrize(
    "header, value, code",
    [
        ("X-TC-Action", "DeleteCertificate", "InvalidAction"),
        ("X-TC-Action", None, "InvalidAction"),
        ("X-TC-Version", "2018-01-01", "NoSuchVersion"),
        ("X-TC-Timestamp", "soon", "InvalidParameter"),
        ("X-TC-Timestamp", None, "MissingParameter"),
        ("Content-Type", "application/json; charset=utf-8", "UnsupportedProtocol"),
        ("Authorization", None, "AuthFailure.InvalidAuthorization"),
        ("Authorization", "TC3-HMAC-SHA256 garbage", "AuthFailure.InvalidAuthorization"),
    ],
)
def test_protocol_errors(client, header, value, code):
    headers = client.headers("DescribeCertificate", BODY)
    if value is None:
        del headers[header]
    else:
        headers[header] = value
    reply = client.post(headers, BODY)
    assert reply.status_code == 200
    response = reply.json()["Response"]
    assert response["Error"]["Code"] == code
    assert response["RequestId"]


def test_get_is_rejected(emulator, client):
    assert client.session.get(emulator.url + "/?CertificateId=NoRm0001", timeout=5).json()["Response"]["Error"]["Code"] == "UnsupportedProtocol"


def test_scope_must_be_ssl_and_sign_host(client):
    headers = client.headers("DescribeCertificate", BODY)
    headers["Authorization"] = headers["Authorization"].replace("/ssl/", "/cvm/")
    assert client.post(headers, BODY).json()["Response"]["Error"]["Code"] == "AuthFailure.InvalidAuthorization"
    headers = client.headers("DescribeCertificate", BODY)
    headers["Authorization"] = headers["Authorization"].replace("SignedHeaders=content-type;host", "SignedHeaders=content-type")
    assert client.post(headers, BODY).json()["Response"]["Error"]["Code"] == "AuthFailure.InvalidAuthorization"


def test_scope_date_must_be_utc_date_of_timestamp(client):
    headers = client.headers("DescribeCertificate", BODY)
    date = headers["Authorization"].split("/")[1]
    headers["Authorization"] = headers["Authorization"].replace("/%s/" % date, "/1999-01-01/")
    assert client.post(headers, BODY).json()["Response"]["Error"]["Code"] == "AuthFailure.SignatureFailure"


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b"\xff\xfe", b""])
def test_body_must_be_a_json_object(client, body):
    response = client.post(client.headers("DescribeCertificate", body), body).json()["Response"]
    assert response["Error"]["Code"] == "InvalidParameter"
