# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Certificate material: PEM parsing, the X.509 shape check, fingerprints (checked with openssl), private keys dropped."""

from __future__ import annotations

import base64
import datetime
import json
import shutil
import subprocess

import pytest
from ansible_collections.cloudcert.tencent.plugins.module_utils._client import parse_envelope
from ansible_collections.cloudcert.tencent.plugins.module_utils._errors import TransportError
from ansible_collections.cloudcert.tencent.plugins.module_utils._material import (
    fingerprints,
    is_private_key_name,
    looks_like_certificate,
    material,
    parse_certificates,
    strip_private_keys,
    to_pem,
)
from ansible_collections.cloudcert.tencent.plugins.module_utils._ssl import SSL
from ansible_collections.cloudcert.tencent.tests.emulator.material import GARBAGE_BLOCK, NOT_BASE64_BLOCK, Authority, key_pem
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

NOW = datetime.datetime.now(datetime.timezone.utc)
OPENSSL = shutil.which("openssl") or "openssl"  # required: the fingerprints are checked against it


@pytest.fixture(scope="module")
def ca():
    return Authority(NOW)


@pytest.fixture(scope="module")
def leaf(ca):
    cert, key = ca.leaf("www.example.com", ["www.example.com", "example.com"], NOW - datetime.timedelta(days=1), NOW + datetime.timedelta(days=90))
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key


def _der(pem: str) -> bytes:
    return x509.load_pem_x509_certificate(pem.encode()).public_bytes(serialization.Encoding.DER)


def _openssl_fingerprint(pem: str, algorithm: str) -> str:
    out = subprocess.run([OPENSSL, "x509", "-noout", "-fingerprint", "-" + algorithm], input=pem.encode(), capture_output=True, check=True).stdout.decode()
    # "sha256 Fingerprint=AB:CD:..." (the prefix differs between OpenSSL versions)
    return out.strip().split("=", 1)[1].lower()


def _warnings():
    seen = []
    return seen, seen.append


@pytest.mark.parametrize("algorithm", ["sha1", "sha256"])
def test_fingerprints_equal_openssl_lower_cased(leaf, ca, algorithm):
    pem, _key = leaf
    for certificate in (pem, ca.issuer_pem, ca.root_pem):
        assert fingerprints(_der(certificate))[algorithm] == _openssl_fingerprint(certificate, algorithm)


def test_fingerprint_format_is_lower_case_hex_pairs_with_colons(leaf):
    result = fingerprints(_der(leaf[0]))
    assert set(result) == {"sha1", "sha256"}
    assert len(result["sha1"].split(":")) == 20 and len(result["sha256"].split(":")) == 32
    assert result["sha256"] == result["sha256"].lower() and all(len(pair) == 2 for pair in result["sha256"].split(":"))


def test_leaf_and_chain_in_order(leaf, ca):
    seen, warn = _warnings()
    result = material(leaf[0] + ca.issuer_pem + ca.root_pem, subject="certificate X", warn=warn)
    assert result["certificate_pem"] == leaf[0]  # cryptography writes strict PEM, which is what we write back
    assert result["certificate_chain"] == [ca.issuer_pem, ca.root_pem]
    assert result["fingerprints"] == fingerprints(_der(leaf[0]))
    assert seen == []


def test_leaf_alone_has_an_empty_chain(leaf):
    result = material(leaf[0], subject="certificate X")
    assert result["certificate_pem"] == leaf[0] and result["certificate_chain"] == []


@pytest.mark.parametrize(
    "mangle",
    [
        lambda text: text.replace("\n", "\r\n"),
        lambda text: text.replace("\n", "\r"),
        lambda text: "\n\n  " + text.replace("\n", " \n\t") + "\n\n",
        lambda text: text.replace("\n", "\n    "),  # indented, as YAML block scalars sometimes leave it
        lambda text: _rewrap(text, 76),
        lambda text: text.rstrip("\n"),
    ],
    ids=["crlf", "cr", "whitespace", "indented", "76-columns", "no-final-newline"],
)
def test_line_endings_and_whitespace_do_not_matter(leaf, ca, mangle):
    seen, warn = _warnings()
    result = material(mangle(leaf[0] + ca.issuer_pem), subject="certificate X", warn=warn)
    assert result["certificate_pem"] == leaf[0] and result["certificate_chain"] == [ca.issuer_pem]
    assert seen == []


def _rewrap(pem: str, width: int) -> str:
    blocks = []
    for block in pem.split("-----END CERTIFICATE-----")[:-1]:
        body = "".join(block.replace("-----BEGIN CERTIFICATE-----", "").split())
        blocks.append("-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n" % "\n".join(body[i : i + width] for i in range(0, len(body), width)))
    return "".join(blocks)


@pytest.mark.parametrize("value, word", [(None, "null"), ("", "empty"), ("   \n", "empty")])
def test_no_certificate_gives_nulls_and_one_warning(value, word):
    seen, warn = _warnings()
    result = material(value, subject="certificate NuLl0005", warn=warn)
    assert result == {"certificate_pem": None, "certificate_chain": [], "fingerprints": None}
    assert len(seen) == 1 and "certificate NuLl0005" in seen[0] and word in seen[0] and "certificate_pem and fingerprints are null" in seen[0]


def test_garbage_leaf_keeps_the_chain_that_parses(ca):
    seen, warn = _warnings()
    result = material(NOT_BASE64_BLOCK + ca.issuer_pem + GARBAGE_BLOCK, subject="certificate BaDt0009", warn=warn)
    assert result == {"certificate_pem": None, "certificate_chain": [ca.issuer_pem], "fingerprints": None}
    assert len(seen) == 1
    assert "certificate BaDt0009" in seen[0] and "block 1" in seen[0] and "3" in seen[0]
    # The warning never quotes the data (a damaged answer may hold pieces of a key).
    assert "odd certificate" not in seen[0] and "Tm90" not in seen[0]


def test_garbage_in_the_chain_is_left_out_with_one_warning(leaf, ca):
    seen, warn = _warnings()
    result = material(leaf[0] + GARBAGE_BLOCK + ca.issuer_pem + NOT_BASE64_BLOCK, subject="certificate NoRm0001", warn=warn)
    assert result["certificate_pem"] == leaf[0] and result["fingerprints"] is not None
    assert result["certificate_chain"] == [ca.issuer_pem]
    assert len(seen) == 1 and "2, 4" in seen[0] and "certificate_pem" not in seen[0]


@pytest.mark.parametrize("text", ["garbage", "MIIB" * 40, 42, ["not", "a", "string"]])
def test_text_without_blocks(text):
    seen, warn = _warnings()
    result = material(text, subject="certificate X", warn=warn)
    assert result["certificate_pem"] is None and result["fingerprints"] is None and result["certificate_chain"] == []
    assert len(seen) == 1 and "no PEM certificate block" in seen[0]


def test_stray_text_around_blocks_is_ignored_with_a_warning(leaf):
    seen, warn = _warnings()
    result = material("subject=CN = www.example.com\n" + leaf[0], subject="certificate X", warn=warn)
    assert result["certificate_pem"] == leaf[0]
    assert len(seen) == 1 and "outside the PEM blocks" in seen[0]


def _pem(label: str, der: bytes) -> str:
    body = base64.b64encode(der).decode()
    return "-----BEGIN %s-----\n%s\n-----END %s-----\n" % (label, "\n".join(body[i : i + 64] for i in range(0, len(body), 64)), label)


def _csr_der() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    csr = x509.CertificateSigningRequestBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "csr.example")])).sign(key, hashes.SHA256())
    return csr.public_bytes(serialization.Encoding.DER)


def test_shape_check_refuses_what_is_not_a_certificate(leaf):
    der = _der(leaf[0])
    assert looks_like_certificate(der)
    assert not looks_like_certificate(_csr_der())  # same outer shape, different tbs
    assert not looks_like_certificate(der[:-1])
    assert not looks_like_certificate(der + b"\x00")
    assert not looks_like_certificate(b"")
    assert not looks_like_certificate(b"\x30\x80" + der[2:])  # indefinite length is BER, not DER
    key = serialization.load_pem_private_key(key_pem(leaf[1]).encode(), None).private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    assert not looks_like_certificate(key)


def test_a_csr_or_key_in_a_certificate_block_is_not_a_certificate(leaf):
    blocks, _stray = parse_certificates(_pem("CERTIFICATE", _csr_der()))
    assert blocks == [None]
    blocks, _stray = parse_certificates(_pem("X509 CRL", _der(leaf[0])))
    assert blocks == [None]  # only CERTIFICATE labels count


def test_to_pem_round_trips(leaf):
    assert to_pem(_der(leaf[0])) == leaf[0]


@pytest.mark.parametrize(
    "name, private",
    [
        ("CertificatePrivateKey", True),
        ("EncryptPrivateKey", True),
        ("private_key", True),
        ("SMPRIVATEKEY", True),
        ("Private-Key", True),
        ("CertificatePublicKey", False),
        ("KeyPassword", False),
        ("PrivateKeyless", True),  # anything that says it: better one field too many than one key
    ],
)
def test_private_key_names(name, private):
    assert is_private_key_name(name) is private


def test_private_keys_are_dropped_at_any_depth(leaf):
    key = key_pem(leaf[1])
    answer = {
        "Response": {
            "CertificatePrivateKey": key,
            "EncryptPrivateKey": key,
            "CertificatePublicKey": leaf[0] + key,  # a bundle uploaded with its key
            "Nested": {"Deeper": [{"private_key": key, "keep": 1}, "text " + key + " more", key.replace("\n-----END PRIVATE KEY-----\n", "")]},
            "RequestId": "r-1",
        }
    }
    strip_private_keys(answer)
    flat = repr(answer)
    assert "PRIVATE KEY" not in flat
    assert all(line not in flat for line in key.splitlines()[1:-1])
    response = answer["Response"]
    assert "CertificatePrivateKey" not in response and "EncryptPrivateKey" not in response
    assert response["CertificatePublicKey"] == leaf[0]
    assert response["Nested"]["Deeper"][0] == {"keep": 1}
    assert response["Nested"]["Deeper"][1] == "text  more"
    assert response["RequestId"] == "r-1"


def test_encrypted_and_traditional_keys_are_cut_too(leaf):
    encrypted = key_pem(leaf[1], "pw")
    traditional = leaf[1].private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()).decode()
    assert "ENCRYPTED PRIVATE KEY" in encrypted and "EC PRIVATE KEY" in traditional
    answer = {"A": encrypted, "B": [traditional]}
    assert strip_private_keys(answer) == {"A": "", "B": [""]}


def test_the_client_drops_keys_on_arrival_and_never_quotes_detail_bodies(leaf):
    key = key_pem(leaf[1])
    body = json.dumps({"Response": {"CertificatePrivateKey": key, "CertificatePublicKey": leaf[0], "RequestId": "r"}}).encode()
    response = parse_envelope(status=200, body=body, action="DescribeCertificateDetail", service=SSL)
    assert response == {"CertificatePublicKey": leaf[0], "RequestId": "r"}
    secret_line = key.splitlines()[1]
    for status, cut in ((200, body[: len(body) // 2]), (502, body), (200, b'{"Response": {"CertificatePrivateKey": "' + key.encode()[:60])):
        with pytest.raises(TransportError) as caught:
            parse_envelope(status=status, body=cut, action="DescribeCertificateDetail", service=SSL)
        assert "not quoted" in str(caught.value) and secret_line[:20] not in str(caught.value) and "PRIVATE" not in str(caught.value)
    # Other actions keep their short quote, which helps with proxies answering garbage.
    with pytest.raises(TransportError) as caught:
        parse_envelope(status=200, body=b"upstream error", action="DescribeCertificate", service=SSL)
    assert "'upstream error'" in str(caught.value)
