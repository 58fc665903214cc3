#!/usr/bin/env bash
# The README's first command, `make demo`, must keep working: run it and check what a person would read.
set -euo pipefail

out="$WORK/demo.log"
bash "$COLL/.ci/demo.sh" >"$out" 2>&1 || { cat "$out"; echo "make demo failed"; exit 1; }

expect() {  # expect LABEL PATTERN: the demo output must show it
  grep -qE -- "$2" "$out" || { cat "$out"; echo "demo output lacks $1 (/$2/)"; exit 1; }
}
expect "the expiry report header" 'ID +STATE +DAYS +NOT AFTER \(UTC\)'
expect "an expired certificate in the report" 'ExPd0003 +EXPIRED'
expect "the passing gate" 'No certificate expires within 30 days'
expect "the failing gate" 'the gate failed as it should'
expect "a deployment" 'DEPLOY www\.example\.com: NoRm0001'
expect "a blocked deployment" 'BLOCK'
expect "a skipped host" 'SKIP +intranet\.example\.org'
expect "an event source event for an expiring certificate" 'event => EXPIRING SoOn0002 \(api\.example\.com\): 12 days left'
expect "an event source event for an expired certificate" 'event => EXPIRED ExPd0003 \(old\.example\.com\): expired on'
expect "no throttling" 'throttled: 0'
if [ "$(grep -c '^event => ' "$out")" -ne 2 ]; then cat "$out"; echo "the rulebook step must show exactly 2 events (one expiring, one expired)"; exit 1; fi
echo "demo: ran, report, gates, deployment decisions and rulebook events as expected"
