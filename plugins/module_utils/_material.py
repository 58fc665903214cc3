# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# This file is PRIVATE to the cloudcert.tencent collection: it may change or go away without notice.
"""Certificate material: private keys dropped on arrival, PEM blocks checked, fingerprints computed.

Standard library only (base64, hashlib, re), so targets need nothing new. Nothing here ever puts
bytes of an API answer into a message: warnings name the certificate and the block number only,
because a damaged answer of ``DescribeCertificateDetail`` may hold pieces of a private key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re

MATERIAL_KEYS = ("certificate_pem", "certificate_chain", "fingerprints")
FINGERPRINT_ALGORITHMS = ("sha1", "sha256")

# A PEM private key of any kind (PKCS#8, RSA, EC, ENCRYPTED, SM2 ...), or its unterminated start.
_PRIVATE_PEM = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----\r?\n?|\Z)", re.DOTALL)
_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END ([A-Z0-9 ]+)-----", re.DOTALL)
_CERTIFICATE = "CERTIFICATE"


def is_private_key_name(name) -> bool:
    """``CertificatePrivateKey``, ``EncryptPrivateKey``, ``private_key``, ``SMPrivateKey`` ...: any spelling."""
    return isinstance(name, str) and "privatekey" in name.replace("_", "").replace("-", "").lower()


def strip_private_keys(value):
    """Drop every private key from an API answer, in place and at any depth; returns ``value``.

    Keys whose name says "private key" go whatever their value; PEM private-key blocks are cut out
    of any other string, in case a key arrives under a name we do not know (an uploaded bundle).
    """
    if isinstance(value, dict):
        for name in [name for name in value if is_private_key_name(name)]:
            del value[name]
        for name, item in value.items():
            if isinstance(item, str):
                if "PRIVATE KEY" in item:
                    value[name] = _PRIVATE_PEM.sub("", item)
            else:
                strip_private_keys(item)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, str):
                if "PRIVATE KEY" in item:
                    value[index] = _PRIVATE_PEM.sub("", item)
            else:
                strip_private_keys(item)
    return value


def _der_header(data: bytes, offset: int) -> tuple[int, int, int] | None:
    """(tag, start of content, end of content) of the DER element at ``offset``, or None when malformed."""
    if offset + 2 > len(data):
        return None
    tag, first = data[offset], data[offset + 1]
    start = offset + 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        # DER: no indefinite length (0x80), at most 4 length bytes, no leading zero, no long form under 128.
        if count == 0 or count > 4 or start + count > len(data) or data[start] == 0:
            return None
        length = int.from_bytes(data[start : start + count], "big")
        if length < 0x80:
            return None
        start += count
    end = start + length
    return (tag, start, end) if end <= len(data) else None


def _children(der: bytes, start: int, end: int) -> list[int] | None:
    """Tags of the elements that exactly fill der[start:end], or None when they do not."""
    tags = []
    while start < end:
        element = _der_header(der, start)
        if element is None or element[2] > end:
            return None
        tags.append(element[0])
        start = element[2]
    return tags


def looks_like_certificate(der: bytes) -> bool:
    """True when ``der`` has the shape of an X.509 certificate (RFC 5280 section 4.1).

    Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm SEQUENCE, signatureValue BIT STRING },
    tbsCertificate ::= SEQUENCE { [0] version (optional), serial INTEGER, signature, issuer, validity,
    subject, subjectPublicKeyInfo (five SEQUENCEs), optional [1] [2] [3] }, every length exact.
    Enough to refuse garbage, a CSR or a key that happens to be base64 inside a certificate block;
    not a signature check (the API is the source of trust).
    """
    outer = _der_header(der, 0)
    if outer is None or outer[0] != 0x30 or outer[2] != len(der):
        return False
    parts = _children(der, outer[1], outer[2])
    if parts != [0x30, 0x30, 0x03]:
        return False
    tbs = _der_header(der, outer[1])
    fields = _children(der, tbs[1], tbs[2])
    if not fields:
        return False
    if fields[0] == 0xA0:
        fields = fields[1:]
    return fields[:6] == [0x02, 0x30, 0x30, 0x30, 0x30, 0x30] and all(tag in (0xA1, 0xA2, 0xA3) for tag in fields[6:])


def _decode_block(label: str, end_label: str, body: str) -> bytes | None:
    """The DER of one PEM block, or None when it is not a well-formed certificate block."""
    if label != _CERTIFICATE or end_label != _CERTIFICATE or ":" in body:  # RFC 1421 headers: not a plain certificate
        return None
    text = "".join(body.split())
    try:
        der = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return der if looks_like_certificate(der) else None


def to_pem(der: bytes) -> str:
    """RFC 7468 strict PEM: 64-column base64 lines, LF endings, a final newline (as openssl writes it)."""
    text = base64.b64encode(der).decode("ascii")
    lines = [text[index : index + 64] for index in range(0, len(text), 64)]
    return "-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n" % "\n".join(lines)


def fingerprints(der: bytes) -> dict:
    """SHA-1 and SHA-256 of the DER, lower-case hex pairs joined by colons (community.crypto's format)."""
    return {name: ":".join("%02x" % byte for byte in hashlib.new(name, der).digest()) for name in FINGERPRINT_ALGORITHMS}


def parse_certificates(text) -> tuple[list[bytes | None], bool]:
    """(DER or None per PEM block in order, was there anything other than blocks and whitespace?)."""
    if not isinstance(text, str):
        return [], text is not None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    blocks, rest, last = [], [], 0
    for match in _BLOCK.finditer(text):
        rest.append(text[last : match.start()])
        last = match.end()
        blocks.append(_decode_block(match.group(1), match.group(3), match.group(2)))
    rest.append(text[last:])
    return blocks, bool("".join(rest).strip())


def material(public_key, *, subject: str, warn=None) -> dict:
    """The material keys of a record from ``CertificatePublicKey`` (leaf first, then its chain).

    ``certificate_pem`` and ``fingerprints`` are null unless the first block is a certificate;
    ``certificate_chain`` is always a list: the blocks after the first that are certificates, in the
    API's order (broken ones left out). Any problem gives one warning naming ``subject``, never the data.
    """
    blocks, stray = parse_certificates(public_key)
    leaf = blocks[0] if blocks else None
    chain = [to_pem(der) for der in blocks[1:] if der is not None]
    problems = []
    if not blocks and not stray:
        problems.append("no certificate (CertificatePublicKey is %s)" % ("null" if public_key is None else "empty"))
    elif not blocks:
        problems.append("no PEM certificate block in CertificatePublicKey")
    elif leaf is None:
        problems.append("block 1 (the certificate itself) is not a PEM X.509 certificate")
    broken = [str(number) for number, der in enumerate(blocks[1:], start=2) if der is None]
    if broken:
        problems.append("chain block(s) %s not a PEM X.509 certificate, left out" % ", ".join(broken))
    if stray and blocks:
        problems.append("text outside the PEM blocks was ignored")
    if problems and warn is not None:
        nulls = "; certificate_pem and fingerprints are null" if leaf is None else ""
        warn("%s: DescribeCertificateDetail: %s%s" % (subject, "; ".join(problems), nulls))
    return {
        "certificate_pem": to_pem(leaf) if leaf is not None else None,
        "certificate_chain": chain,
        "fingerprints": fingerprints(leaf) if leaf is not None else None,
    }
