"""Read the events ansible-rulebook printed (print_event, pretty: false) and check or wait for them.

python check_events.py once LOG EVENTS_JSONL     the one-poll run printed exactly the expected events
python check_events.py wait LOG ID STATE PREV    wait (up to 180 s) until LOG shows that event
"""

from __future__ import annotations

import ast
import json
import os
import sys
import time

sys.path.insert(0, os.environ["COLLECTION_ROOT"])  # the emulator's demo key and fixture password, not copies
from tests.emulator import DEMO_SECRET_KEY, KEY_PASSWORD  # noqa: E402

FIELDS = {"state", "previous_state", "certificate_id", "domain", "days_to_expiry", "not_after", "within_days", "certificate"}
SECRETS = (DEMO_SECRET_KEY, KEY_PASSWORD)


def events(path: str) -> list:
    found = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("{") and "certificate_expiry" in line:
                event = ast.literal_eval(line.strip())["certificate_expiry"]
                assert set(event) == FIELDS, sorted(event)
                found.append(event)
    return found


def summary(found: list) -> list:
    return sorted((e["certificate_id"], e["state"], e["previous_state"]) for e in found)


def check_once(log: str, events_file: str) -> None:
    found = events(log)
    expected = [("ExPd0003", "expired", None), ("KeYp0006", "expiring", None), ("SoOn0002", "expiring", None), ("UnIc0008", "expiring", None)]
    assert summary(found) == expected, summary(found)
    by_id = {e["certificate_id"]: e for e in found}
    assert by_id["SoOn0002"]["days_to_expiry"] == 12 and by_id["SoOn0002"]["domain"] == "api.example.com"
    assert by_id["ExPd0003"]["days_to_expiry"] == -30 and by_id["ExPd0003"]["certificate"]["expired"] is True
    assert by_id["UnIc0008"]["days_to_expiry"] == 60 and all(e["within_days"] == 60 for e in found)
    assert all(e["not_after"] == e["certificate"]["not_after"] and e["not_after"].endswith("Z") for e in found)
    text = open(log, encoding="utf-8").read()
    assert not any(secret in text for secret in SECRETS), "a secret was printed"
    with open(events_file, encoding="utf-8") as handle:
        recorded = [json.loads(line) for line in handle]
    assert [(e["certificate_id"], e["state"]) for e in recorded] == [("ExPd0003", "expired")], recorded
    print("once: %d events as expected: %s" % (len(found), ", ".join("%s %s" % (e["certificate_id"], e["state"]) for e in found)))
    print("run_playbook: the playbook recorded %s" % recorded[0]["certificate_id"])


def wait(log: str, cert_id: str, state: str, previous: str) -> None:
    wanted = (cert_id, state, None if previous == "null" else previous)
    deadline = time.monotonic() + 180  # generous: ansible-rulebook starts slowly on a loaded machine
    while time.monotonic() < deadline:
        if wanted in summary(events(log)):
            print("event seen: %s %s (was %s)" % wanted)
            return
        time.sleep(0.2)
    raise SystemExit("timed out waiting for %s; events so far: %s" % (wanted, summary(events(log))))


if __name__ == "__main__":
    if sys.argv[1] == "once":
        check_once(sys.argv[2], sys.argv[3])
    else:
        wait(*sys.argv[2:6])
