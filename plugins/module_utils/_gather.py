# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# This file is PRIVATE to the cloudcert.tencent collection: it may change or go away without notice.
"""Fetching certificates: describe by id, batch by id, list with filters. Returns normalised records.

Results come back in the order asked; a repeated id is fetched once; ids the API does not know are
collected as ``missing`` and handled by ``on_missing``. A failure that is not "not found" fails the
whole gathering: partial results are never handed out as complete.
"""

from __future__ import annotations

from ansible_collections.cloudcert.tencent.plugins.module_utils._certificate import DETAIL_FIELDS, LIST_FIELDS, normalise, within_days
from ansible_collections.cloudcert.tencent.plugins.module_utils._errors import ApiError, ConfigurationError, ResponseError, TencentCloudError
from ansible_collections.cloudcert.tencent.plugins.module_utils._retry import is_retryable

NOT_FOUND = "FailedOperation.CertificateNotFound"
PAGE_SIZE = 1000  # the API's maximum Limit
BATCH_SIZE = 50  # CertIds per DescribeCertificates (larger batches are refused by sibling actions)
MAX_PAGES = 10000  # a guard against a server whose TotalCount never converges
ON_MISSING = ("error", "warn", "skip")


class NotFoundError(ApiError):
    """Raised for ``on_missing: error``; lists every id that was not found."""


class MissingIds(list):
    """Ids that were not found, with the API answer that said so (for its message and RequestId)."""

    evidence: ApiError | None = None


def clean_ids(ids) -> list[str]:
    """Validated ids, in order, duplicates kept (they are fetched once and returned at each place)."""
    cleaned = []
    for value in ids or []:
        if not isinstance(value, str):
            raise ConfigurationError("certificate_ids: %r is not a string; certificate ids look like 'Juz8JAxn'" % (value,))
        text = value.strip()
        if not text or any(ch.isspace() or not ch.isprintable() for ch in text):
            raise ConfigurationError("certificate_ids: %r is not a valid certificate id (empty, or contains spaces or control characters)" % (value,))
        cleaned.append(text)
    return cleaned


def _unique(ids: list[str]) -> list[str]:
    return list(dict.fromkeys(ids))


def _describe_one(client, cert_id: str) -> dict:
    return client.call("DescribeCertificate", {"CertificateId": cert_id})


def _stops_everything(error) -> bool:
    """A failure that will repeat for every other id (bad key, no permission): stop starting new calls."""
    return isinstance(error, TencentCloudError) and not is_retryable(error) and getattr(error, "code", None) != NOT_FOUND


def describe_by_ids(client, ids: list[str], *, warn=None) -> tuple[dict, list[str]]:
    """``DescribeCertificate`` for each distinct id, concurrently. Returns ({id: record}, missing ids)."""
    unique = _unique(ids)
    outcomes = client.map_concurrent(lambda cert_id: _describe_one(client, cert_id), unique, stop_on=_stops_everything)
    found, missing = {}, MissingIds()
    for cert_id, outcome in zip(unique, outcomes):
        if isinstance(outcome, ApiError) and outcome.code == NOT_FOUND:
            missing.append(cert_id)
            missing.evidence = missing.evidence or outcome
        elif isinstance(outcome, BaseException):
            if isinstance(outcome, TencentCloudError):
                outcome.subject = "certificate %s" % cert_id
            raise outcome
        elif outcome is not None:
            found[cert_id] = normalise(outcome, fields=DETAIL_FIELDS, warn=warn)
    # Skipped slots (None) exist only after a fatal error, and that error was raised above.
    return found, missing


def list_pages(client, params: dict) -> tuple[list, str | None]:
    """All pages of ``DescribeCertificates`` for ``params``; returns (raw items, last RequestId)."""
    items, offset, request_id = [], 0, None
    for _page in range(MAX_PAGES):
        response = client.call("DescribeCertificates", dict(params, Offset=offset, Limit=PAGE_SIZE))
        request_id = response.get("RequestId")
        page = response.get("Certificates") or []
        total = response.get("TotalCount")
        if not isinstance(page, list) or (total is not None and not isinstance(total, int)):
            raise ResponseError("DescribeCertificates returned Certificates/TotalCount of the wrong type", action="DescribeCertificates", request_id=request_id)
        items.extend(page)
        offset += len(page)
        if not page or total is None or offset >= total:
            return items, request_id
    raise ResponseError("DescribeCertificates did not finish after %d pages" % MAX_PAGES, action="DescribeCertificates", request_id=request_id)


def _normalise_listed(raw: list, request_id: str | None, warn) -> list[dict]:
    records = []
    for item in raw:
        record = normalise(item, fields=LIST_FIELDS, warn=warn)
        if record.get("request_id") is None:
            record["request_id"] = request_id
        records.append(record)
    return records


def batch_by_ids(client, ids: list[str], *, warn=None) -> tuple[dict, list[str]]:
    """``DescribeCertificates`` with ``CertIds`` in batches of 50, concurrently. Returns ({id: record}, missing)."""
    unique = _unique(ids)
    batches = [unique[i : i + BATCH_SIZE] for i in range(0, len(unique), BATCH_SIZE)]
    outcomes = client.map_concurrent(lambda batch: list_pages(client, {"CertIds": batch}), batches, stop_on=_stops_everything)
    found, wanted = {}, set(unique)
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
        raw, request_id = outcome
        for record in _normalise_listed(raw, request_id, warn):
            if record.get("certificate_id") in wanted:
                found[record["certificate_id"]] = record
    missing = MissingIds(cert_id for cert_id in unique if cert_id not in found)
    return found, missing


def _list_filters(search, statuses, certificate_type) -> dict:
    params = {}
    if search:
        params["SearchKey"] = search
    if statuses:
        params["CertificateStatus"] = list(statuses)
    if certificate_type:
        params["CertificateType"] = certificate_type
    return params


def handle_missing(missing: list[str], on_missing: str, *, warn=None, action: str = "DescribeCertificate") -> None:
    if not missing:
        return
    if on_missing == "error":
        evidence = getattr(missing, "evidence", None)
        if evidence is not None:
            error = NotFoundError(NOT_FOUND, evidence.api_message, evidence.request_id, action=action)
        else:
            # No per-id answer to quote (a batch listing simply left them out): our own words, not the server's.
            error = NotFoundError(NOT_FOUND, "", None, action=action)
        error.subject = "certificate%s %s" % ("s" if len(missing) > 1 else "", ", ".join(missing))
        raise error
    if on_missing == "warn" and warn is not None:
        warn("certificate%s not found: %s" % ("s" if len(missing) > 1 else "", ", ".join(missing)))


def gather(
    client,
    *,
    ids=None,
    search=None,
    statuses=None,
    certificate_type=None,
    details=True,
    expiring_within_days=None,
    on_missing="error",
    warn=None,
) -> dict:
    """What the module returns: ``certificates`` (ordered, filtered) and ``missing``."""
    if ids is not None:
        ids = clean_ids(ids)
        fetch = describe_by_ids if details else batch_by_ids
        found, missing = fetch(client, ids, warn=warn)
        handle_missing(missing, on_missing, warn=warn, action="DescribeCertificate" if details else "DescribeCertificates")
        records = [found[cert_id] for cert_id in ids if cert_id in found]
    else:
        raw, request_id = list_pages(client, _list_filters(search, statuses, certificate_type))
        if details:
            listed = [item.get("CertificateId") for item in raw if isinstance(item, dict) and isinstance(item.get("CertificateId"), str)]
            # A certificate deleted between listing and describing is simply gone now: not "missing".
            found, _gone = describe_by_ids(client, listed, warn=warn)
            records = [found[cert_id] for cert_id in listed if cert_id in found]
        else:
            records = _normalise_listed(raw, request_id, warn)
        missing = []
    return {"certificates": [r for r in records if within_days(r, expiring_within_days)], "missing": missing}
