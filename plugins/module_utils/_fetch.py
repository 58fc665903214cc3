# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# This file is PRIVATE to the cloudcert.tencent collection: it may change or go away without notice.
"""The calls of one gathering: per-id steps in one thread pool, batches of ids, and the pages of a listing.

A *step* is one per-id action and what its answer adds to the certificate's record. The steps of an id run in
the same pool round (their actions have separate rate limits), so asking for the record and the material costs
one round trip, not two. An enricher of the fetch plan (``_gather.py``) is such a step; a new per-id API joins
as one more step here and one entry in the action table (``_ssl.py``).
"""

from __future__ import annotations

import threading
from collections import namedtuple

from ansible_collections.cloudcert.tencent.plugins.module_utils._certificate import DETAIL_FIELDS, LIST_FIELDS, normalise
from ansible_collections.cloudcert.tencent.plugins.module_utils._errors import ApiError, ResponseError, TencentCloudError
from ansible_collections.cloudcert.tencent.plugins.module_utils._material import material
from ansible_collections.cloudcert.tencent.plugins.module_utils._retry import is_retryable
from ansible_collections.cloudcert.tencent.plugins.module_utils._ssl import DESCRIBE, DETAIL, LIST
from ansible_collections.cloudcert.tencent.plugins.module_utils._transport import MAX_CONNECTIONS

NOT_FOUND = "FailedOperation.CertificateNotFound"
PAGE_SIZE = 1000  # the API's maximum Limit
BATCH_SIZE = 50  # CertIds per DescribeCertificates (larger batches are refused by sibling actions)
MAX_PAGES = 10000  # a guard against a server whose TotalCount never converges

# action: called with {"CertificateId": id}; build(answer, cert_id, warn) -> the record keys it adds;
# absent(warn) -> the keys a record without an id gets (there is nothing to ask for).
Step = namedtuple("Step", "name action build absent")

# The record: DescribeCertificate, normalised.
RECORD = Step("record", DESCRIBE, lambda answer, cert_id, warn: normalise(answer, fields=DETAIL_FIELDS, warn=warn), lambda warn: {})
# The public material: certificate_pem, certificate_chain and fingerprints of DescribeCertificateDetail, nothing
# else of it (the client has already dropped the private keys: the SSL service's response filter).
MATERIAL = Step(
    "material",
    DETAIL,
    lambda answer, cert_id, warn: material(answer.get("CertificatePublicKey"), subject="certificate %s" % cert_id, warn=warn),
    lambda warn: material(None, subject="a certificate without an id", warn=warn),
)


class MissingIds(list):
    """Ids that were not found, with the API answer that said so (for its message and RequestId)."""

    evidence: ApiError | None = None

    def add(self, cert_id: str, evidence: ApiError | None = None) -> None:
        if cert_id not in self:
            self.append(cert_id)
        self.evidence = self.evidence or evidence


def unique(ids) -> list[str]:
    return list(dict.fromkeys(ids))


def stops_everything(error) -> bool:
    """A failure that will repeat for every other id (bad key, no permission): stop starting new calls."""
    return isinstance(error, TencentCloudError) and not is_retryable(error) and getattr(error, "code", None) != NOT_FOUND


def map_concurrent(func, items: list, *, workers: int, stop_on=None) -> list:
    """Run ``func(item)`` for every item in a pool of at most WORKERS threads; return results in input order.

    A result is the return value or the exception raised. When ``stop_on(exc)`` is true for an exception, items
    that have not started yet are skipped (their slot holds None), so a fatal error (wrong key) does not cost one
    doomed request per remaining item. One item runs in the calling thread: no pool for a single id.
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
    # Imported here: a module run for one certificate (most runs of a fleet) never starts a pool.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cloudcert") as pool:
        return list(pool.map(run, items))


class Fetcher:
    """The API calls of one gathering by one client. ``store(ids, fetch)``, when given, stands between the per-id
    steps and the API (the lookup's cache): it answers what it holds and calls ``fetch(pending ids)`` for the rest.
    """

    def __init__(self, client, *, warn=None, store=None) -> None:
        self.client = client
        self.warn = warn
        self.store = store

    def _workers(self) -> int:
        """Enough threads to keep ``rate_limit`` requests a second in flight, within the transport's connections."""
        return min(MAX_CONNECTIONS, max(2, int(self.client.rate_limit * 2)))

    def _map(self, func, items: list) -> list:
        return map_concurrent(func, items, workers=self._workers(), stop_on=stops_everything)

    def by_id(self, ids, steps) -> tuple[dict, MissingIds]:
        """({id: the keys STEPS add}, ids some step did not find) for the distinct ``ids``."""
        wanted = unique(ids)
        if self.store is not None:
            return self.store(wanted, lambda pending: self._steps(pending, steps))
        return self._steps(wanted, steps)

    def _steps(self, ids: list[str], steps) -> tuple[dict, MissingIds]:
        tasks = [(step, cert_id) for cert_id in ids for step in steps]
        outcomes = self._map(lambda task: self.client.call(task[0].action, {"CertificateId": task[1]}), tasks)
        answers, missing = [], MissingIds()
        for (step, cert_id), outcome in zip(tasks, outcomes):
            if isinstance(outcome, ApiError) and outcome.code == NOT_FOUND:
                missing.add(cert_id, outcome)
            elif isinstance(outcome, BaseException):
                if isinstance(outcome, TencentCloudError) and outcome.subject is None:
                    outcome.subject = "certificate %s" % cert_id  # unless it is about something else (the role)
                raise outcome
            elif outcome is not None:
                answers.append((step, cert_id, outcome))
        # Skipped slots (None) exist only after a fatal error, and that error was raised above.
        found = {}
        for step, cert_id, answer in answers:
            if cert_id not in missing:  # an id one step did not find is missing: its other answers are not read
                found.setdefault(cert_id, {}).update(step.build(answer, cert_id, self.warn))
        return found, missing

    def enrich(self, records: list[dict], steps) -> MissingIds:
        """Add what STEPS give to ``records`` in place; returns the ids a step did not find (those get nothing).

        A record without an id has nothing to ask for: it gets each step's ``absent`` keys (the material's nulls).
        """
        if not steps:
            return MissingIds()
        found, missing = self.by_id([r["certificate_id"] for r in records if isinstance(r.get("certificate_id"), str)], steps)
        for record in records:
            if not isinstance(record.get("certificate_id"), str):
                for step in steps:
                    record.update(step.absent(self.warn))
            elif record["certificate_id"] in found:
                record.update(found[record["certificate_id"]])
        return missing

    def pages(self, params: dict) -> list[dict]:
        """Every page of ``DescribeCertificates`` for ``params``, as normalised records (in the listing's order)."""
        items, offset, request_id = [], 0, None
        for _page in range(MAX_PAGES):
            response = self.client.call(LIST, dict(params, Offset=offset, Limit=PAGE_SIZE))
            request_id = response.get("RequestId")
            page = response.get("Certificates") or []
            total = response.get("TotalCount")
            if not isinstance(page, list) or (total is not None and not isinstance(total, int)):
                raise ResponseError("DescribeCertificates returned Certificates/TotalCount of the wrong type", action=LIST, request_id=request_id)
            items.extend(page)
            offset += len(page)
            if not page or total is None or offset >= total:
                return self._listed(items, request_id)
        raise ResponseError("DescribeCertificates did not finish after %d pages" % MAX_PAGES, action=LIST, request_id=request_id)

    def _listed(self, raw: list, request_id: str | None) -> list[dict]:
        records = []
        for item in raw:
            record = normalise(item, fields=LIST_FIELDS, warn=self.warn)
            if record.get("request_id") is None:
                record["request_id"] = request_id
            records.append(record)
        return records

    def batches(self, ids) -> tuple[dict, MissingIds]:
        """``DescribeCertificates`` with ``CertIds`` in batches of 50, concurrently: ({id: record}, missing ids)."""
        wanted = unique(ids)
        outcomes = self._map(lambda batch: self.pages({"CertIds": batch}), [wanted[i : i + BATCH_SIZE] for i in range(0, len(wanted), BATCH_SIZE)])
        found, asked = {}, set(wanted)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
            found.update((record["certificate_id"], record) for record in outcome if record.get("certificate_id") in asked)
        return found, MissingIds(cert_id for cert_id in wanted if cert_id not in found)
