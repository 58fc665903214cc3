"""TC3-HMAC-SHA256 signature parsing and verification for the emulator.

Written from the published algorithm, independently of the collection's own
signer, so that the emulator is a real check of ``plugins/``.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import re
from collections import namedtuple

ALGORITHM = "TC3-HMAC-SHA256"
TERMINATOR = "tc3_request"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"

Authorization = namedtuple("Authorization", "secret_id date service signed_headers signature")

_AUTH_RE = re.compile(r"^TC3-HMAC-SHA256 Credential=(?P<credential>[^,\s]+), SignedHeaders=(?P<signed>[^,\s]+), Signature=(?P<signature>[0-9a-fA-F]+)$")


class AuthorizationError(ValueError):
    """The Authorization header is missing or malformed."""


def parse_authorization(value: str | None) -> Authorization:
    """Split an Authorization header into its parts, raising AuthorizationError when malformed."""
    if not value:
        raise AuthorizationError("the Authorization header is missing")
    match = _AUTH_RE.match(value.strip())
    if not match:
        raise AuthorizationError(
            "the Authorization header is not of the form 'TC3-HMAC-SHA256 Credential=<id>/<date>/<service>/tc3_request, SignedHeaders=<h1;h2>, Signature=<hex>'"
        )
    parts = match.group("credential").split("/")
    if len(parts) != 4 or not all(parts):
        raise AuthorizationError("the Credential of the Authorization header must be <SecretId>/<date>/<service>/tc3_request")
    if parts[3] != TERMINATOR:
        raise AuthorizationError("the credential scope must end with tc3_request")
    signed = match.group("signed").split(";")
    if any(name != name.lower() or not name for name in signed):
        raise AuthorizationError("SignedHeaders must be non-empty lower-case header names separated by ';'")
    return Authorization(parts[0], parts[1], parts[2], signed, match.group("signature").lower())


def scope_date(timestamp: int) -> str:
    """UTC calendar date of a Unix timestamp, as used in the credential scope."""
    return datetime.datetime.fromtimestamp(timestamp, tz=datetime.timezone.utc).strftime("%Y-%m-%d")


def canonical_headers(headers: dict[str, str], signed_headers: list[str]) -> str:
    """Canonical header block: ``name:lower(trim(value))\\n`` for each signed header, in the given order."""
    return "".join("%s:%s\n" % (name, headers[name].strip().lower()) for name in signed_headers)


def canonical_request(method: str, query: str, headers: dict[str, str], signed_headers: list[str], payload_hash: str) -> str:
    """Build the canonical request; the canonical URI of API 3.0 is always '/'."""
    return "\n".join([method.upper(), "/", query, canonical_headers(headers, signed_headers), ";".join(signed_headers), payload_hash])


def string_to_sign(timestamp: int, date: str, service: str, canonical: str) -> str:
    """The string that the derived key signs."""
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return "\n".join([ALGORITHM, str(timestamp), "%s/%s/%s" % (date, service, TERMINATOR), digest])


def signing_key(secret_key: str, date: str, service: str) -> bytes:
    """Derive kSigning = HMAC(HMAC(HMAC("TC3" + key, date), service), "tc3_request")."""
    k_date = hmac.new(("TC3" + secret_key).encode("utf-8"), date.encode("utf-8"), hashlib.sha256).digest()
    k_service = hmac.new(k_date, service.encode("utf-8"), hashlib.sha256).digest()
    return hmac.new(k_service, TERMINATOR.encode("utf-8"), hashlib.sha256).digest()


def payload_hash(body: bytes, unsigned: bool = False) -> str:
    """Hex SHA-256 of the exact body bytes (or of the UNSIGNED-PAYLOAD literal when the client opted out)."""
    return hashlib.sha256(UNSIGNED_PAYLOAD.encode("ascii") if unsigned else body).hexdigest()


def compute_signature(secret_key: str, timestamp: int, date: str, service: str, canonical: str) -> str:
    """Hex signature of a canonical request."""
    to_sign = string_to_sign(timestamp, date, service, canonical)
    return hmac.new(signing_key(secret_key, date, service), to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def sign(
    secret_key: str,
    timestamp: int,
    service: str,
    headers: dict[str, str],
    signed_headers: list[str],
    body: bytes,
    method: str = "POST",
    query: str = "",
    date: str | None = None,
) -> str:
    """Signature of a whole request; ``headers`` maps lower-case names to values (helper for tests and tools)."""
    date = date or scope_date(timestamp)
    canonical = canonical_request(method, query, headers, signed_headers, payload_hash(body))
    return compute_signature(secret_key, timestamp, date, service, canonical)


def build_authorization(
    secret_id: str,
    secret_key: str,
    timestamp: int,
    headers: dict[str, str],
    body: bytes,
    signed_headers: tuple[str, ...] = ("content-type", "host"),
    service: str = "ssl",
) -> str:
    """Authorization header value for a POST request (what a correct client sends)."""
    date = scope_date(timestamp)
    signature = sign(secret_key, timestamp, service, headers, list(signed_headers), body, date=date)
    return "%s Credential=%s/%s/%s/%s, SignedHeaders=%s, Signature=%s" % (ALGORITHM, secret_id, date, service, TERMINATOR, ";".join(signed_headers), signature)


def signature_matches(expected: str, provided: str) -> bool:
    """Constant-time comparison so timing does not leak how much of a forged signature was right."""
    return hmac.compare_digest(expected.encode("ascii"), provided.encode("ascii", "replace"))
