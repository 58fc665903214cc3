# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# This file is PRIVATE to the cloudcert.tencent collection: it may change or go away without notice.
"""The fetch plan: which certificates (a source), what each gets (enrichers), the expiry filter, order and missing.

One plan for the module and the event source; the lookup enters the same per-id steps with its cache as the
store (``_fetch.Fetcher``). Results come back in the order asked; a repeated id is fetched once; ids the API does
not know are collected as ``missing`` and handled by ``on_missing``. A failure that is not "not found" fails the
whole gathering: partial results are never handed out as complete.
"""

from __future__ import annotations

from collections import namedtuple

from ansible_collections.cloudcert.tencent.plugins.module_utils._certificate import within_days
from ansible_collections.cloudcert.tencent.plugins.module_utils._deployments import DEFAULT_TIMEOUT, add_deployments
from ansible_collections.cloudcert.tencent.plugins.module_utils._errors import ApiError, ConfigurationError
from ansible_collections.cloudcert.tencent.plugins.module_utils._fetch import MATERIAL, NOT_FOUND, RECORD, Fetcher, MissingIds
from ansible_collections.cloudcert.tencent.plugins.module_utils._ssl import DESCRIBE, LIST

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


_Request = namedtuple(
    "Request",
    "certificate_ids search statuses certificate_type details include_certificate expiring_within_days on_missing "
    "deployments deployments_fresh deployments_timeout",
)


class Request(_Request):
    """What one gathering asks for, in the module's option names (``certificate_ids`` None: a listing)."""

    __slots__ = ()
    DEFAULTS = {
        "details": True,
        "include_certificate": False,
        "on_missing": "error",
        "deployments": "none",
        "deployments_fresh": False,
        "deployments_timeout": DEFAULT_TIMEOUT,
    }

    @classmethod
    def of(cls, params: dict) -> Request:
        """From the module's (or the event source's) validated parameters; absent options take their defaults."""
        return cls(**{name: params.get(name, cls.DEFAULTS.get(name)) for name in cls._fields})

    def enrichers(self) -> tuple:
        """Per-id steps beyond the record, for the certificates the expiry filter keeps."""
        return (MATERIAL,) if self.include_certificate else ()

    def listing_params(self) -> dict:
        params = {}
        if self.search:
            params["SearchKey"] = self.search
        if self.statuses:
            params["CertificateStatus"] = list(self.statuses)
        if self.certificate_type:
            params["CertificateType"] = self.certificate_type
        return params


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


def _source(fetch: Fetcher, request: Request, ids: list[str] | None) -> tuple[list[dict], MissingIds, tuple]:
    """(records in order, missing ids, enrichers still to run) of the plan's source.

    With ``details`` each certificate's record is its own DescribeCertificate call, and the enrichers ride in the
    same pool round (one round trip); without, the records come from DescribeCertificates (batches of ids or the
    listing) and the enrichers run afterwards, for the certificates the filter keeps only.
    """
    if ids is not None:
        if request.details:
            found, missing = fetch.by_id(ids, (RECORD,) + request.enrichers())
            return [found[i] for i in ids if i in found], missing, ()
        found, missing = fetch.batches(ids)
        return [found[i] for i in ids if i in found], missing, request.enrichers()
    records = fetch.pages(request.listing_params())
    if request.details:
        listed = [r["certificate_id"] for r in records if isinstance(r.get("certificate_id"), str)]
        # A certificate deleted between listing and describing is simply gone now: not "missing".
        found, _gone = fetch.by_id(listed, (RECORD,) + request.enrichers())
        return [found[i] for i in listed if i in found], MissingIds(), ()
    return records, MissingIds(), request.enrichers()


def gather(client, request: Request, *, warn=None) -> dict:
    """What the module returns: ``certificates`` (ordered, filtered by ``expiring_within_days``) and ``missing``."""
    ids = clean_ids(request.certificate_ids) if request.certificate_ids is not None else None
    fetch = Fetcher(client, warn=warn)
    records, missing, enrichers = _source(fetch, request, ids)
    records = [record for record in records if within_days(record, request.expiring_within_days)]
    gone = fetch.enrich(records, enrichers)
    if gone:
        # Deleted between the two calls: missing when it was asked for by id, simply gone from a listing.
        records = [record for record in records if record.get("certificate_id") not in gone]
        if ids is not None:
            for cert_id in gone:
                missing.add(cert_id, gone.evidence)
    if ids is not None:
        handle_missing(missing, request.on_missing, warn=warn, action=DESCRIBE if request.details else LIST)
    # Where the certificates are deployed: one scan for all of them, after the filter (fewer ids to scan).
    add_deployments(client, records, mode=request.deployments or "none", fresh=bool(request.deployments_fresh), timeout=request.deployments_timeout)
    return {"certificates": records, "missing": list(missing) if ids is not None else []}
