#!/usr/bin/env bash
# The certificate_expiry event source run by the real ansible-rulebook (PyPI, cached venv) against the emulator:
# one poll emits exactly the expected events and a rule's run_playbook gets the event; a running source sees
# a renewal and a deletion between polls and lives through failed polls; a bad key stops it with the API's code.
set -eu
cd "$(dirname "$0")"
# shellcheck source=SCRIPTDIR/../setup_emulator/emulator.sh
source ../setup_emulator/emulator.sh
# shellcheck source=SCRIPTDIR/rulebook_venv.sh
source ./rulebook_venv.sh
rulebook_venv

SOURCE_FILE="extensions/eda/plugins/event_source/certificate_expiry.py"
found=""
IFS=: read -ra collection_dirs <<<"${ANSIBLE_COLLECTIONS_PATH:-}"
for dir in "${collection_dirs[@]}"; do
  [ -f "$dir/ansible_collections/cloudcert/tencent/$SOURCE_FILE" ] && found="$dir" && break
done
[ -n "$found" ] || { echo "set ANSIBLE_COLLECTIONS_PATH to the directory that holds ansible_collections/cloudcert/tencent" >&2; exit 1; }
export COLLECTION_ROOT  # check_events.py imports the emulator from it

start_emulator --rate-limit 10
eval "$(cd "$COLLECTION_ROOT" && "$EMULATOR_PYTHON" -c '
from tests.emulator import keys
print("export TENCENTCLOUD_SECRET_ID=%s TENCENTCLOUD_SECRET_KEY=%s" % (keys.DEMO_SECRET_ID, keys.DEMO_SECRET_KEY))')"
export TENCENTCLOUD_SSL_ENDPOINT="$EMULATOR_URL"
printf 'events_file: %s\n' "$EMULATOR_DIR/events.jsonl" >"$EMULATOR_DIR/vars.yml"
check() { "$EMULATOR_PYTHON" check_events.py "$@"; }
# Every ansible-rulebook run is bounded: a run that hangs fails this target instead of the whole CI job. timeout
# is the process itself (no shell function around it), so a background run's PID is timeout's, which passes a
# SIGTERM on to ansible-rulebook.
RULEBOOK=(timeout --kill-after=10 300 ansible-rulebook)
# SIGTERM, not SIGINT: a background job of a non-interactive shell (CI) starts with SIGINT ignored, so
# ansible-rulebook would never see it. Then SIGKILL if it is still there after 30 s.
stop_rulebook() {
  local _
  kill -TERM "$RULEBOOK_PID" 2>/dev/null || return 0
  for _ in $(seq 150); do kill -0 "$RULEBOOK_PID" 2>/dev/null || break; sleep 0.2; done
  kill -KILL "$RULEBOOK_PID" 2>/dev/null || true
  wait "$RULEBOOK_PID" 2>/dev/null || true
}
control() {  # control NAME JSON: POST to the emulator's control endpoint
  "$EMULATOR_PYTHON" -c 'import sys, urllib.request; urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=sys.argv[2].encode(), method="POST"))' \
    "$EMULATOR_URL/_emulator/$1" "$2"
}

echo "=== once: true, within_days: 60"
t0=$SECONDS
"${RULEBOOK[@]}" --rulebook rulebooks/once.yml -i inventory.ini --vars "$EMULATOR_DIR/vars.yml" >"$EMULATOR_DIR/once.log" 2>&1 ||
  { cat "$EMULATOR_DIR/once.log"; echo "ansible-rulebook failed"; exit 1; }
echo "ansible-rulebook ran and exited 0 in $((SECONDS - t0))s"
check once "$EMULATOR_DIR/once.log" "$EMULATOR_DIR/events.jsonl" || { cat "$EMULATOR_DIR/once.log"; exit 1; }

echo "=== a running source (interval: 1): a renewal, failed polls and a deletion"
WATCH_LOG="$EMULATOR_DIR/watch.log"
"${RULEBOOK[@]}" --rulebook rulebooks/watch.yml -i inventory.ini >"$WATCH_LOG" 2>&1 &
RULEBOOK_PID=$!
trap 'stop_rulebook; cleanup_emulator' EXIT
watch_failed() { cat "$WATCH_LOG"; echo "$1"; exit 1; }
check wait "$WATCH_LOG" SoOn0002 expiring null || watch_failed "no first poll"
check wait "$WATCH_LOG" ExPd0003 expired null || watch_failed "no first poll"
control certificates '{"CertificateId": "SoOn0002", "expires_in_days": 200}'
check wait "$WATCH_LOG" SoOn0002 ok expiring || watch_failed "the renewal was not seen"
# Three listings answer InternalError (retries: 0, so three failed polls) while a certificate is deleted.
control faults '{"kind": "internal_error", "count": 3, "action": "DescribeCertificates"}'
control certificates '{"CertificateId": "NoRm0001", "delete": true}'
check wait "$WATCH_LOG" NoRm0001 gone ok || watch_failed "the deletion was not seen"
kill -0 "$RULEBOOK_PID" 2>/dev/null || watch_failed "ansible-rulebook died"
failed_polls="$(grep -c 'poll failed, states kept' "$WATCH_LOG" || true)"
[ "$failed_polls" -ge 3 ] || watch_failed "expected 3 failed polls logged as warnings, saw $failed_polls"
grep -q 'InternalError' "$WATCH_LOG" || watch_failed "the warning does not name the error code"
"$EMULATOR_PYTHON" - "$WATCH_LOG" <<'PY' || watch_failed "unexpected events"
import sys
from check_events import events
seen = sorted((e["certificate_id"], e["state"], e["previous_state"]) for e in events(sys.argv[1]))
# The failed polls produced no event at all: in particular no certificate was reported gone because of them.
assert seen == [("ExPd0003", "expired", None), ("NoRm0001", "gone", "ok"), ("SoOn0002", "expiring", None), ("SoOn0002", "ok", "expiring")], seen
print("running source: events %s" % seen)
PY
stop_rulebook

echo "=== a bad key: ansible-rulebook exits non-zero and names the API error code"
BAD_KEY="not-the-key-$RANDOM$RANDOM"
if TENCENTCLOUD_SECRET_KEY="$BAD_KEY" "${RULEBOOK[@]}" --rulebook rulebooks/once.yml -i inventory.ini --vars "$EMULATOR_DIR/vars.yml" \
  >"$EMULATOR_DIR/badkey.log" 2>&1; then
  cat "$EMULATOR_DIR/badkey.log"; echo "ansible-rulebook exited 0 with a bad key"; exit 1
fi
grep -q 'AuthFailure.SignatureFailure' "$EMULATOR_DIR/badkey.log" || { cat "$EMULATOR_DIR/badkey.log"; echo "no error code in the output"; exit 1; }
if grep -q -- "$BAD_KEY" "$EMULATOR_DIR/badkey.log"; then echo "the secret key was printed"; exit 1; fi
grep -m1 'AuthFailure.SignatureFailure' "$EMULATOR_DIR/badkey.log"
echo "eda_certificate_expiry: all checks passed"
