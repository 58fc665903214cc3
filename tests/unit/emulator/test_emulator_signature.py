"""The emulator's TC3-HMAC-SHA256 code against the published and SDK-generated test vectors."""

from __future__ import annotations

import pytest
from ansible_collections.cloudcert.tencent.tests.emulator import signature

VECTOR_BODY = b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
CVM_HEADERS = {"content-type": "application/json; charset=utf-8", "host": "cvm.tencentcloudapi.com", "x-tc-action": "DescribeInstances"}


def test_payload_hash_of_official_example():
    assert signature.payload_hash(VECTOR_BODY) == "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"


def test_vector_a_current_official_example_signs_x_tc_action():
    key = "*" * 32
    result = signature.sign(key, 1551113065, "cvm", CVM_HEADERS, ["content-type", "host", "x-tc-action"], VECTOR_BODY)
    assert result == "10b1a37a7301a02ca19a647ad722d5e43b4b3cff309d421d85b46093f6ab6c4f"
    assert signature.signing_key(key, "2019-02-25", "cvm").hex() == "b596b923aad85185e2d1f6659d2a062e0a86731226e021e61bfe06f7ed05f5af"


def test_vector_b_older_official_example():
    canonical = signature.canonical_request("POST", "", CVM_HEADERS, ["content-type", "host"], signature.payload_hash(VECTOR_BODY))
    to_sign = signature.string_to_sign(1551113065, "2019-02-25", "cvm", canonical)
    assert to_sign.endswith("5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031")
    result = signature.compute_signature("Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", 1551113065, "2019-02-25", "cvm", canonical)
    assert result == "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"


@pytest.mark.parametrize(
    "host, timestamp, body, expected",
    [
        ("ssl.tencentcloudapi.com", 1700000000, b'{"CertificateId": "Juz8JAxn"}', "d70da908fac8226f333d368b3b8c59d4156b2af72bc852308ed800310ac8bcf7"),
        (
            "ssl.intl.tencentcloudapi.com",
            1735689599,
            b'{"Offset": 0, "Limit": 1000, "CertIds": ["Juz8JAxn", "a90XEOtj"]}',
            "51e01e6ce1209fcaa5fdc9aa03e498eebcfc5c302a8f2c385700cec637d56a48",
        ),
    ],
)
def test_sdk_vectors_v1_v2(host, timestamp, body, expected):
    headers = {"content-type": "application/json", "host": host}
    assert signature.sign("Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", timestamp, "ssl", headers, ["content-type", "host"], body) == expected


def test_v2_scope_date_is_utc_not_beijing():
    assert signature.scope_date(1735689599) == "2024-12-31"


def test_sdk_vector_v3_get():
    headers = {"content-type": "application/x-www-form-urlencoded", "host": "ssl.tencentcloudapi.com"}
    result = signature.sign("SECRETEXAMPLE", 1551113065, "ssl", headers, ["content-type", "host"], b"", method="GET", query="CertificateId=Juz8JAxn")
    assert result == "fd3b256d11623b9856cd980826fc1d05e20760c982e561a30b3b397401ee6602"


def test_build_authorization_matches_v1():
    value = signature.build_authorization(
        "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
        "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
        1700000000,
        {"content-type": "application/json", "host": "ssl.tencentcloudapi.com"},
        b'{"CertificateId": "Juz8JAxn"}',
    )
    assert value == (
        "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2023-11-14/ssl/tc3_request, "
        "SignedHeaders=content-type;host, Signature=d70da908fac8226f333d368b3b8c59d4156b2af72bc852308ed800310ac8bcf7"
    )
    parsed = signature.parse_authorization(value)
    assert parsed.secret_id == "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"
    assert parsed.date == "2023-11-14"
    assert parsed.service == "ssl"
    assert parsed.signed_headers == ["content-type", "host"]


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "Bearer abc",
        "TC3-HMAC-SHA256 Credential=AKID/2023-11-14/ssl, SignedHeaders=content-type;host, Signature=ab",
        "TC3-HMAC-SHA256 Credential=AKID/2023-11-14/ssl/tc4_request, SignedHeaders=content-type;host, Signature=ab",
        "TC3-HMAC-SHA256 Credential=AKID/2023-11-14/ssl/tc3_request, SignedHeaders=Content-Type;host, Signature=ab",
        "TC3-HMAC-SHA256 Credential=AKID/2023-11-14/ssl/tc3_request,SignedHeaders=content-type;host,Signature=ab",
        "TC3-HMAC-SHA256 Credential=AKID/2023-11-14/ssl/tc3_request, SignedHeaders=content-type;host, Signature=xyz",
    ],
)
def test_malformed_authorization_is_rejected(value):
    with pytest.raises(signature.AuthorizationError):
        signature.parse_authorization(value)
