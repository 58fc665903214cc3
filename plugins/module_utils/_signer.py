# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# This file is PRIVATE to the cloudcert.tencent collection: it may change or go away without notice.
"""TC3-HMAC-SHA256 request signing (Tencent Cloud API 3.0, "signature v3").

Pure functions, standard library only, no I/O and no clock: the timestamp is always passed in so
that the signer can be tested against Tencent's published worked examples and the official SDK.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timezone

ALGORITHM = "TC3-HMAC-SHA256"
CONTENT_TYPE_JSON = "application/json"
# The official SDKs sign exactly these two headers; the server requires at least these.
DEFAULT_SIGNED_HEADERS = ("content-type", "host")


def sha256_hex(data: bytes | str) -> str:
    """Lowercase hex SHA-256 of bytes (str is UTF-8 encoded)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def _hmac_sha256(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def utc_date(timestamp: int) -> str:
    """The credential-scope date: the UTC calendar date, never local or Beijing time."""
    return datetime.fromtimestamp(int(timestamp), tz=timezone.utc).strftime("%Y-%m-%d")


def credential_scope(timestamp: int, service: str) -> str:
    return "%s/%s/tc3_request" % (utc_date(timestamp), service)


def canonical_request(
    *,
    method: str,
    headers: dict[str, str],
    payload: bytes,
    signed_headers: tuple[str, ...] = DEFAULT_SIGNED_HEADERS,
    query: str = "",
) -> str:
    """Build the canonical request string.

    ``headers`` maps header names (any case) to the values actually sent; only ``signed_headers``
    are used, lower-cased and trimmed, in ASCII order as the specification requires.
    """
    lowered = {name.lower(): str(value) for name, value in headers.items()}
    names = sorted(name.lower() for name in signed_headers)
    canonical_headers = "".join("%s:%s\n" % (name, lowered[name].strip().lower()) for name in names)
    return "\n".join(
        [
            method.upper(),
            "/",
            query,
            canonical_headers,
            ";".join(names),
            sha256_hex(payload),
        ]
    )


def string_to_sign(*, canonical: str, timestamp: int, service: str) -> str:
    return "\n".join([ALGORITHM, str(int(timestamp)), credential_scope(timestamp, service), sha256_hex(canonical)])


def signing_key(*, secret_key: str, timestamp: int, service: str) -> bytes:
    k_date = _hmac_sha256(("TC3" + secret_key).encode("utf-8"), utc_date(timestamp))
    k_service = _hmac_sha256(k_date, service)
    return _hmac_sha256(k_service, "tc3_request")


def signature(*, secret_key: str, timestamp: int, service: str, to_sign: str) -> str:
    key = signing_key(secret_key=secret_key, timestamp=timestamp, service=service)
    return hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def authorization(
    *,
    secret_id: str,
    secret_key: str,
    service: str,
    timestamp: int,
    method: str,
    headers: dict[str, str],
    payload: bytes,
    signed_headers: tuple[str, ...] = DEFAULT_SIGNED_HEADERS,
    query: str = "",
) -> str:
    """The complete ``Authorization`` header value for one request."""
    canonical = canonical_request(method=method, headers=headers, payload=payload, signed_headers=signed_headers, query=query)
    to_sign = string_to_sign(canonical=canonical, timestamp=timestamp, service=service)
    sig = signature(secret_key=secret_key, timestamp=timestamp, service=service, to_sign=to_sign)
    names = ";".join(sorted(name.lower() for name in signed_headers))
    return "%s Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (ALGORITHM, secret_id, credential_scope(timestamp, service), names, sig)


def sign_json_post(
    *,
    secret_id: str,
    secret_key: str,
    service: str,
    host: str,
    timestamp: int,
    payload: bytes,
) -> dict[str, str]:
    """Headers that must be sent verbatim with a POST of ``payload`` (exact bytes) to ``host``.

    Returns ``Content-Type``, ``Host`` and ``Authorization``; the caller adds the unsigned X-TC-* headers.
    """
    headers = {"Content-Type": CONTENT_TYPE_JSON, "Host": host}
    headers["Authorization"] = authorization(
        secret_id=secret_id,
        secret_key=secret_key,
        service=service,
        timestamp=timestamp,
        method="POST",
        headers=headers,
        payload=payload,
    )
    return headers
