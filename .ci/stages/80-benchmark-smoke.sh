#!/usr/bin/env bash
# Extra stage: a short smoke run of the benchmark (tests/benchmarks/run.py --quick: N=10, zero emulator
# latency, one repetition; a 10-host fleet at forks 10) so that it cannot rot. It checks that every scenario
# RUNS, that the fleet has no failed host and that the JSON results are written; it never judges speed (the
# numbers of a --quick run mean nothing).
# Runs from .ci/test.sh with cwd = the laid-out collection and COLL, WORK, VENV set.
set -euo pipefail

OUT="$WORK/benchmark-smoke.json"
rm -f "$OUT"
python "$COLL/tests/benchmarks/run.py" --quick --out "$OUT"

python - "$OUT" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
want = {"startup", "module_10", "sdk_10", "loop_10", "batch_10", "listing", "lookup", "cpu", "fleet_10"}
results = doc.get("results", {})
missing = sorted(want - set(results))
if results.get("fleet_10", {}).get("failed_hosts"):
    missing.append("fleet_10 without failed hosts (%s failed)" % results["fleet_10"]["failed_hosts"])
if missing or doc.get("failures"):
    print("benchmark smoke: missing %s, failures %s" % (missing, sorted(doc.get("failures", {}))))
    sys.exit(1)
skipped = [k for k, v in results.items() if isinstance(v, dict) and "skipped" in v]
print("benchmark smoke: %d scenarios ran%s, JSON written" % (len(results) - len(skipped), ", skipped: %s" % skipped if skipped else ""))
PY
