# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# This file is PRIVATE to the cloudcert.tencent collection: it may change or go away without notice.
"""The collection's exceptions. Standard library only.

Every error carries a message a person can act on. Front ends translate them: the module into
``fail_json(msg=..., error_code=..., request_id=...)``, the lookup into ``AnsibleLookupError``.
No error ever carries a secret: messages are built from codes, ids and server text only.
"""

from __future__ import annotations


class TencentCloudError(Exception):
    """Base class: ``code`` and ``request_id`` are None when the API never answered."""

    def __init__(self, message: str, *, code: str | None = None, request_id: str | None = None, attempts: int | None = None, action: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.request_id = request_id
        self.attempts = attempts
        self.action = action
        # What the failing call was about ("certificate Juz8JAxn"), set by the layer that knows it.
        self.subject: str | None = None

    def __str__(self) -> str:
        return self.message

    def result_fields(self) -> dict:
        """The extra keys a failed task returns next to ``msg``."""
        fields = {"error_code": self.code, "request_id": self.request_id}
        if self.attempts is not None:
            fields["attempts"] = self.attempts
        return fields


class ApiError(TencentCloudError):
    """HTTP 200 with ``Response.Error``: the service understood the request and refused it."""

    def __init__(self, code: str, message: str, request_id: str | None = None, *, action: str | None = None) -> None:
        self.api_message = message
        super().__init__(message, code=code, request_id=request_id, action=action)


class TransportError(TencentCloudError):
    """No valid API envelope came back: connection failure, timeout, non-200, HTML, bad JSON.

    ``retryable`` is False for failures that waiting cannot fix (a TLS certificate that does not verify).
    """

    def __init__(self, message: str, *, retryable: bool = True, action: str | None = None) -> None:
        super().__init__(message, action=action)
        self.retryable = retryable


class CredentialError(TencentCloudError):
    """No usable credentials, or a credential source that is broken (e.g. a malformed profile file)."""


class ConfigurationError(TencentCloudError):
    """An option value that cannot work (bad endpoint URL, rate_limit <= 0, ...). Names the option."""


class MissingLibraryError(ConfigurationError):
    """A Python library the collection needs (``requests``) is not installed where the code runs."""


class ResponseError(TencentCloudError):
    """A well-formed envelope whose content cannot be used (e.g. a record that is not an object)."""


_GRANT = "the key is valid but CAM denies this action: grant %s to the key's user or role"
# Without the action (never the case for a failed call): the two permissions every read needs.
_READ_PERMISSIONS = "ssl:DescribeCertificate and ssl:DescribeCertificates"
_CAM_DENIED = ("AuthFailure.UnauthorizedOperation", "UnauthorizedOperation")
_THROTTLED = (
    "the API kept throttling the requests (10 per second per action and account) for throttle_timeout seconds: "
    "other clients share the account's limit; raise throttle_timeout, lower rate_limit on every machine, or stagger the jobs"
)
# What a person should do about each code; the server's own text is appended, never matched on.
_ADVICE = {
    "AuthFailure.SignatureFailure": "the signature was rejected: secret_key does not belong to secret_id (a typo, a rotated key, or another account's key)",
    "AuthFailure.SecretIdNotFound": "secret_id is not known to Tencent Cloud: the key was deleted, disabled or mistyped (look for stray spaces)",
    "AuthFailure.InvalidSecretId": "secret_id is not an API key ID (they start with AKID)",
    "AuthFailure.SignatureExpire": "the request time differs from Tencent Cloud's clock by more than 5 minutes: check this host's clock (NTP)",
    "AuthFailure.TokenFailure": "security_token is invalid or expired: temporary keys need the token issued with them, and both expire together",
    "AuthFailure.InvalidAuthorization": "the Authorization header was rejected as malformed; please report this as a bug in cloudcert.tencent",
    "AuthFailure.MFAFailure": "the account requires MFA for this key",
    "FailedOperation.AuthError": "the key may not read this certificate: check its CAM policy for ssl:DescribeCertificate and the certificate's project",
    "FailedOperation.NoProjectPermission": "the key has no permission on the certificate's project",
    "FailedOperation.CertificateNotFound": "the certificate does not exist or this account cannot see it",
    "RequestLimitExceeded": _THROTTLED,
    "LimitExceeded.RateLimitExceeded": _THROTTLED,
    "InternalError": "Tencent Cloud reported an internal error on every attempt; try again later",
    "ServiceUnavailable": "the service was unavailable on every attempt; try again later",
    "InvalidParameter.CertificateIdNumberLimit": "too many certificate ids in one request",
}


def describe_failure(error: TencentCloudError, *, subject: str | None = None) -> str:
    """One actionable sentence for a failed call: what failed, why, what to do, code and request id."""
    parts = []
    subject = subject or error.subject
    # Only a failed API call is "about" a certificate; a credential or option error is not.
    head = " ".join(p for p in (error.action, "for " + subject if subject else None) if p) if error.action else None
    if isinstance(error, ApiError):
        family = error.code.split(".")[0] if error.code else ""
        if error.code in _CAM_DENIED or family == "UnauthorizedOperation":
            advice = _GRANT % ("ssl:" + error.action if error.action else _READ_PERMISSIONS)
        else:
            advice = _ADVICE.get(error.code or "") or _ADVICE.get(family) or "the API refused the request"
        parts.append("%s failed: %s" % (head or "the API call", advice))
        if error.api_message:
            parts.append("(server said: %s)" % error.api_message)
    else:
        parts.append(("%s failed: %s" % (head, error.message)) if head else error.message)
    tags = [t for t in (error.code, "RequestId " + error.request_id if error.request_id else None) if t]
    if error.attempts and error.attempts > 1:
        tags.append("after %d attempts" % error.attempts)
    if tags:
        parts.append("[%s]" % ", ".join(tags))
    return " ".join(parts)
