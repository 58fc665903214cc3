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

import threading
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.cloudcert.tencent.plugins.module_utils._certificate import DETAIL_FIELDS, LIST_FIELDS, normalise, within_days
from ansible_collections.cloudcert.tencent.plugins.module_utils._errors import ApiError, ConfigurationError, ResponseError, TencentCloudError
from ansible_collections.cloudcert.tencent.plugins.module_utils._material import material
from ansible_collections.cloudcert.tencent.plugins.module_utils._retry import is_retryable
from ansible_collections.cloudcert.tencent.plugins.module_utils._ssl import DESCRIBE, DETAIL, LIST
from ansible_collections.cloudcert.tencent.plugins.module_utils._transport import MAX_CONNECTIONS

NOT_FOUND = "FailedOperation.CertificateNotFound"
PAGE_SIZE = 1000  # the API's maximum Limit
BATCH_SIZE = 50  # CertIds per DescribeCertificates (larger batches are refused by sibling actions)
MAX_PAGES = 10000  # a guard against a server whose TotalCount never converges
ON_MISSING = ("error", "warn", "skip")
# What to fetch: ids, or the listing filters, never both. One spec for the module and the event source.
LISTING_FILTERS = ("search", "statuses", "certificate_type")
SELECTION_MUTUALLY_EXCLUSIVE = [("certificate_ids", name) for name in LISTING_FILTERS]


def selection_argument_spec() -> dict:
    """Argument spec of ``certificate_ids`` and the listing filters (``search``, ``statuses``, ``certificate_type``)."""
    return {
        "certificate_ids": {"type": "list", "elements": "str", "aliases": ["certificate_id", "id"]},
        "search": {"type": "str"},
        "statuses": {"type": "list", "elements": "int"},
        "certificate_type": {"type": "str", "choices": ["SVR", "CA"]},
    }


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


def _stops_everything(error) -> bool:
    """A failure that will repeat for every other id (bad key, no permission): stop starting new calls."""
    return isinstance(error, TencentCloudError) and not is_retryable(error) and getattr(error, "code", None) != NOT_FOUND


def map_concurrent(func, items: list, *, workers: int, stop_on=None) -> list:
    """Run ``func(item)`` for every item in a pool of at most WORKERS threads; return results in input order.

    A result is the return value or the exception raised. When ``stop_on(exc)`` is true for
    an exception, items that have not started yet are skipped (their slot holds None), so a
    fatal error (wrong key) does not cost one doomed request per remaining item.
    """
    if not items:
        return []
    stop = threading.Event()

    def run(item):
        if stop.is_set():
            return None
        try:
            return func(item)
        except Exception as exc:  # noqa: BLE001 - handed back to the caller in order
            if stop_on is not None and stop_on(exc):
                stop.set()
            return exc

    workers = min(len(items), workers)
    if workers <= 1:
        return [run(item) for item in items]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cloudcert") as pool:
        return list(pool.map(run, items))


def _workers(client) -> int:
    """Enough threads to keep ``rate_limit`` requests a second in flight, within the transport's connections."""
    return min(MAX_CONNECTIONS, max(2, int(client.rate_limit * 2)))


def _fetch(client, tasks: list[tuple[str, str]]) -> tuple[dict, MissingIds]:
    """Run (action, id) calls concurrently; returns ({(action, id): answer}, ids some action did not find).

    DescribeCertificate and DescribeCertificateDetail both take one CertificateId. The client has already dropped
    the private keys of DescribeCertificateDetail's answers (the SSL service's response filter).
    """
    outcomes = map_concurrent(lambda task: client.call(task[0], {"CertificateId": task[1]}), tasks, workers=_workers(client), stop_on=_stops_everything)
    answers, missing = {}, MissingIds()
    for task, outcome in zip(tasks, outcomes):
        if isinstance(outcome, ApiError) and outcome.code == NOT_FOUND:
            if task[1] not in missing:
                missing.append(task[1])
            missing.evidence = missing.evidence or outcome
        elif isinstance(outcome, BaseException):
            if isinstance(outcome, TencentCloudError):
                outcome.subject = "certificate %s" % task[1]
            raise outcome
        elif outcome is not None:
            answers[task] = outcome
    # Skipped slots (None) exist only after a fatal error, and that error was raised above.
    return answers, missing


def describe_by_ids(client, ids: list[str], *, warn=None, include_certificate: bool = False) -> tuple[dict, list[str]]:
    """``DescribeCertificate`` for each distinct id, concurrently. Returns ({id: record}, missing ids).

    With ``include_certificate`` each id also gets a ``DescribeCertificateDetail`` call, interleaved in
    the same pool: the detail answer lacks four DescribeCertificate fields (CA* and PackageTypeName),
    so it joins the describe call instead of replacing it; the two actions have separate rate limits.
    An id that either action does not find is missing.
    """
    unique = _unique(ids)
    actions = (DESCRIBE, DETAIL) if include_certificate else (DESCRIBE,)
    answers, missing = _fetch(client, [(action, cert_id) for cert_id in unique for action in actions])
    found = {}
    for cert_id in unique:
        if cert_id in missing:
            continue
        found[cert_id] = normalise(answers[(DESCRIBE, cert_id)], fields=DETAIL_FIELDS, warn=warn)
        if include_certificate:
            found[cert_id].update(material_of(answers[(DETAIL, cert_id)], cert_id, warn=warn))
    return found, missing


def material_of(detail: dict, cert_id: str, *, warn=None) -> dict:
    """``certificate_pem``, ``certificate_chain`` and ``fingerprints`` of one DescribeCertificateDetail answer."""
    return material(detail.get("CertificatePublicKey"), subject="certificate %s" % cert_id, warn=warn)


def fetch_material(client, ids: list[str], *, warn=None) -> tuple[dict, list[str]]:
    """``DescribeCertificateDetail`` for each distinct id, concurrently: ({id: material keys}, missing ids).

    For callers that already hold records (the lookup asked for a material field, a listing): only
    the three material keys come back, never a private key nor any other field of the detail answer.
    """
    unique = _unique(ids)
    answers, missing = _fetch(client, [(DETAIL, cert_id) for cert_id in unique])
    return {cert_id: material_of(answers[(DETAIL, cert_id)], cert_id, warn=warn) for cert_id in unique if cert_id not in missing}, missing


def add_material(client, records: list[dict], *, warn=None) -> list[str]:
    """Add the material keys to normalised ``records`` in place; returns the ids the detail call did not find.

    Records whose id was not found keep no material keys: the caller decides (gone, or missing).
    """
    ids = [record["certificate_id"] for record in records if isinstance(record.get("certificate_id"), str)]
    found, missing = fetch_material(client, ids, warn=warn)
    for record in records:
        if not isinstance(record.get("certificate_id"), str):
            record.update(material(None, subject="a certificate without an id", warn=warn))  # nothing to ask for
        elif record["certificate_id"] in found:
            record.update(found[record["certificate_id"]])
    return missing


def list_pages(client, params: dict) -> tuple[list, str | None]:
    """All pages of ``DescribeCertificates`` for ``params``; returns (raw items, last RequestId)."""
    items, offset, request_id = [], 0, None
    for _page in range(MAX_PAGES):
        response = client.call(LIST, dict(params, Offset=offset, Limit=PAGE_SIZE))
        request_id = response.get("RequestId")
        page = response.get("Certificates") or []
        total = response.get("TotalCount")
        if not isinstance(page, list) or (total is not None and not isinstance(total, int)):
            raise ResponseError("DescribeCertificates returned Certificates/TotalCount of the wrong type", action=LIST, request_id=request_id)
        items.extend(page)
        offset += len(page)
        if not page or total is None or offset >= total:
            return items, request_id
    raise ResponseError("DescribeCertificates did not finish after %d pages" % MAX_PAGES, action=LIST, request_id=request_id)


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
    outcomes = map_concurrent(lambda batch: list_pages(client, {"CertIds": batch}), batches, workers=_workers(client), stop_on=_stops_everything)
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


def handle_missing(missing: list[str], on_missing: str, *, warn=None, action: str = DESCRIBE) -> None:
    if not missing:
        return
    if on_missing == "error":
        evidence = getattr(missing, "evidence", None)
        if evidence is not None:
            error = NotFoundError(NOT_FOUND, evidence.api_message, evidence.request_id, action=evidence.action or action)
        else:
            # No per-id answer to quote (a batch listing simply left them out): our own words, not the server's.
            error = NotFoundError(NOT_FOUND, "", None, action=action)
        error.subject = "certificate%s %s" % ("s" if len(missing) > 1 else "", ", ".join(missing))
        raise error
    if on_missing == "warn" and warn is not None:
        warn("certificate%s not found: %s" % ("s" if len(missing) > 1 else "", ", ".join(missing)))


def _join_material(client, found: dict, missing: MissingIds, *, days, warn) -> MissingIds:
    """Material for the records of a batch (only those the expiry filter keeps: fewer calls).

    A certificate deleted between the two calls is missing, like one the batch did not return.
    """
    kept = [record for record in found.values() if within_days(record, days)]
    gone = add_material(client, kept, warn=warn)
    for cert_id in gone:
        found.pop(cert_id, None)
        missing.append(cert_id)
    missing.evidence = missing.evidence or getattr(gone, "evidence", None)
    return missing


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
    include_certificate=False,
    warn=None,
) -> dict:
    """What the module returns: ``certificates`` (ordered, filtered) and ``missing``.

    ``include_certificate`` adds ``certificate_pem``, ``certificate_chain`` and ``fingerprints`` to
    each record, from one ``DescribeCertificateDetail`` call per certificate.
    """
    if ids is not None:
        ids = clean_ids(ids)
        if details:
            found, missing = describe_by_ids(client, ids, warn=warn, include_certificate=include_certificate)
        else:
            found, missing = batch_by_ids(client, ids, warn=warn)
            if include_certificate:
                missing = _join_material(client, found, missing, days=expiring_within_days, warn=warn)
        handle_missing(missing, on_missing, warn=warn, action=DESCRIBE if details else LIST)
        records = [found[cert_id] for cert_id in ids if cert_id in found]
    else:
        raw, request_id = list_pages(client, _list_filters(search, statuses, certificate_type))
        if details:
            listed = [item.get("CertificateId") for item in raw if isinstance(item, dict) and isinstance(item.get("CertificateId"), str)]
            # A certificate deleted between listing and describing is simply gone now: not "missing".
            found, _gone = describe_by_ids(client, listed, warn=warn, include_certificate=include_certificate)
            records = [found[cert_id] for cert_id in listed if cert_id in found]
        else:
            records = [record for record in _normalise_listed(raw, request_id, warn) if within_days(record, expiring_within_days)]
            if include_certificate:
                gone = set(add_material(client, records, warn=warn))
                records = [record for record in records if record.get("certificate_id") not in gone]
        missing = []
    return {"certificates": [r for r in records if within_days(r, expiring_within_days)], "missing": missing}
