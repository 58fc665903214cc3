# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""TC3-HMAC-SHA256: Tencent's published worked examples, SDK-generated vectors, and the SDK itself on random requests."""

from __future__ import annotations

import hashlib
import hmac
import json
import string
from unittest import mock

import pytest
from ansible_collections.cloudcert.tencent.plugins.module_utils import _signer
from ansible_collections.cloudcert.tencent.plugins.module_utils._client import connect
from ansible_collections.cloudcert.tencent.plugins.module_utils._credentials import Credential, StaticCredentials
from ansible_collections.cloudcert.tencent.plugins.module_utils._ssl import SSL
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tencentcloud.common import credential as sdk_credential
from tencentcloud.common.common_client import CommonClient
from tencentcloud.common.http.request import RequestInternal
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile

EXAMPLE_ID = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"
EXAMPLE_KEY = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"
# Vectors A and B: the body's backslash-u sequences are literal ASCII, exactly as published.
CVM_BODY = b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
CVM_HEADERS = {"Content-Type": "application/json; charset=utf-8", "Host": "cvm.tencentcloudapi.com", "X-TC-Action": "DescribeInstances"}


def _hmac_hex(key: bytes, msg: str) -> str:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).hexdigest()


def test_payload_hash_of_published_body():
    assert _signer.sha256_hex(CVM_BODY) == "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
    assert _signer.sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_vector_a_signs_x_tc_action_too():
    secret_id, secret_key = "AKID" + "*" * 32, "*" * 32
    signed = ("content-type", "host", "x-tc-action")
    canonical = _signer.canonical_request(method="POST", headers=CVM_HEADERS, payload=CVM_BODY, signed_headers=signed)
    assert canonical == (
        "POST\n/\n\n"
        "content-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\nx-tc-action:describeinstances\n\n"
        "content-type;host;x-tc-action\n35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
    )
    assert _signer.sha256_hex(canonical) == "7019a55be8395899b900fb5564e4200d984910f34794a27cb3fb7d10ff6a1e84"
    to_sign = _signer.string_to_sign(canonical=canonical, timestamp=1551113065, service="cvm")
    assert to_sign == "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n7019a55be8395899b900fb5564e4200d984910f34794a27cb3fb7d10ff6a1e84"
    k_date = hmac.new(("TC3" + secret_key).encode(), b"2019-02-25", hashlib.sha256).digest()
    assert k_date.hex() == "da98fb70dcf6b112dc21038d1eeeb3a95c74b4dcb12c1131f864f6066bd02be0"
    assert _signer.signing_key(secret_key=secret_key, timestamp=1551113065, service="cvm").hex() == (
        "b596b923aad85185e2d1f6659d2a062e0a86731226e021e61bfe06f7ed05f5af"
    )
    sig = _signer.signature(secret_key=secret_key, timestamp=1551113065, service="cvm", to_sign=to_sign)
    assert sig == "10b1a37a7301a02ca19a647ad722d5e43b4b3cff309d421d85b46093f6ab6c4f"
    auth = _signer.authorization(
        secret_id=secret_id,
        secret_key=secret_key,
        service="cvm",
        timestamp=1551113065,
        method="POST",
        headers=CVM_HEADERS,
        payload=CVM_BODY,
        signed_headers=signed,
    )
    assert auth == (
        "TC3-HMAC-SHA256 Credential=AKID********************************/2019-02-25/cvm/tc3_request, "
        "SignedHeaders=content-type;host;x-tc-action, Signature=10b1a37a7301a02ca19a647ad722d5e43b4b3cff309d421d85b46093f6ab6c4f"
    )


def test_vector_a_signed_header_order_does_not_matter():
    common = dict(secret_id="AKID", secret_key="k", service="cvm", timestamp=1551113065, method="POST", headers=CVM_HEADERS, payload=CVM_BODY)
    one = _signer.authorization(signed_headers=("x-tc-action", "Host", "content-type"), **common)
    two = _signer.authorization(signed_headers=("content-type", "host", "x-tc-action"), **common)
    assert one == two
    assert "SignedHeaders=content-type;host;x-tc-action," in one


def test_vector_b_sdk_header_set_with_charset():
    canonical = _signer.canonical_request(method="POST", headers=CVM_HEADERS, payload=CVM_BODY)
    assert canonical == (
        "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\n"
        "content-type;host\n35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
    )
    assert _signer.sha256_hex(canonical) == "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
    to_sign = _signer.string_to_sign(canonical=canonical, timestamp=1551113065, service="cvm")
    assert to_sign == "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
    assert _signer.signing_key(secret_key=EXAMPLE_KEY, timestamp=1551113065, service="cvm").hex() == (
        "ac658d5dde49e9bfdd14e04e062f66b05d9f637d44b8a8d845327d4a77f666b1"
    )
    auth = _signer.authorization(
        secret_id=EXAMPLE_ID, secret_key=EXAMPLE_KEY, service="cvm", timestamp=1551113065, method="POST", headers=CVM_HEADERS, payload=CVM_BODY
    )
    assert auth == (
        "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, "
        "SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
    )


def test_demo_repo_masked_key_is_not_vector_b():
    auth = _signer.authorization(
        secret_id="AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******",
        secret_key="Gu5t9xGARNpq86cd98joQYCN3*******",
        service="cvm",
        timestamp=1551113065,
        method="POST",
        headers=CVM_HEADERS,
        payload=CVM_BODY,
    )
    assert auth.endswith("Signature=2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c")


def test_vector_v1_describe_certificate():
    body = b'{"CertificateId": "Juz8JAxn"}'
    assert _signer.sha256_hex(body) == "ab3262dadeceee2473b9653ae02fe692fb867c16d8f0b23011ce7f71d2b9ccd3"
    headers = {"Content-Type": "application/json", "Host": "ssl.tencentcloudapi.com"}
    canonical = _signer.canonical_request(method="POST", headers=headers, payload=body)
    assert canonical == (
        "POST\n/\n\ncontent-type:application/json\nhost:ssl.tencentcloudapi.com\n\ncontent-type;host\n"
        "ab3262dadeceee2473b9653ae02fe692fb867c16d8f0b23011ce7f71d2b9ccd3"
    )
    assert _signer.sha256_hex(canonical) == "d348742721c18b01738aa099deeb73f553c7effa76e9eebebdd547902f53fffe"
    to_sign = _signer.string_to_sign(canonical=canonical, timestamp=1700000000, service="ssl")
    assert to_sign == "TC3-HMAC-SHA256\n1700000000\n2023-11-14/ssl/tc3_request\nd348742721c18b01738aa099deeb73f553c7effa76e9eebebdd547902f53fffe"
    assert _hmac_hex(("TC3" + EXAMPLE_KEY).encode(), "2023-11-14") == "887d0077ac19ed5cba18590a4fe79f7e1d851a9b05bd4e02a3af730156456978"
    assert _signer.signing_key(secret_key=EXAMPLE_KEY, timestamp=1700000000, service="ssl").hex() == (
        "f552cc16582e878e70676f99ab16a29c83bef68ca064d19041efdde9884630b9"
    )
    assert _signer.signature(secret_key=EXAMPLE_KEY, timestamp=1700000000, service="ssl", to_sign=to_sign) == (
        "d70da908fac8226f333d368b3b8c59d4156b2af72bc852308ed800310ac8bcf7"
    )
    signed = _signer.sign_json_post(
        secret_id=EXAMPLE_ID, secret_key=EXAMPLE_KEY, service="ssl", host="ssl.tencentcloudapi.com", timestamp=1700000000, payload=body
    )
    assert signed == {
        "Content-Type": "application/json",
        "Host": "ssl.tencentcloudapi.com",
        "Authorization": "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2023-11-14/ssl/tc3_request, "
        "SignedHeaders=content-type;host, Signature=d70da908fac8226f333d368b3b8c59d4156b2af72bc852308ed800310ac8bcf7",
    }


def test_vector_v2_scope_date_is_utc_not_beijing():
    # 1735689599 = 2024-12-31 23:59:59 UTC = 2025-01-01 07:59:59 Beijing: the scope date must be 2024-12-31.
    body = b'{"Offset": 0, "Limit": 1000, "CertIds": ["Juz8JAxn", "a90XEOtj"]}'
    assert _signer.sha256_hex(body) == "2cebc9d9e83036826d7120b3afab484dd62647640991e82cc41ab5212dbd582f"
    assert _signer.utc_date(1735689599) == "2024-12-31"
    assert _signer.credential_scope(1735689599, "ssl") == "2024-12-31/ssl/tc3_request"
    headers = {"Content-Type": "application/json", "Host": "ssl.intl.tencentcloudapi.com"}
    canonical = _signer.canonical_request(method="POST", headers=headers, payload=body)
    assert canonical == (
        "POST\n/\n\ncontent-type:application/json\nhost:ssl.intl.tencentcloudapi.com\n\ncontent-type;host\n"
        "2cebc9d9e83036826d7120b3afab484dd62647640991e82cc41ab5212dbd582f"
    )
    assert _signer.sha256_hex(canonical) == "ea3fca63f44b2f2dd32b9adde4b9fcfbcc5cde12d5f4363755768fe61a54c034"
    to_sign = _signer.string_to_sign(canonical=canonical, timestamp=1735689599, service="ssl")
    assert to_sign == "TC3-HMAC-SHA256\n1735689599\n2024-12-31/ssl/tc3_request\nea3fca63f44b2f2dd32b9adde4b9fcfbcc5cde12d5f4363755768fe61a54c034"
    assert _hmac_hex(("TC3" + EXAMPLE_KEY).encode(), "2024-12-31") == "512697072b7381b1fcd4e9587b4f208263c4226098aa5f6d6f86b5ec1932335e"
    assert _signer.signing_key(secret_key=EXAMPLE_KEY, timestamp=1735689599, service="ssl").hex() == (
        "f98ada415cc66f5202d087776af408ecaa95f62b7d9127d7819b5e6b8fed4326"
    )
    signed = _signer.sign_json_post(
        secret_id=EXAMPLE_ID, secret_key=EXAMPLE_KEY, service="ssl", host="ssl.intl.tencentcloudapi.com", timestamp=1735689599, payload=body
    )
    assert signed["Authorization"] == (
        "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2024-12-31/ssl/tc3_request, "
        "SignedHeaders=content-type;host, Signature=51e01e6ce1209fcaa5fdc9aa03e498eebcfc5c302a8f2c385700cec637d56a48"
    )
    # One second later it is 2025-01-01 in UTC too: the date (and so the key) changes.
    assert _signer.utc_date(1735689600) == "2025-01-01"


def test_vector_v3_get_with_query():
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Host": "ssl.tencentcloudapi.com"}
    canonical = _signer.canonical_request(method="get", headers=headers, payload=b"", query="CertificateId=Juz8JAxn")
    assert canonical == (
        "GET\n/\nCertificateId=Juz8JAxn\ncontent-type:application/x-www-form-urlencoded\nhost:ssl.tencentcloudapi.com\n\n"
        "content-type;host\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    assert _signer.sha256_hex(canonical) == "cbec48ed617afde2eabde61bd62b5d07946f9ba6be8916785e04d9c822e3ce17"
    to_sign = _signer.string_to_sign(canonical=canonical, timestamp=1551113065, service="ssl")
    assert to_sign == "TC3-HMAC-SHA256\n1551113065\n2019-02-25/ssl/tc3_request\ncbec48ed617afde2eabde61bd62b5d07946f9ba6be8916785e04d9c822e3ce17"
    assert _hmac_hex(b"TC3SECRETEXAMPLE", "2019-02-25") == "e49b6dff36c8f44d082398a9615deaea642fb4e36751f6c72b91785f8d5c631a"
    assert _signer.signing_key(secret_key="SECRETEXAMPLE", timestamp=1551113065, service="ssl").hex() == (
        "c2fba97635abe1cbc1f4b25554ebaabc0290e6d82d60d14fbb6dd990d1dd318c"
    )
    auth = _signer.authorization(
        secret_id="AKIDEXAMPLE",
        secret_key="SECRETEXAMPLE",
        service="ssl",
        timestamp=1551113065,
        method="GET",
        headers=headers,
        payload=b"",
        query="CertificateId=Juz8JAxn",
    )
    assert auth == (
        "TC3-HMAC-SHA256 Credential=AKIDEXAMPLE/2019-02-25/ssl/tc3_request, SignedHeaders=content-type;host, "
        "Signature=fd3b256d11623b9856cd980826fc1d05e20760c982e561a30b3b397401ee6602"
    )


def test_signature_depends_on_every_signed_input():
    base = dict(secret_id="AKIDx", secret_key="key", service="ssl", host="ssl.tencentcloudapi.com", timestamp=1700000000, payload=b"{}")
    reference = _signer.sign_json_post(**base)["Authorization"]
    for change in ({"secret_key": "key2"}, {"host": "ssl.intl.tencentcloudapi.com"}, {"timestamp": 1700086400}, {"payload": b"{ }"}, {"service": "cvm"}):
        assert _signer.sign_json_post(**dict(base, **change))["Authorization"] != reference, change
    # The timestamp within the same UTC day does not change the key, but it does change the string to sign.
    assert _signer.sign_json_post(**{**base, "timestamp": 1700000001})["Authorization"] != reference


# ---------------------------------------------------------------------------------------------------------------
# Property test: the official SDK and our signer agree on random requests.

_LABEL = st.from_regex(r"\A[a-z0-9]([a-z0-9-]{0,15}[a-z0-9])?\Z")
_HOSTS = st.one_of(
    st.lists(_LABEL, min_size=1, max_size=4).map(".".join),
    st.sampled_from(["ssl.tencentcloudapi.com", "ssl.intl.tencentcloudapi.com", "ssl.ap-guangzhou.tencentcloudapi.com"]),
    st.tuples(st.lists(_LABEL, min_size=1, max_size=3).map(".".join), st.integers(1, 65535)).map(lambda hp: "%s:%d" % hp),
)
_KEY_CHARS = string.ascii_letters + string.digits + "*+/=_-.!@#$%^&()[]{}"
_KEYS = st.text(alphabet=_KEY_CHARS, min_size=1, max_size=48)
_ACTIONS = st.from_regex(r"\A[A-Za-z][A-Za-z0-9]{0,40}\Z")
_JSON_TEXT = st.text(max_size=30)  # every code point but surrogates: includes non-BMP (emoji, CJK ext B)
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-(2**63), 2**63), st.floats(allow_nan=False, allow_infinity=False), _JSON_TEXT)
_JSON = st.recursive(_SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_JSON_TEXT, inner, max_size=4)), max_leaves=20)
_BODIES = st.dictionaries(_JSON_TEXT, _JSON, max_size=6)
_DAY = 86400
# Any time from 1970 to 2100, and explicitly 16:00-24:00 UTC, which is 00:00-08:00 Beijing time on the next day.
_TIMESTAMPS = st.one_of(
    st.integers(0, 4102444799),
    st.tuples(st.integers(0, 47481), st.integers(16 * 3600, _DAY - 1)).map(lambda d: d[0] * _DAY + d[1]),
)
_OPTIONAL = st.one_of(st.none(), st.text(alphabet=string.ascii_letters + string.digits + "-_=+/", min_size=1, max_size=40))
_REGIONS = st.one_of(st.none(), st.sampled_from(["ap-guangzhou", "ap-shanghai", "na-siliconvalley"]))


def _sdk_request(*, host, action, params, secret_id, secret_key, token, region, timestamp):
    profile = ClientProfile(httpProfile=HttpProfile(endpoint=host), language="en-US")
    client = CommonClient("ssl", "2019-12-05", sdk_credential.Credential(secret_id, secret_key, token), region or "", profile)
    req = RequestInternal(host, "POST", "/")
    fake_time = mock.Mock()
    fake_time.time.return_value = float(timestamp) + 0.75  # the SDK truncates, as we do
    with mock.patch("tencentcloud.common.abstract_client.time", fake_time):
        client._build_req_with_tc3_signature(action, params, req)
    return req


@pytest.mark.filterwarnings("ignore:datetime.datetime.utcfromtimestamp:DeprecationWarning")
@settings(max_examples=500, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    action=_ACTIONS,
    params=_BODIES,
    timestamp=_TIMESTAMPS,
    host=_HOSTS,
    secret_id=_KEYS,
    secret_key=_KEYS,
    token=_OPTIONAL,
    region=_REGIONS,
)
def test_matches_official_sdk(action, params, timestamp, host, secret_id, secret_key, token, region):
    req = _sdk_request(host=host, action=action, params=params, secret_id=secret_id, secret_key=secret_key, token=token, region=region, timestamp=timestamp)
    payload = req.data.encode("utf-8")
    assert json.loads(payload) == json.loads(json.dumps(params))
    ours = _signer.sign_json_post(secret_id=secret_id, secret_key=secret_key, service="ssl", host=host, timestamp=timestamp, payload=payload)
    assert ours["Authorization"] == req.header["Authorization"]
    assert ours["Content-Type"] == req.header["Content-Type"] == "application/json"
    assert ours["Host"] == req.header["Host"] == host

    # The client's full header set agrees with the SDK's on every header both send.
    client = connect(
        SSL,
        credentials=StaticCredentials(Credential(secret_id, secret_key, token, source="test")),
        endpoint=host,
        region=region,
        language="en-US",
    )
    try:
        headers = client._headers(action=action[0].upper() + action[1:], payload=payload, credential=client.credentials.get(), timestamp=timestamp)
    finally:
        client.close()
    sdk_headers = dict(req.header)
    assert sdk_headers.pop("X-TC-RequestClient").startswith("SDK_PYTHON_")
    assert headers.pop("X-TC-RequestClient").startswith("ANSIBLE_CLOUDCERT_TENCENT_")
    assert headers == sdk_headers
