# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# This file is PRIVATE to the cloudcert.tencent collection: it may change or go away without notice.
"""Certificate records: normalisation (snake_case, Beijing time to UTC, expiry facts, masking).

Shared by the module and the lookup, so both hand out exactly the same record for a certificate.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from ansible_collections.cloudcert.tencent.plugins.module_utils._errors import ResponseError

try:
    from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
except ImportError:  # pragma: no cover - ansible-core always ships it
    camel_dict_to_snake_dict = None

MASK = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
# The API speaks Beijing time (UTC+08:00, no DST since 1991) without a zone designator.
BEIJING = timezone(timedelta(hours=8))
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
EMPTY_TIMES = (None, "", "--", "0000-00-00 00:00:00")
DERIVED_KEYS = ("not_before", "not_after", "days_to_expiry", "expired")

# DescribeCertificate's documented fields: each is kept (as null) even when the API omits it,
# so playbooks can test ``cert.alias is none`` without tripping over undefined keys.
DETAIL_FIELDS = (
    "OwnerUin", "ProjectId", "From", "CertificateType", "PackageType", "ProductZhName", "Domain", "Alias", "Status",
    "StatusMsg", "VerifyType", "VulnerabilityStatus", "CertBeginTime", "CertEndTime", "ValidityPeriod", "InsertTime",
    "OrderId", "CertificateExtra", "DvAuthDetail", "VulnerabilityReport", "CertificateId", "PackageTypeName",
    "StatusName", "SubjectAltName", "IsVip", "IsWildcard", "IsDv", "IsVulnerability", "RenewAble", "SubmittedData",
    "Deployable", "Tags", "CAEncryptAlgorithms", "CACommonNames", "CAEndTimes", "DvRevokeAuthDetail", "RequestId",
)  # fmt: skip
# DescribeCertificates list items (no SubmittedData/DvAuthDetail; a few list-only fields).
LIST_FIELDS = (
    "OwnerUin", "ProjectId", "From", "PackageType", "CertificateType", "ProductZhName", "Domain", "Alias", "Status",
    "CertificateExtra", "VulnerabilityStatus", "StatusMsg", "VerifyType", "CertBeginTime", "CertEndTime",
    "ValidityPeriod", "InsertTime", "CertificateId", "SubjectAltName", "PackageTypeName", "StatusName", "IsVip",
    "IsDv", "IsWildcard", "IsVulnerability", "RenewAble", "ProjectInfo", "BoundResource", "Deployable", "Tags",
    "IsIgnore", "IsSM", "EncryptAlgorithm", "CAEncryptAlgorithms", "CAEndTimes", "CACommonNames", "PreAuditInfo",
    "AutoRenewFlag", "HostingStatus", "HostingCompleteTime", "HostingRenewCertId", "HasRenewOrder",
    "ReplaceOriCertIsDelete", "IsExpiring", "DVAuthDeadline", "ValidationPassedTime", "CertSANs",
    "AwaitingValidationMsg", "AllowDownload", "IsDNSPODResolve", "IsPackage", "KeyPasswordCustomFlag",
    "SupportDownloadType", "CertRevokedTime", "HostingResourceTypes", "HostingConfig",
)  # fmt: skip


def parse_beijing_time(value) -> tuple[datetime | None, bool]:
    """(UTC datetime or None, malformed?) for an API time string.

    Sentinels for "no value" give (None, False); anything else that does not parse gives (None, True).
    """
    if value in EMPTY_TIMES:
        return None, False
    if not isinstance(value, str):
        return None, True
    try:
        local = datetime.strptime(value.strip(), TIME_FORMAT)
    except ValueError:
        return None, True
    # strptime accepts single-digit fields ("08:00:0"): insist on the documented zero-padded shape.
    if local.strftime(TIME_FORMAT) != value.strip():
        return None, True
    return local.replace(tzinfo=BEIJING).astimezone(timezone.utc), False


def iso_utc(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment is not None else None


def expiry_facts(not_after: datetime | None, now: datetime) -> tuple[int | None, bool | None]:
    """(days_to_expiry floored, expired) from the UTC instant of the last valid second."""
    if not_after is None:
        return None, None
    seconds = (not_after - now).total_seconds()
    return int(seconds // 86400), seconds < 0


def _mask_secrets(value):
    """Replace every key_password anywhere in the structure; the API nests it in submitted_data."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "key_password" and item not in (None, ""):
                value[key] = MASK
            else:
                _mask_secrets(item)
    elif isinstance(value, list):
        for item in value:
            _mask_secrets(item)
    return value


# API key -> snake_case key, each worked out once by camel_dict_to_snake_dict itself: converting a name
# costs several regex substitutions, and every record repeats the same few dozen names.
_SNAKE_KEYS: dict = {}


def _snake_key(name):
    try:
        return _SNAKE_KEYS[name]
    except (KeyError, TypeError):
        pass
    snake = next(iter(camel_dict_to_snake_dict({name: None})))
    if isinstance(name, str) and len(_SNAKE_KEYS) < 4096:
        _SNAKE_KEYS[name] = snake
    return snake


def _snake_value(value):
    if isinstance(value, dict):
        return _snake_dict(value)
    if isinstance(value, list):
        return [_snake_value(item) for item in value]
    return value


def _snake_dict(record: dict) -> dict:
    """camel_dict_to_snake_dict(record), same result (new dicts and lists at every level), memoised keys."""
    return {_snake_key(key): _snake_value(value) for key, value in record.items()}


def _snake(record: dict) -> dict:
    snake = _snake_dict(record)
    if not isinstance(snake, dict):  # pragma: no cover - defensive, the input is a dict
        raise ResponseError("certificate record could not be converted")
    return snake


def normalise(record, *, fields=DETAIL_FIELDS, now: datetime | None = None, warn=None) -> dict:
    """The record a playbook sees: snake_case keys, nulls kept, UTC times, expiry facts, masked password."""
    if not isinstance(record, dict):
        raise ResponseError("the API returned a certificate record that is not an object (%s)" % type(record).__name__)
    now = now or datetime.now(timezone.utc)
    full = {name: None for name in fields}
    # No deepcopy: the snake_case conversion builds new dicts and lists at every level, so the API's
    # record is never shared with (or changed through) the result.
    full.update(record)
    result = _mask_secrets(_snake(full))
    ident = record.get("CertificateId") if isinstance(record.get("CertificateId"), str) else "(no id)"
    times = {}
    for api_name, key in (("CertBeginTime", "not_before"), ("CertEndTime", "not_after")):
        moment, malformed = parse_beijing_time(record.get(api_name))
        if malformed and warn is not None:
            warn("certificate %s: %s %r is not a 'YYYY-MM-DD HH:MM:SS' time; %s is null" % (ident, api_name, _short(record.get(api_name)), key))
        times[key] = moment
    result["not_before"] = iso_utc(times["not_before"])
    result["not_after"] = iso_utc(times["not_after"])
    result["days_to_expiry"], result["expired"] = expiry_facts(times["not_after"], now)
    return result


def _short(value) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def within_days(record: dict, days: int | None) -> bool:
    """The ``expiring_within_days`` filter: unknown expiry is left out, expired ones are kept."""
    if days is None:
        return True
    remaining = record.get("days_to_expiry")
    return isinstance(remaining, int) and not isinstance(remaining, bool) and remaining <= days
