"""The emulated actions: DescribeCertificate, DescribeCertificates and DescribeCertificateDetail."""

from __future__ import annotations

import datetime

from .fixtures import BEIJING, TIME_FORMAT, describe_view, detail_view, list_view
from .responses import ApiError

ACTIONS = ("DescribeCertificate", "DescribeCertificates", "DescribeCertificateDetail")
DEFAULT_LIMIT = 10
MAX_LIMIT = 1000
MAX_CERT_IDS = 50

_OLDEST = datetime.datetime(1, 1, 1, tzinfo=datetime.timezone.utc)


def _invalid(name: str, expected: str) -> ApiError:
    return ApiError("InvalidParameter", "The parameter `%s` must be %s." % (name, expected))


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def certificate_ids_of(params: dict) -> list[str]:
    """Ids a request is about (used by fault selectors)."""
    ids = []
    if isinstance(params.get("CertificateId"), str):
        ids.append(params["CertificateId"])
    if isinstance(params.get("CertIds"), list):
        ids.extend(item for item in params["CertIds"] if isinstance(item, str))
    return ids


def _one_record(params: dict, certificates: dict[str, dict]) -> dict:
    """The record named by the CertificateId parameter (DescribeCertificate and DescribeCertificateDetail)."""
    if "CertificateId" not in params or params["CertificateId"] is None:
        raise ApiError("MissingParameter", "The request is missing a required parameter `CertificateId`.")
    cert_id = params["CertificateId"]
    if not isinstance(cert_id, str):
        raise _invalid("CertificateId", "a string")
    record = certificates.get(cert_id)
    if record is None:
        raise ApiError("FailedOperation.CertificateNotFound", "certificate does not exist")
    return record


def describe_certificate(params: dict, certificates: dict[str, dict]) -> dict:
    """Full record of one certificate."""
    return describe_view(_one_record(params, certificates))


def describe_certificate_detail(params: dict, certificates: dict[str, dict]) -> dict:
    """One certificate with its PEM chain and, as the real API does, its private key(s)."""
    return detail_view(_one_record(params, certificates))


def _int_param(params: dict, name: str, default: int) -> int:
    value = params.get(name)
    if value is None:
        return default
    if not _is_int(value) or value < 0:
        raise _invalid(name, "a non-negative integer")
    return value


def _str_list_param(params: dict, name: str) -> list[str] | None:
    value = params.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _invalid(name, "a list of strings")
    return value


def _status_param(params: dict) -> list[int] | None:
    value = params.get("CertificateStatus")
    if value is None:
        return None
    if not isinstance(value, list) or not all(_is_int(item) and item >= 0 for item in value):
        raise _invalid("CertificateStatus", "a list of non-negative integers")
    return value


def _optional_str(params: dict, name: str) -> str | None:
    value = params.get(name)
    if value is not None and not isinstance(value, str):
        raise _invalid(name, "a string")
    return value


def _insert_time(record: dict) -> datetime.datetime:
    """Parsed InsertTime; unparsable ones sort as the oldest."""
    try:
        return datetime.datetime.strptime(record.get("InsertTime") or "", TIME_FORMAT).replace(tzinfo=BEIJING)
    except ValueError:
        return _OLDEST


def _end_time(record: dict) -> str:
    return record.get("CertEndTime") or ""


def _matches_search(record: dict, search: str) -> bool:
    needle = search.lower()
    return any(needle in (record.get(name) or "").lower() for name in ("CertificateId", "Alias", "Domain"))


def _filtered(params: dict, certificates: dict[str, dict]) -> list[dict]:
    search = _optional_str(params, "SearchKey")
    cert_type = _optional_str(params, "CertificateType")
    statuses = _status_param(params)
    cert_ids = _str_list_param(params, "CertIds")
    if cert_ids is not None and len(cert_ids) > MAX_CERT_IDS:
        raise ApiError("InvalidParameter.CertificateIdNumberLimit", "The number of queried certificate IDs cannot exceed %d." % MAX_CERT_IDS)
    records = list(certificates.values())
    if cert_ids:
        wanted = set(cert_ids)
        records = [record for record in records if record["CertificateId"] in wanted]
    if search:
        records = [record for record in records if _matches_search(record, search)]
    if cert_type:
        records = [record for record in records if (record.get("CertificateType") or "").upper() == cert_type.upper()]
    if statuses:
        records = [record for record in records if record.get("Status") in statuses]
    return records


def _sorted(params: dict, records: list[dict]) -> list[dict]:
    """Default order is by InsertTime descending (ties by id); ExpirationSort orders by CertEndTime instead."""
    order = _optional_str(params, "ExpirationSort")
    records = sorted(records, key=lambda record: record["CertificateId"])
    if order and order.upper() in ("ASC", "DESC"):
        return sorted(records, key=_end_time, reverse=order.upper() == "DESC")
    return sorted(records, key=_insert_time, reverse=True)


def describe_certificates(params: dict, certificates: dict[str, dict]) -> dict:
    """One page of the filtered certificate list."""
    offset = _int_param(params, "Offset", 0)
    limit = min(_int_param(params, "Limit", DEFAULT_LIMIT), MAX_LIMIT)
    records = _sorted(params, _filtered(params, certificates))
    return {"TotalCount": len(records), "Certificates": [list_view(record) for record in records[offset : offset + limit]]}


HANDLERS = {
    "DescribeCertificate": describe_certificate,
    "DescribeCertificates": describe_certificates,
    "DescribeCertificateDetail": describe_certificate_detail,
}
