# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The certificate_expiry event source: states, events and fault rules, against the emulator with a queue double."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys

import pytest
import yaml
from ansible_collections.cloudcert.tencent.extensions.eda.plugins.event_source import certificate_expiry as source
from ansible_collections.cloudcert.tencent.plugins.doc_fragments._connection import ModuleDocFragment
from ansible_collections.cloudcert.tencent.plugins.module_utils._gather import selection_argument_spec
from ansible_collections.cloudcert.tencent.plugins.module_utils._options import OPTION_NAMES, connection_argument_spec
from ansible_collections.cloudcert.tencent.tests.emulator import (
    DEMO_SECRET_ID,
    DEMO_SECRET_KEY,
    DENIED_SECRET_ID,
    DENIED_SECRET_KEY,
    KEY_PASSWORD,
    ROLE_POD,
    ROLE_READER,
    WEB_IDENTITY_TOKEN,
)

KEYS = {"secret_id": DEMO_SECRET_ID, "secret_key": DEMO_SECRET_KEY}
FIELDS = {"state", "previous_state", "certificate_id", "domain", "days_to_expiry", "not_after", "within_days", "certificate"}


class ListQueue:
    """What ansible-rulebook hands a source, reduced to ``put``: the events in order."""

    def __init__(self) -> None:
        self.events: list = []

    async def put(self, event) -> None:
        self.events.append(event)


def args_for(emulator, **extra) -> dict:
    return dict(KEYS, endpoint=emulator.url, retries=0, rate_limit=1000, **extra)


def run_once(emulator, **extra) -> list:
    queue = ListQueue()
    asyncio.run(source.main(queue, args_for(emulator, once=True, **extra)))
    return queue.events


def summary(events: list) -> list:
    return [(e["certificate_expiry"]["certificate_id"], e["certificate_expiry"]["state"], e["certificate_expiry"]["previous_state"]) for e in events]


def record(cert_id: str, days, **extra) -> dict:
    expired = None if days is None else days < 0
    return dict({"certificate_id": cert_id, "domain": cert_id.lower() + ".example.com", "days_to_expiry": days, "expired": expired}, **extra)


# --- states --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "days, expected",
    [(None, "ok"), (31, "ok"), (30, "expiring"), (0, "expiring"), (-1, "expired"), (True, "ok"), ("12", "ok")],
)
def test_classify(days, expected):
    assert source.classify({"days_to_expiry": days}, 30) == expected


def test_first_poll_emits_only_what_needs_attention():
    tracker = source.ExpiryTracker(30)
    events = tracker.update([record("A", 100), record("B", 12), record("C", -3), record("D", None), record("B", 12)])
    assert summary(events) == [("B", "expiring", None), ("C", "expired", None)]  # a repeated id is one certificate
    event = events[0]["certificate_expiry"]
    assert set(event) == FIELDS
    assert event["within_days"] == 30 and event["days_to_expiry"] == 12 and event["domain"] == "b.example.com"
    assert event["certificate"] == record("B", 12)
    assert tracker.update([record("A", 100), record("B", 12), record("C", -3), record("D", None)]) == []  # nothing changed


def test_later_polls_emit_every_change_of_a_known_certificate():
    tracker = source.ExpiryTracker(30)
    tracker.update([record("A", 31), record("B", 12), record("C", 1)])
    events = tracker.update([record("A", 30), record("B", 200), record("C", -1), record("N", 100), record("E", 5)])
    assert summary(events) == [("A", "expiring", "ok"), ("B", "ok", "expiring"), ("C", "expired", "expiring"), ("E", "expiring", None)]
    events = tracker.update([record("A", 29), record("B", 200)])
    assert summary(events) == [("C", "gone", "expired"), ("N", "gone", "ok"), ("E", "gone", "expiring")]
    gone = events[0]["certificate_expiry"]
    assert gone["certificate"] == record("C", -1) and gone["days_to_expiry"] == -1  # the last record seen
    assert tracker.update([record("A", 29), record("B", 200)]) == []  # gone once
    events = tracker.update([record("A", 29), record("B", 200), record("N", 100)])
    assert summary(events) == [("N", "ok", "gone")]  # a known certificate came back


def test_unknown_expiry_is_never_expiring():
    tracker = source.ExpiryTracker(30)
    tracker.update([record("A", 10)])
    assert summary(tracker.update([record("A", None)])) == [("A", "ok", "expiring")]


def test_missing_ids_on_the_first_poll_warn_and_count_as_gone(caplog):
    tracker = source.ExpiryTracker(30)
    with caplog.at_level(logging.WARNING, logger=source.LOGGER.name):
        events = tracker.update([record("A", 5)], missing=["NoSuch01"])
    assert summary(events) == [("A", "expiring", None)]
    assert "certificate NoSuch01 was not found" in caplog.text
    assert tracker.states["NoSuch01"] == "gone"
    assert summary(tracker.update([record("A", 5), record("NoSuch01", 3)])) == [("NoSuch01", "expiring", "gone")]


# --- arguments -----------------------------------------------------------------------------------------


def test_documentation_matches_the_argument_spec():
    doc = yaml.safe_load(source.DOCUMENTATION)
    assert doc["name"] == "certificate_expiry"
    assert doc["extends_documentation_fragment"] == ["cloudcert.tencent._connection"]
    fragment = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
    assert set(fragment) == set(OPTION_NAMES) == set(connection_argument_spec())
    own = dict(selection_argument_spec(), **source.SOURCE_ARGUMENT_SPEC)
    assert set(doc["options"]) == set(own)
    for name, spec in own.items():
        documented = doc["options"][name]
        assert documented["type"] == spec["type"], name
        assert documented.get("default") == spec.get("default"), name
        assert documented.get("choices") == spec.get("choices"), name
        assert documented.get("aliases") == spec.get("aliases"), name
    yaml.safe_load(source.EXAMPLES)


def test_defaults_and_environment_fallbacks_are_the_modules(monkeypatch):
    monkeypatch.setenv("TENCENTCLOUD_SSL_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setenv("TENCENTCLOUD_REGION", "ap-guangzhou")
    settings = source.parse_arguments({})
    assert settings.connection["endpoint"] == "http://127.0.0.1:9" and settings.connection["region"] == "ap-guangzhou"
    assert set(settings.connection) == set(OPTION_NAMES)
    assert source.parse_arguments({"endpoint": "ssl.tencentcloudapi.com"}).connection["endpoint"] == "ssl.tencentcloudapi.com"  # the argument wins
    monkeypatch.delenv("TENCENTCLOUD_SSL_ENDPOINT")
    assert source.parse_arguments({}).connection["endpoint"] == "ssl.intl.tencentcloudapi.com"
    for name, spec in connection_argument_spec().items():
        if "default" in spec and name not in ("endpoint", "region"):
            assert settings.connection[name] == spec["default"], name
    assert (settings.details, settings.within_days, settings.interval, settings.once) == (False, 30, 3600.0, False)
    assert source.parse_arguments({"id": ["Juz8JAxn"], "token": "t"}).certificate_ids == ["Juz8JAxn"]  # the module's aliases


@pytest.mark.parametrize(
    "args, words",
    [
        ({"bogus": 1}, "unsupported argument bogus"),
        ({"timeout": "soon"}, "'timeout'"),
        ({"within_days": "a month"}, "'within_days'"),
        ({"within_days": -1}, "within_days must be 0 or more"),
        ({"interval": 0}, "interval must be a number of seconds greater than 0"),
        ({"language": "fr-FR"}, "language"),
        ({"certificate_type": "EV"}, "certificate_type"),
        ({"certificate_ids": ["Juz8JAxn"], "search": "x"}, "mutually exclusive: certificate_ids|search"),
        ({"certificate_ids": ["bad id"]}, "'bad id' is not a valid certificate id"),
        ({"statuses": ["issued"]}, "'statuses'"),
        ({"rate_limit": 0}, "rate_limit: must be greater than 0"),
        ("not a mapping", "arguments must be a mapping"),
    ],
)
def test_bad_arguments_stop_before_any_request(emulator, args, words):
    full = dict(args_for(emulator, once=True), **args) if isinstance(args, dict) else args
    with pytest.raises((source.SourceArgumentError, source.SourceError)) as info:
        asyncio.run(source.main(ListQueue(), full))
    assert words in str(info.value)
    assert str(info.value).startswith("cloudcert.tencent.certificate_expiry: ")
    assert DEMO_SECRET_KEY not in str(info.value)
    assert emulator.requests == []


def test_a_secret_in_a_bad_argument_is_not_repeated():
    with pytest.raises(source.SourceArgumentError) as info:
        source.parse_arguments({"secret_key": "Sup3r-S3cret", "security_token": "T0ken-value", "timeout": "Sup3r-S3cret"})
    assert "Sup3r-S3cret" not in str(info.value) and "'timeout'" in str(info.value)


# --- one poll ------------------------------------------------------------------------------------------


def test_once_emits_each_expiring_and_expired_certificate(emulator):
    events = run_once(emulator)
    assert sorted(summary(events)) == [("ExPd0003", "expired", None), ("SoOn0002", "expiring", None)]
    assert all(set(e["certificate_expiry"]) == FIELDS and e["certificate_expiry"]["within_days"] == 30 for e in events)
    soon = next(e["certificate_expiry"] for e in events if e["certificate_expiry"]["certificate_id"] == "SoOn0002")
    assert soon["days_to_expiry"] == 12 and soon["domain"] == "api.example.com"
    assert soon["not_after"] == soon["certificate"]["not_after"] and soon["not_after"].endswith("T23:59:59Z")
    assert soon["certificate"]["certificate_id"] == "SoOn0002" and soon["certificate"]["expired"] is False
    assert emulator.count("DescribeCertificates") == 1 and emulator.count("DescribeCertificate") == 0  # details false: one listing call


def test_within_days_and_details(emulator):
    events = run_once(emulator, within_days=60, details=True)
    assert sorted(summary(events)) == [
        ("ExPd0003", "expired", None), ("KeYp0006", "expiring", None), ("SoOn0002", "expiring", None), ("UnIc0008", "expiring", None),
    ]  # fmt: skip
    keyp = next(e["certificate_expiry"]["certificate"] for e in events if e["certificate_expiry"]["certificate_id"] == "KeYp0006")
    assert keyp["submitted_data"]["key_password"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    text = json.dumps(events)
    assert KEY_PASSWORD not in text and DEMO_SECRET_KEY not in text
    assert emulator.count("DescribeCertificate") == len(emulator.certificates)


def test_listing_filters_reach_the_api(emulator):
    assert summary(run_once(emulator, search="api.example")) == [("SoOn0002", "expiring", None)]
    assert summary(run_once(emulator, statuses=[3])) == [("ExPd0003", "expired", None)]
    assert run_once(emulator, certificate_type="CA") == []


def test_certificate_ids(emulator, caplog):
    with caplog.at_level(logging.WARNING, logger=source.LOGGER.name):
        events = run_once(emulator, certificate_ids=["NoRm0001", "SoOn0002", "NoSuch01", "SoOn0002"])
    assert summary(events) == [("SoOn0002", "expiring", None)]
    assert "certificate NoSuch01 was not found" in caplog.text


def test_credentials_from_the_environment(emulator, monkeypatch):
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", DEMO_SECRET_ID)
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", DEMO_SECRET_KEY)
    monkeypatch.setenv("TENCENTCLOUD_SSL_ENDPOINT", emulator.url)
    queue = ListQueue()
    asyncio.run(source.main(queue, {"once": True, "retries": 0}))
    assert len(queue.events) == 2


def test_a_role_and_a_pod_identity(emulator, monkeypatch, tmp_path):
    """The source takes the role and web identity options and variables like the module: one STS call per source."""
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", DEMO_SECRET_ID)
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", DEMO_SECRET_KEY)
    queue = ListQueue()
    asyncio.run(source.main(queue, {"endpoint": emulator.url, "sts_endpoint": emulator.url, "role_arn": ROLE_READER, "once": True}))
    assert len(queue.events) == 2 and [call["action"] for call in emulator.sts_calls()] == ["AssumeRole"]
    monkeypatch.delenv("TENCENTCLOUD_SECRET_ID")
    monkeypatch.delenv("TENCENTCLOUD_SECRET_KEY")
    token = tmp_path / "token"
    token.write_text(WEB_IDENTITY_TOKEN)
    for name, value in (("TKE_REGION", "ap-guangzhou"), ("TKE_PROVIDER_ID", "OIDC"), ("TKE_WEB_IDENTITY_TOKEN_FILE", str(token)), ("TKE_ROLE_ARN", ROLE_POD)):
        monkeypatch.setenv(name, value)
    queue = ListQueue()
    asyncio.run(source.main(queue, {"endpoint": emulator.url, "sts_endpoint": emulator.url, "once": True}))
    assert len(queue.events) == 2 and emulator.sts_calls()[-1]["action"] == "AssumeRoleWithWebIdentity"
    with pytest.raises(source.SourceArgumentError, match="role_duration"):
        asyncio.run(source.main(ListQueue(), {"endpoint": emulator.url, "role_arn": ROLE_READER, "role_duration": "x", "once": True}))


# --- faults of the first poll ---------------------------------------------------------------------------


def test_no_credentials(emulator):
    with pytest.raises(source.SourceError) as info:
        asyncio.run(source.main(ListQueue(), {"endpoint": emulator.url, "once": True}))
    assert "no Tencent Cloud credentials found" in str(info.value) and "TENCENTCLOUD_SECRET_ID" in str(info.value)
    assert emulator.requests == []


@pytest.mark.parametrize(
    "keys, code",
    [
        ({"secret_id": DEMO_SECRET_ID, "secret_key": "not-the-key-0001"}, "AuthFailure.SignatureFailure"),
        ({"secret_id": DENIED_SECRET_ID, "secret_key": DENIED_SECRET_KEY}, "AuthFailure.UnauthorizedOperation"),
    ],
)
def test_auth_errors_stop_the_source_with_the_code(emulator, keys, code):
    with pytest.raises(source.SourceError) as info:
        asyncio.run(source.main(ListQueue(), dict(args_for(emulator, once=True, interval=0.01), **keys)))
    assert code in str(info.value) and "the first poll failed" in str(info.value)
    assert keys["secret_key"] not in str(info.value)
    assert emulator.count(outcome=code) == 1  # not retried


def test_a_first_poll_that_fails_for_any_reason_stops_the_source(emulator):
    emulator.add_fault("internal_error", count=-1)
    with pytest.raises(source.SourceError) as info:
        asyncio.run(source.main(ListQueue(), args_for(emulator, interval=0.01)))
    assert "InternalError" in str(info.value)


# --- a running source ----------------------------------------------------------------------------------


async def _next(queue: asyncio.Queue, timeout: float = 10.0) -> dict:
    return await asyncio.wait_for(queue.get(), timeout)


async def _until(predicate, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


def test_a_running_source_sees_changes_and_survives_failed_polls(emulator, caplog):
    async def scenario() -> None:
        queue: asyncio.Queue = asyncio.Queue()
        task = asyncio.create_task(source.main(queue, args_for(emulator, interval=0.05)))
        first = [await _next(queue), await _next(queue)]
        assert sorted(summary(first)) == [("ExPd0003", "expired", None), ("SoOn0002", "expiring", None)]

        emulator.set_certificate("SoOn0002", expires_in_days=200)  # renewed
        assert summary([await _next(queue)]) == [("SoOn0002", "ok", "expiring")]

        # Failed polls (the listing answers InternalError) while a certificate is deleted: warnings only, no event.
        emulator.add_fault("internal_error", count=-1)
        emulator.delete_certificate("NoRm0001")
        failures = emulator.count(outcome="internal_error")
        await _until(lambda: emulator.count(outcome="internal_error") >= failures + 3)
        assert queue.empty() and not task.done()
        emulator.faults.clear()
        assert summary([await _next(queue)]) == [("NoRm0001", "gone", "ok")]  # seen by the first good poll after them

        emulator.set_certificate("NoRm0001", fields=emulator.certificates["WiLd0004"], expires_in_days=-2)
        event = (await _next(queue))["certificate_expiry"]
        assert (event["certificate_id"], event["state"], event["previous_state"], event["days_to_expiry"]) == ("NoRm0001", "expired", "gone", -2)
        await asyncio.sleep(0.2)
        assert queue.empty()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    with caplog.at_level(logging.WARNING, logger=source.LOGGER.name):
        asyncio.run(scenario())
    assert "poll failed, states kept" in caplog.text and "InternalError" in caplog.text
    assert DEMO_SECRET_KEY not in caplog.text


def test_a_failed_describe_never_yields_a_false_gone(emulator, caplog):
    """With details, one certificate's describe failing fails the whole poll: the others are not reported gone."""

    async def scenario() -> None:
        queue: asyncio.Queue = asyncio.Queue()
        task = asyncio.create_task(source.main(queue, args_for(emulator, interval=0.05, details=True)))
        assert len([await _next(queue), await _next(queue)]) == 2
        emulator.add_fault("internal_error", count=-1, action="DescribeCertificate", certificate_id="NoRm0001")
        failures = emulator.count(outcome="internal_error")
        await _until(lambda: emulator.count(outcome="internal_error") >= failures + 3)
        emulator.faults.clear()
        await _until(lambda: emulator.count("DescribeCertificates") >= 6)
        assert queue.empty()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    with caplog.at_level(logging.WARNING, logger=source.LOGGER.name):
        asyncio.run(scenario())
    assert "certificate NoRm0001" in caplog.text


def test_the_event_loop_is_not_blocked_while_polling(emulator):
    emulator.configure(latency=0.3)

    async def scenario() -> int:
        ticks = 0
        task = asyncio.create_task(source.main(ListQueue(), args_for(emulator, once=True)))
        while not task.done():
            ticks += 1
            await asyncio.sleep(0.01)
        await task
        return ticks

    assert asyncio.run(scenario()) >= 10


# --- loaded the way ansible-rulebook loads it ----------------------------------------------------------


def test_collections_parent():
    path = os.path.join(os.sep, "srv", "c", "ansible_collections", "cloudcert", "tencent", "extensions", "eda", "plugins", "event_source", "x.py")
    assert source._collections_parent(path) == os.path.join(os.sep, "srv", "c")
    assert source._collections_parent(os.path.join(os.sep, "tmp", "x.py")) is None


def test_loaded_by_path_reaches_module_utils(tmp_path):
    """runpy.run_path, as ansible-rulebook does, in a Python whose sys.path lacks the collection."""
    import ansible
    import requests

    paths = [os.path.dirname(os.path.dirname(module.__file__)) for module in (ansible, requests, yaml)]
    code = (
        "import runpy, sys\n"
        "assert not any(__import__('os').path.isdir(p + '/ansible_collections/cloudcert') for p in sys.path if p), sys.path\n"
        "namespace = runpy.run_path(sys.argv[1])\n"
        "options, gather, errors = namespace['_core']()\n"
        "print(options.__name__, options.__file__)\n"
    )
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": os.pathsep.join(paths), "HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-c", code, source.__file__], cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    name, path = proc.stdout.split()
    assert name == "ansible_collections.cloudcert.tencent.plugins.module_utils._options"
    collection = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(source.__file__))))))
    assert os.path.abspath(path).startswith(collection + os.sep)  # this installation's core, not another copy
