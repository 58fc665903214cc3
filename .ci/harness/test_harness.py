"""The harness' own logic: how a run is summed up, and the interpreter links (nox -s harness)."""

from __future__ import annotations

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from harness import pythons, results  # noqa: E402  (the harness package is found through the line above)


def _report(path, sessions):
    path.write_text(json.dumps({"sessions": sessions}))
    return str(path)


def test_a_session_that_did_not_run_or_left_no_count_is_a_failure(tmp_path):
    counts = tmp_path / "results"
    counts.mkdir()
    (counts / "units-2.21.json").write_text(json.dumps({"passed": 10, "failed": 0, "note": "10 tests"}))
    (counts / "units-2.16.json").write_text(json.dumps({"passed": 9, "failed": 1, "note": "10 tests"}))
    report = _report(
        tmp_path / "report.json",
        [
            {"name": "units-2.21", "result": "success", "duration": 3.0},
            {"name": "units-2.16", "result": "failed", "duration": 2.0},
            {"name": "build", "result": "success", "duration": 1.0},
            {"name": "ee", "result": "failed", "reason": "boom", "duration": 1.0},
        ],
    )
    rows, passed, failed = results.summarize(report, str(counts), ["units-2.21", "units-2.16", "build", "ee", "demo"])
    by_name = {row[0]: row for row in rows}
    assert (passed, failed) == (10 + 9 + 1, 1 + 1 + 1)
    assert by_name["demo"][1:4] == ("not run", 0, 1)
    assert by_name["ee"][3] == 1 and by_name["ee"][5] == "boom"
    assert by_name["build"][2:4] == (1, 0)


def test_a_failed_session_whose_count_shows_no_failure_still_fails(tmp_path):
    counts = tmp_path / "results"
    counts.mkdir()
    (counts / "units-2.21.json").write_text(json.dumps({"passed": 10, "failed": 0, "note": "10 tests"}))
    report = _report(tmp_path / "report.json", [{"name": "units-2.21", "result": "failed", "duration": 3.0}])
    rows, passed, failed = results.summarize(report, str(counts), ["units-2.21"])
    assert (passed, failed) == (10, 1) and "session failed" in rows[0][5]


def test_no_report_means_every_session_failed(tmp_path):
    rows, passed, failed = results.summarize(str(tmp_path / "missing.json"), str(tmp_path), ["a", "b"])
    assert (passed, failed) == (0, 2) and [row[1] for row in rows] == ["not run", "not run"]


def test_the_closing_line(capsys):
    results.print_summary([("a", "success", 3, 0, 1.0, "")], 3, 0, 2.0)
    assert capsys.readouterr().out.splitlines()[-1] == "3 passed, 0 failed"


def test_junit_and_integration_counts(tmp_path):
    (tmp_path / "python3.12-units.xml").write_text('<testsuites><testsuite tests="5" failures="1" errors="1" skipped="2"/></testsuites>')
    (tmp_path / "python3.13-units.xml").write_text('<testsuite tests="3" failures="0" errors="0" skipped="0"/>')
    assert results.junit_counts(str(tmp_path)) == (8, 2, 2)
    (tmp_path / "integration-1.json").write_text(json.dumps({"targets": {"a": {}, "b": {}}}))
    assert results.passed_targets(str(tmp_path)) == {"a", "b"}


def test_interpreter_links_are_resolved_and_rebuilt(tmp_path):
    pybin = tmp_path / "pybin"
    pybin.mkdir()
    version = "%d.%d" % sys.version_info[:2]
    (pybin / ("python" + version)).symlink_to(tmp_path / "gone" / "python")  # a link a removed interpreter left
    pythons.make_pybin(str(pybin))
    link = pybin / ("python" + version)
    assert os.path.exists(link) and os.path.realpath(link) == os.readlink(link)  # points at a real file, not a link
