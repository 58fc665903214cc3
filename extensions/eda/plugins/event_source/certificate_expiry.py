# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ansible-rulebook event source: Tencent Cloud SSL certificates that start or stop expiring."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from dataclasses import dataclass

DOCUMENTATION = r"""
---
name: certificate_expiry
short_description: Emit an event when a Tencent Cloud SSL certificate starts expiring, expires, is renewed or goes away
version_added: 0.1.0
description:
  - An ansible-rulebook event source that polls the Tencent Cloud SSL Certificate API every O(interval) seconds with the
    same code as the P(cloudcert.tencent.ssl_certificate_info#module) module, and emits one event per certificate and change
    of state.
  - Each certificate is in one state, C(ok), C(expiring) (0 <= days_to_expiry <= O(within_days)), C(expired), or C(gone)
    (no longer returned by the API). A certificate whose expiry is unknown (no end time) is C(ok), so it is never reported as expiring.
  - The first poll emits every certificate that is C(expiring) or C(expired), with C(previous_state) null. Later polls emit only
    changes, including back to C(ok) (renewed or replaced by a later end time) and C(gone). A certificate that appears later
    is emitted only when it is expiring or expired; a known certificate is emitted on every change of state.
  - The poller keeps the states in memory, so a restarted source (or activation) starts over with a first poll.
  - "Faults: bad arguments, missing credentials, or any failure of the first poll (for example C(AuthFailure.SignatureFailure)
    or C(UnauthorizedOperation)) stop the source with one message that names the API error code; ansible-rulebook exits non-zero.
    After a good first poll, a failed poll (network, throttling beyond O(retries), 5xx, or any API error) is logged as a warning,
    the previous states are kept, no event is emitted for it (never a false C(gone)), and the next interval polls again."
  - Each event has one key, C(certificate_expiry), holding C(state), C(previous_state), C(certificate_id), C(domain),
    C(days_to_expiry), C(not_after), C(within_days) and C(certificate), the record the module returns (for C(gone), the last record seen).
    The private key password stays masked as in the module; keys and tokens never appear in events or messages.
  - The connection options have the names, defaults and environment variables of the module (see the connection options below).
  - The source imports the collection's module_utils from the installation it is loaded from, so the collection must be
    installed as a whole (C(ansible-galaxy collection install)), and C(requests) must be installed for the Python that runs ansible-rulebook.
author:
  - cloudcert maintainers (@cloudcert)
extends_documentation_fragment:
  - cloudcert.tencent._connection
options:
  certificate_ids:
    description:
      - Watch exactly these certificates. An id the API does not know counts as C(gone) (a warning on the first poll).
      - Without ids the source watches every certificate that the listing filters O(search), O(statuses) and O(certificate_type)
        select (all certificates of the account when none is set).
    type: list
    elements: str
    aliases: [certificate_id, id]
  search:
    description: Without O(certificate_ids), watch only certificates whose id, alias or domain contains this text.
    type: str
  statuses:
    description: Without O(certificate_ids), watch only certificates in these API states (C(CertificateStatus)).
    type: list
    elements: int
  certificate_type:
    description: Without O(certificate_ids), watch only C(SVR) (server) or C(CA) certificates.
    type: str
    choices: [SVR, CA]
  details:
    description:
      - false uses the lighter C(DescribeCertificates) records (one call per 1000 certificates per poll, or per 50 ids);
        true fetches the full C(DescribeCertificate) record of each certificate (one call per certificate per poll).
    type: bool
    default: false
  within_days:
    description: A certificate is C(expiring) when it expires within this many days (0 <= days_to_expiry <= within_days).
    type: int
    default: 30
  interval:
    description: Seconds between the start of one poll and the next.
    type: float
    default: 3600
  once:
    description:
      - Poll once, emit the events of that poll and return (ansible-rulebook then finishes the rules and exits).
        For cron-like runs and tests.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: React to certificates that expire within 30 days
  hosts: all
  sources:
    - cloudcert.tencent.certificate_expiry:
        within_days: 30
        interval: 3600
  rules:
    - name: Renew or notify
      condition: event.certificate_expiry.state in ["expiring", "expired"]
      action:
        run_playbook:
          name: renew_certificate.yml

- name: Watch two certificates with temporary keys from the environment, every 10 minutes
  hosts: all
  sources:
    - cloudcert.tencent.certificate_expiry:
        certificate_ids: [Juz8JAxn, Kx9mPq2r]
        within_days: 14
        interval: 600
  rules:
    - name: Renewed
      condition: event.certificate_expiry.state == "ok" and event.certificate_expiry.previous_state is defined
      action:
        debug:
          msg: "{{ event.certificate_expiry.certificate_id }} was renewed"
"""

LOGGER = logging.getLogger("cloudcert.tencent.certificate_expiry")
EVENT_KEY = "certificate_expiry"
STATES = ("ok", "expiring", "expired", "gone")
OPTION_SOURCE = "source arguments"
# The source's own arguments; the connection options come from module_utils/_options.py and what to watch
# (certificate_ids, search, statuses, certificate_type) from module_utils/_gather.py, as for the module.
SOURCE_ARGUMENT_SPEC = {
    "details": {"type": "bool", "default": False},
    "within_days": {"type": "int", "default": 30},
    "interval": {"type": "float", "default": 3600.0},
    "once": {"type": "bool", "default": False},
}


class SourceArgumentError(ValueError):
    """Arguments that cannot work; str() is the message ansible-rulebook prints."""


class SourceError(RuntimeError):
    """The first poll failed (credentials, permission, network...); str() names the API error code."""


def _collections_parent(path: str) -> str | None:
    """The directory holding ``ansible_collections`` for a file at .../ansible_collections/NS/NAME/extensions/eda/plugins/event_source/."""
    # abspath, not realpath: an installation reached through a symlinked collections path keeps its layout.
    parts = os.path.abspath(path).split(os.sep)
    if len(parts) >= 9 and parts[-8] == "ansible_collections":
        return os.sep.join(parts[:-8]) or os.sep
    return None


def _core():
    """The collection's module_utils, imported from the installation this file belongs to.

    ansible-rulebook loads a source by path (runpy), not as part of the ``ansible_collections`` package,
    so ``import ansible_collections...`` fails unless the directory that holds ``ansible_collections`` is
    on sys.path. It is put first, so the module_utils of THIS installation serve THIS source (one core,
    not a copy); it changes nothing when the directory is already there (tests, ansible-test).
    """
    parent = _collections_parent(__file__)
    if parent is not None and parent not in sys.path:
        sys.path.insert(0, parent)
    from ansible_collections.cloudcert.tencent.plugins.module_utils import _errors, _gather, _options

    return _options, _gather, _errors


@dataclass(frozen=True)
class Settings:
    """Validated arguments: what to watch, how often, and the connection option values."""

    connection: dict
    certificate_ids: list | None
    search: str | None
    statuses: list | None
    certificate_type: str | None
    details: bool
    within_days: int
    interval: float
    once: bool


def _secret_values(args: dict, spec: dict) -> set:
    """Every value given for a no_log option (or its aliases), to scrub from validation messages."""
    secrets = set()
    for name, entry in spec.items():
        if entry.get("no_log"):
            for key in [name] + list(entry.get("aliases") or []):
                if args.get(key) not in (None, ""):
                    secrets.add(str(args[key]))
    return secrets


def parse_arguments(args) -> Settings:
    """Validate ``args`` with Ansible's own argument spec validator: the module's types, defaults, choices and env fallbacks."""
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
    from ansible.module_utils.common.parameters import remove_values
    from ansible.module_utils.errors import UnsupportedError

    options, _gather, _errors = _core()
    if args is None:
        args = {}
    if not isinstance(args, dict):
        raise SourceArgumentError("cloudcert.tencent.certificate_expiry: arguments must be a mapping, got %s" % type(args).__name__)
    spec = options.connection_argument_spec()
    spec.update(_gather.selection_argument_spec())
    spec.update(SOURCE_ARGUMENT_SPEC)
    result = ArgumentSpecValidator(spec, mutually_exclusive=_gather.SELECTION_MUTUALLY_EXCLUSIVE).validate(args)
    if result.error_messages:
        # The validator words an unknown name as "x. Supported parameters include: ..."; say what it is.
        messages = [("unsupported argument " if isinstance(error, UnsupportedError) else "") + error.msg for error in result.errors]
        text = remove_values("; ".join(messages), _secret_values(args, spec))
        raise SourceArgumentError("cloudcert.tencent.certificate_expiry: invalid arguments: %s" % text)
    params = result.validated_parameters
    if params["within_days"] < 0:
        raise SourceArgumentError("cloudcert.tencent.certificate_expiry: within_days must be 0 or more, got %d" % params["within_days"])
    if not params["interval"] > 0:
        raise SourceArgumentError("cloudcert.tencent.certificate_expiry: interval must be a number of seconds greater than 0, got %r" % params["interval"])
    try:
        ids = _gather.clean_ids(params["certificate_ids"]) if params["certificate_ids"] is not None else None
    except _errors.TencentCloudError as error:
        raise SourceArgumentError("cloudcert.tencent.certificate_expiry: %s" % error) from None
    return Settings(
        connection={name: params.get(name) for name in options.OPTION_NAMES},
        certificate_ids=ids,
        search=params["search"],
        statuses=params["statuses"],
        certificate_type=params["certificate_type"],
        details=params["details"],
        within_days=params["within_days"],
        interval=float(params["interval"]),
        once=params["once"],
    )


def classify(record: dict, within_days: int) -> str:
    """ok, expiring or expired; a certificate without a known expiry is ok (it cannot be said to expire)."""
    days = record.get("days_to_expiry")
    if not isinstance(days, int) or isinstance(days, bool):
        return "ok"
    if record.get("expired") is True or days < 0:
        return "expired"
    return "expiring" if days <= within_days else "ok"


class ExpiryTracker:
    """The state of each certificate between polls, and the events a new poll's answer causes."""

    def __init__(self, within_days: int) -> None:
        self.within_days = within_days
        self.states: dict = {}  # certificate id -> state (gone ones stay known, so a return is a change)
        self.records: dict = {}  # certificate id -> last record seen (for the gone event)
        self.polled = False

    def update(self, records: list, missing=()) -> list:
        """Events for one successful poll: ``records`` as gathered, ``missing`` the watched ids not found."""
        events = []
        seen = {}
        for record in records:
            seen.setdefault(record.get("certificate_id"), record)  # a repeated id is one certificate
        for cert_id, record in seen.items():
            state = classify(record, self.within_days)
            previous = self.states.get(cert_id)
            # Unknown before (first poll, or new since): only what needs attention. Known: every change.
            if (cert_id not in self.states and state in ("expiring", "expired")) or (cert_id in self.states and previous != state):
                events.append(self._event(state, previous, record))
            self.states[cert_id] = state
            self.records[cert_id] = record
        for cert_id in missing:
            if not self.polled and cert_id not in self.states:
                LOGGER.warning("cloudcert.tencent.certificate_expiry: certificate %s was not found; it counts as gone until it appears", cert_id)
                self.states[cert_id] = "gone"
        for cert_id, previous in list(self.states.items()):
            if cert_id not in seen and previous != "gone":
                events.append(self._event("gone", previous, self.records.get(cert_id) or {"certificate_id": cert_id}))
                self.states[cert_id] = "gone"
        self.polled = True
        return events

    def _event(self, state: str, previous: str | None, record: dict) -> dict:
        return {
            EVENT_KEY: {
                "state": state,
                "previous_state": previous,
                "certificate_id": record.get("certificate_id"),
                "domain": record.get("domain"),
                "days_to_expiry": record.get("days_to_expiry"),
                "not_after": record.get("not_after"),
                "within_days": self.within_days,
                "certificate": record,
            }
        }


def poll(client, settings: Settings) -> tuple:
    """One gathering with the module's core (blocking; run in a thread). Returns (records, missing ids)."""
    _options, _gather, _errors = _core()
    request = _gather.Request.of(
        {
            "certificate_ids": settings.certificate_ids,
            "search": settings.search,
            "statuses": settings.statuses,
            "certificate_type": settings.certificate_type,
            "details": settings.details,
            "on_missing": "skip",  # a watched id that disappears is "gone", not an error
        }
    )
    result = _gather.gather(client, request, warn=LOGGER.warning)
    return result["certificates"], result["missing"]


def _connect(settings: Settings):
    options, _gather, _errors = _core()
    return options.build_client(settings.connection, warn=LOGGER.warning, option_source=OPTION_SOURCE)


async def main(queue, args: dict) -> None:
    """ansible-rulebook's entry point: poll, put the events on ``queue``, sleep ``interval``; forever unless ``once``."""
    settings = parse_arguments(args)
    _options, _gather, errors = _core()
    try:
        # Reading profile files (and a CVM role) may block: not on the event loop.
        client = await asyncio.to_thread(_connect, settings)
    except errors.TencentCloudError as error:
        raise SourceError("cloudcert.tencent.certificate_expiry: %s" % errors.describe_failure(error)) from None
    tracker = ExpiryTracker(settings.within_days)
    loop = asyncio.get_running_loop()
    try:
        while True:
            started = loop.time()
            try:
                records, missing = await asyncio.to_thread(poll, client, settings)
            except errors.TencentCloudError as error:
                text = errors.describe_failure(error)
                if not tracker.polled:
                    # Nothing ever worked: a typo in the endpoint or a revoked key looks like an outage, so stop and say so.
                    raise SourceError("cloudcert.tencent.certificate_expiry: the first poll failed: %s" % text) from None
                LOGGER.warning("cloudcert.tencent.certificate_expiry: poll failed, states kept, next poll in %gs: %s", settings.interval, text)
            else:
                for event in tracker.update(records, missing):
                    await queue.put(event)
            if settings.once:
                return
            await asyncio.sleep(max(0.0, settings.interval - (loop.time() - started)))
    finally:
        client.close()


if __name__ == "__main__":
    # python certificate_expiry.py: one poll with the TENCENTCLOUD_* environment, events printed.

    class _PrintQueue:
        async def put(self, event) -> None:
            print(event)  # noqa: T201

    asyncio.run(main(_PrintQueue(), {"once": True}))
