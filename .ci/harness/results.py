"""What each session counted, and the closing table of a run.

A session records its own counts (unit test cases, integration targets, or 1 for a pass/fail check) in a JSON file
of the run's results directory; nox's report says which sessions ran and how they ended. A selected session that
did not run, or failed without recording, counts as one failure, so nothing can be green by being left out.
"""

from __future__ import annotations

import glob
import json
import os
import xml.etree.ElementTree as ET

RESULTS_ENV = "CLOUDCERT_RESULTS"


def record(session: str, passed: int, failed: int, note: str = "") -> None:
    """Write what SESSION counted (a later record of the same session replaces the earlier one)."""
    directory = os.environ.get(RESULTS_ENV)
    if not directory:
        return  # nox run by hand, outside .ci/bootstrap.sh: nobody sums up
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, session + ".json"), "w", encoding="utf-8") as handle:
        json.dump({"passed": passed, "failed": failed, "note": note}, handle)


def junit_counts(directory: str) -> tuple[int, int, int]:
    """(tests, failures + errors, skipped) summed over ansible-test's ``*-units.xml`` files in DIRECTORY."""
    tests = failed = skipped = 0
    for path in glob.glob(os.path.join(directory, "*-units.xml")):
        root = ET.parse(path).getroot()
        for suite in [root] if root.tag == "testsuite" else root.iter("testsuite"):
            tests += int(suite.get("tests", 0))
            failed += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
            skipped += int(suite.get("skipped", 0))
    return tests, failed, skipped


def passed_targets(directory: str) -> set[str]:
    """The integration targets that ansible-test recorded as passed in DIRECTORY (tests/output/data)."""
    passed: set[str] = set()
    for path in glob.glob(os.path.join(directory, "integration-*.json")):
        with open(path, encoding="utf-8") as handle:
            passed.update(json.load(handle).get("targets", {}))
    return passed


def summarize(report_path: str, results_dir: str, selected: list[str]) -> tuple[list[tuple[str, str, int, int, float, str]], int, int]:
    """Rows (session, status, passed, failed, seconds, note) for every selected session, and the totals."""
    try:
        with open(report_path, encoding="utf-8") as handle:
            report = {entry["name"]: entry for entry in json.load(handle).get("sessions", [])}
    except (OSError, ValueError):
        report = {}
    rows = []
    for name in selected:
        entry = report.get(name)
        counted = None
        try:
            with open(os.path.join(results_dir, name + ".json"), encoding="utf-8") as handle:
                counted = json.load(handle)
        except (OSError, ValueError):
            pass
        status = entry["result"] if entry else "not run"
        seconds = float(entry.get("duration") or 0.0) if entry else 0.0
        if counted is None:
            passed, failed, note = (1, 0, "") if status == "success" else (0, 1, entry.get("reason") or "" if entry else "did not run")
        else:
            passed, failed, note = counted["passed"], counted["failed"], counted["note"]
            if status != "success" and failed == 0:
                failed, note = 1, (note + "; " if note else "") + "session %s" % status
        rows.append((name, status, passed, failed, seconds, note))
    return rows, sum(row[2] for row in rows), sum(row[3] for row in rows)


def print_summary(rows, passed: int, failed: int, wall: float) -> None:
    """The table, then the one closing line CI reads."""
    print("\n=== summary: %d sessions in %.0f s (wall clock)" % (len(rows), wall))
    print("  %-34s %-8s %7s %7s %7s  %s" % ("session", "result", "passed", "failed", "time", "note"))
    for name, status, n_passed, n_failed, seconds, note in rows:
        print("  %-34s %-8s %7d %7d %6.0fs  %s" % (name, "ok" if status == "success" and not n_failed else "FAIL", n_passed, n_failed, seconds, note))
    print("%d passed, %d failed" % (passed, failed))
