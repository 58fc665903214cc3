# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# This file is PRIVATE to the cloudcert.tencent collection: it may change or go away without notice.
"""Where certificates are deployed: the fetch plan's ``deployments`` enricher.

The API answers asynchronously: CreateCertificateBindResourceSyncTask starts (or reuses) one scan task per
certificate (100 ids per call), DescribeCertificateBindResourceTaskResult reports each task's status and its counts per
resource type and region (100 tasks per call, polled with backoff), DescribeCertificateBindResourceTaskDetail lists
the instances (one task per call, paged per type and region), asked only for certificates in use and narrowed to
the types and regions whose count is not zero.

Never fail open: ``in_use: false`` comes only from a complete scan (done, no region error, in time). A scan that is
not complete fails the gathering (DeploymentsIncompleteError, or the API's own code for a failed task) unless what it
found already makes ``in_use`` true; ``deployments.complete: false`` then says "at least these".
"""

from __future__ import annotations

import time

from ansible_collections.cloudcert.tencent.plugins.module_utils._certificate import iso_utc, parse_beijing_time
from ansible_collections.cloudcert.tencent.plugins.module_utils._errors import ResponseError, TencentCloudError
from ansible_collections.cloudcert.tencent.plugins.module_utils._fetch import map_concurrent, stops_everything, unique
from ansible_collections.cloudcert.tencent.plugins.module_utils._places import page_totals, places_in, region_errors
from ansible_collections.cloudcert.tencent.plugins.module_utils._ssl import BIND_CREATE, BIND_DETAIL, BIND_RESULT

MODES = ("none", "summary", "full")
DEFAULT_TIMEOUT = 180
BATCH = 100  # certificate ids per Create, task ids per Result (the API's maximum)
PAGE = 100  # instances per (type, region) and Detail page (the API's maximum)
MAX_PAGES = 1000
POLL_FIRST, POLL_FACTOR, POLL_MAX = 1.0, 1.5, 5.0  # seconds between polls: 1, 1.5, 2.25, ... 5


class DeploymentsIncompleteError(TencentCloudError):
    """A scan that did not finish, failed or lost regions, for certificates not already known to be in use."""

    def __init__(self, message: str, *, code: str = "DeploymentsIncomplete", request_id: str | None = None) -> None:
        super().__init__(message, code=code, request_id=request_id, action=BIND_RESULT)


class _Scan:
    """One certificate's task and what the API said about it."""

    def __init__(self, cert_id: str, task_id: str) -> None:
        self.cert_id, self.task_id = cert_id, task_id
        self.answer: dict | None = None  # the latest Result item of the task
        self.request_id: str | None = None
        self.timed_out = False
        self.places: list | None = None
        self.detail_failures: list = []

    @property
    def status(self):
        return self.answer.get("Status") if self.answer else None

    @property
    def done(self) -> bool:
        # "Done" with an empty result is the API's "not ready yet", not "bound nowhere".
        return self.status == 2 or (self.status == 1 and bool(self.answer.get("BindResourceResult")))


class Scanner:
    """The deployment scans of one gathering: CREATE for every id, RESULT until all are done, DETAIL for ``full``."""

    def __init__(self, client, *, fresh: bool, timeout: float, monotonic=time.monotonic, sleep=time.sleep) -> None:
        self.client = client
        self.fresh = fresh
        self.timeout = timeout
        self._monotonic = monotonic
        self._sleep = sleep
        self.deadline = monotonic() + timeout

    def map(self, func, items) -> list:
        """``func`` over ``items`` in a small pool (each action is paced at 10/s anyway); the first failure is raised."""
        outcomes = map_concurrent(func, items, workers=4, stop_on=stops_everything)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        return outcomes

    def create(self, ids: list[str]) -> dict:
        """{certificate id: _Scan} with the task the API started or reused for each."""

        def create_batch(batch):
            answer = self.client.call(BIND_CREATE, {"CertificateIds": batch, "IsCache": 0 if self.fresh else 1})
            pairs = answer.get("CertTaskIds")
            if not isinstance(pairs, list):
                raise ResponseError("%s answered without CertTaskIds" % BIND_CREATE, action=BIND_CREATE, request_id=answer.get("RequestId"))
            return {str(p.get("CertId")): str(p.get("TaskId")) for p in pairs if isinstance(p, dict) and p.get("TaskId") not in (None, "")}

        tasks = {}
        for found in self.map(create_batch, [ids[i : i + BATCH] for i in range(0, len(ids), BATCH)]):
            tasks.update(found)
        missing = [cert_id for cert_id in ids if cert_id not in tasks]
        if missing:
            raise ResponseError("%s gave no task for %s" % (BIND_CREATE, ", ".join(missing)), action=BIND_CREATE)
        return {cert_id: _Scan(cert_id, tasks[cert_id]) for cert_id in ids}

    def _remaining(self) -> float:
        return self.deadline - self._monotonic()

    def poll(self, scans: dict) -> None:
        """Ask RESULT for every unfinished task (all of them in one call per 100) until done or the deadline."""
        by_task = {}
        for scan in scans.values():
            by_task.setdefault(scan.task_id, []).append(scan)  # one task may serve several ids
        delay = POLL_FIRST
        while True:
            pending = sorted({scan.task_id for scan in scans.values() if not scan.done})
            if not pending:
                return
            for answer in self.map(
                lambda chunk: self.client.call(BIND_RESULT, {"TaskIds": chunk}), [pending[i : i + BATCH] for i in range(0, len(pending), BATCH)]
            ):
                items = answer.get("SyncTaskBindResourceResult")
                for item in items if isinstance(items, list) else []:
                    for scan in by_task.get(str(item.get("TaskId")) if isinstance(item, dict) else None, []):
                        scan.answer, scan.request_id = item, answer.get("RequestId")
            if all(scan.done for scan in scans.values()):
                return
            if self._remaining() <= 0:
                for scan in scans.values():
                    scan.timed_out = not scan.done
                return
            self._sleep(min(delay, max(0.0, self._remaining())))
            delay = min(delay * POLL_FACTOR, POLL_MAX)

    def places(self, scan: _Scan, counts: dict) -> None:
        """DETAIL pages of one task, narrowed to the types and regions in use; the places holding this id."""
        wanted = {key: regions for key, regions in counts.items() if regions}
        found, offset, delay = [], 0, POLL_FIRST
        while wanted:
            params = {"TaskId": scan.task_id, "Limit": str(PAGE), "Offset": str(offset), "ResourceTypes": sorted(wanted)}
            regions = sorted({region for regions in wanted.values() for region in regions if region})
            if regions:
                params["Regions"] = regions
            page = self.client.call(BIND_DETAIL, params)
            if page.get("Status") != 1:
                if self._remaining() <= 0:
                    scan.detail_failures.append({"resource_type": None, "region": None, "error": "the instance list was not ready within deployments_timeout"})
                    break
                self._sleep(min(delay, max(0.0, self._remaining())))
                delay = min(delay * POLL_FACTOR, POLL_MAX)
                continue  # the same page again
            found.extend(places_in(page, scan.cert_id))
            scan.detail_failures.extend(region_errors(page))
            offset += PAGE
            more = {key.lower() for (key, _region), (total, _seen) in page_totals(page).items() if total > offset}
            wanted = {key: regions for key, regions in wanted.items() if key in more}
            if offset >= PAGE * MAX_PAGES:
                break
        scan.places = found


def summarise(scan: _Scan, timeout: float) -> tuple[dict, dict]:
    """(the record's ``deployments`` block, {resource type: regions with a non-zero count})."""
    answer = scan.answer or {}
    counts, in_use_regions, failed = {}, {}, []
    for entry in answer.get("BindResourceResult") or []:
        if not isinstance(entry, dict) or not entry.get("ResourceType"):
            continue
        rtype = str(entry["ResourceType"]).lower()
        counts.setdefault(rtype, 0)
        for block in entry.get("BindResourceRegionResult") or []:
            if not isinstance(block, dict):
                continue
            region, total = block.get("Region") or None, block.get("TotalCount")
            if block.get("Error"):
                failed.append({"resource_type": rtype, "region": region, "error": str(block["Error"])})
            elif not isinstance(total, int) or isinstance(total, bool):
                failed.append({"resource_type": rtype, "region": region, "error": "the answer has no count"})
            if isinstance(total, int) and not isinstance(total, bool) and total > 0:
                counts[rtype] += total
                in_use_regions.setdefault(rtype, set()).add(region)
    if scan.status == 2:
        error = answer.get("Error") if isinstance(answer.get("Error"), dict) else {}
        failed.append(
            {"resource_type": None, "region": None, "error": ("the scan failed: %s %s" % (error.get("Code") or "", error.get("Message") or "")).strip()}
        )
    if scan.timed_out:
        failed.append({"resource_type": None, "region": None, "error": "the scan did not finish within deployments_timeout=%ss" % timeout})
    failed.extend(scan.detail_failures)
    checked, _bad = parse_beijing_time(answer.get("CacheTime"))
    block = {"complete": scan.status == 1 and not failed, "checked_at": iso_utc(checked), "task_id": scan.task_id, "counts": counts, "failed": failed}
    return block, in_use_regions


def add_deployments(client, records: list, *, mode: str, fresh: bool = False, timeout: float = DEFAULT_TIMEOUT, scanner=None) -> None:
    """Add ``in_use``, ``deployments`` (and for ``full`` ``in_use_by``) to ``records`` in place, or raise."""
    if mode == "none":
        return
    ids = unique(record["certificate_id"] for record in records if isinstance(record.get("certificate_id"), str))
    if not ids:
        return
    scanner = scanner or Scanner(client, fresh=fresh, timeout=timeout)
    scans = scanner.create(ids)
    scanner.poll(scans)
    facts = {cert_id: summarise(scan, timeout) for cert_id, scan in scans.items()}
    if mode == "full":
        in_use = [cert_id for cert_id in ids if facts[cert_id][1]]
        scanner.map(lambda cert_id: scanner.places(scans[cert_id], facts[cert_id][1]), in_use)
        for cert_id in in_use:  # the instance lists may have added failed regions
            facts[cert_id] = summarise(scans[cert_id], timeout)
    _fail_if_unknown(scans, facts)
    for record in records:
        scan = scans.get(record.get("certificate_id"))
        if scan is None:
            continue
        block, regions = facts[scan.cert_id]
        record["deployments"] = block
        record["in_use"] = bool(regions) or bool(scan.places)
        if mode == "full":
            record["in_use_by"] = list(scan.places or [])


def _fail_if_unknown(scans: dict, facts: dict) -> None:
    """An incomplete scan that found nothing cannot say "not in use": fail, naming every part that is missing."""
    unknown = [(scans[cert_id], block) for cert_id, (block, regions) in facts.items() if not block["complete"] and not regions and not scans[cert_id].places]
    if not unknown:
        return
    parts = []
    for scan, block in unknown:
        where = "; ".join(
            ("%s%s: %s" % (item["resource_type"], " in " + item["region"] if item["region"] else "", item["error"])) if item["resource_type"] else item["error"]
            for item in block["failed"]
        )
        parts.append("certificate %s (task %s): %s" % (scan.cert_id, scan.task_id, where))
    first = unknown[0][0]
    error = first.answer.get("Error") if first.answer and isinstance(first.answer.get("Error"), dict) else {}
    code = error.get("Code") if first.status == 2 and error.get("Code") else "DeploymentsIncomplete"
    raise DeploymentsIncompleteError(
        "the deployment scan is incomplete, so whether these certificates are in use is unknown: %s. Try again (a later scan "
        "may complete), raise deployments_timeout, or check the regions named" % " | ".join(parts),
        code=code,
        request_id=first.request_id,
    )
