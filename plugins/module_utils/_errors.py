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
        # The CAM permission of the action (from its service's action table), named by the advice when CAM denies it.
        self.permission: str | None = None
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


# STS: what to check when a role cannot be assumed (the subject of these errors is the role).
_TRUST = (
    "the base credentials may not assume this role: check the role's trust policy (it must trust the base's account, "
    "user or role), that the base may call sts:AssumeRole, and role_external_id when the role requires an external id"
)
_STS_ADVICE = {
    "ResourceNotFound.RoleNotFound": "no such role: check role_arn (the account uin and the role name, e.g. qcs::cam::uin/100000000001:roleName/reader)",
    "InvalidParameter.WebIdentityTokenError": (
        "the web identity token was refused: it expired or was revoked, or web_identity_provider_id does not name the identity "
        "provider that issued it (CAM > identity providers)"
    ),
    "InvalidParameter.OverTimeError": "role_duration is longer than the role's maximum session duration (at most 43200 seconds)",
    "InvalidParameter.PolicyTooLong": "role_policy is too long for STS",
    "InvalidParameter.StrategyFormatError": "role_policy is not a valid CAM policy document",
    "InvalidParameter.StrategyInvalid": "role_policy is not a valid CAM policy document (a scope-down policy has no principal)",
    "InvalidParameter.ParamError": "STS refused a parameter: check role_arn, role_session_name, role_duration and the web identity options",
    "InvalidParameter.AccountNotAvaliable": "the account that owns the role is not available",
    "InternalError.GetRoleError": "STS could not read the role on every attempt; check role_arn, or try again later",
    "InternalError.IllegalRole": "the role cannot be assumed this way (check that its trust policy allows this kind of base)",
}


_WEB_TRUST = (
    "the role does not trust this web identity: its trust policy must allow the identity provider named by "
    "web_identity_provider_id (sts:AssumeRoleWithWebIdentity) and the token's subject"
)


def _advice(error: ApiError, family: str) -> str:
    sts = (error.permission or "").startswith("sts:")
    if error.code in _CAM_DENIED or family == "UnauthorizedOperation":
        if sts:
            return _WEB_TRUST if error.permission == "sts:AssumeRoleWithWebIdentity" else _TRUST
        return _GRANT % (error.permission or ("ssl:" + error.action if error.action else _READ_PERMISSIONS))
    if sts and error.code in _STS_ADVICE:
        return _STS_ADVICE[error.code]
    advice = _ADVICE.get(error.code or "") or _ADVICE.get(family) or "the API refused the request"
    if sts and family == "AuthFailure":
        return "STS refused the base credentials: " + advice
    return advice


def describe_failure(error: TencentCloudError, *, subject: str | None = None) -> str:
    """One actionable sentence for a failed call: what failed, why, what to do, code and request id."""
    parts = []
    subject = subject or error.subject
    # Only a failed API call is "about" a certificate; a credential or option error is not.
    head = " ".join(p for p in (error.action, "for " + subject if subject else None) if p) if error.action else None
    if isinstance(error, ApiError):
        family = error.code.split(".")[0] if error.code else ""
        advice = _advice(error, family)
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
