#!/usr/bin/env bash
# Reliability: odd answers, timeouts, DNS failure, bad input, TLS, and the emulator dying mid-run.
set -eu
cd "$(dirname "$0")"
# shellcheck source=SCRIPTDIR/../setup_emulator/emulator.sh
source ../setup_emulator/emulator.sh

start_emulator --generate 200
KEYS_FILE="$EMULATOR_DIR/keys.json"
(cd "$COLLECTION_ROOT" && "$EMULATOR_PYTHON" -c '
import json, sys
from tests.emulator import keys
json.dump({"demo_secret_id": keys.DEMO_SECRET_ID, "demo_secret_key": keys.DEMO_SECRET_KEY}, sys.stdout)') >"$KEYS_FILE"
run_play() { ansible-playbook -i inventory.ini -e "endpoint=$EMULATOR_URL" -e "@$KEYS_FILE" "$@"; }

run_play play_faults.yml

# A fleet: 24 forks (processes) on one machine against the enforced 10/s share one rate limit.
FLEET_FROM="$(wc -l <"$EMULATOR_LOG")"
CLOUDCERT_TENCENT_RATELIMIT_DIR="$EMULATOR_DIR/ratelimit" CLOUDCERT_TENCENT_CACHE_DIR="$EMULATOR_DIR/fleet-cache" \
  ansible-playbook -i fleet_inventory.ini --forks 24 -e "endpoint=$EMULATOR_URL" -e "@$KEYS_FILE" play_fleet.yml
"$EMULATOR_PYTHON" - "$EMULATOR_LOG" "$FLEET_FROM" "$EMULATOR_DIR/ratelimit" <<'PY'
import json, os, sys
path, skip, state_dir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(path, encoding="utf-8") as handle:
    entries = [json.loads(line) for line in handle.read().splitlines()[skip:]]
times = sorted(entry["time"] for entry in entries)
busiest = max(sum(1 for t in times if start <= t < start + 1.0) for start in times)
throttled = [entry for entry in entries if "LimitExceeded" in str(entry["outcome"])]
assert len(entries) == 48, "expected 24 lookups + 24 module calls, got %d" % len(entries)
assert all(entry["outcome"] == "ok" for entry in entries), sorted({entry["outcome"] for entry in entries})
assert not throttled, "%d throttled answers" % len(throttled)
assert busiest <= 10, "%d requests within 1 s" % busiest
names = os.listdir(state_dir)
assert names and all(len(name) == 69 and name.endswith(".json") for name in names), names  # hashed names only
print("fleet: 24 hosts x (lookup + module), forks 24: 48 requests, 0 throttled, at most %d in any 1 s" % busiest)
PY

# The emulator killed mid-run: the task must fail as a whole, never return part of the answer.
queue_slow='{"kind": "slow", "seconds": 3, "count": -1}'
"$EMULATOR_PYTHON" -c 'import sys, urllib.request; urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=sys.argv[2].encode(), method="POST"))' \
  "$EMULATOR_URL/_emulator/faults" "$queue_slow"
OUT="$EMULATOR_DIR/killed.json"
run_play -e "result_file=$OUT" play_killed.yml >"$EMULATOR_DIR/killed.log" 2>&1 &
PLAY_PID=$!
for _ in $(seq 1 100); do
  [ -s "$EMULATOR_LOG" ] && break
  sleep 0.1
done
sleep 0.5
kill -KILL "$EMULATOR_PID"
EMULATOR_PID=""
wait "$PLAY_PID" || { cat "$EMULATOR_DIR/killed.log"; exit 1; }
"$EMULATOR_PYTHON" - "$OUT" <<'PY'
import json, sys
result = json.load(open(sys.argv[1], encoding="utf-8"))
assert result.get("failed") is True, result
assert "certificates" not in result, "partial results returned"
assert "cannot reach" in result["msg"] or "timeout" in result["msg"] or "reset" in result["msg"], result["msg"]
print("killed mid-run: failed cleanly: " + result["msg"])
PY

# TLS: a CA made now, the emulator serving HTTPS with a certificate it signed.
TLS_DIR="$EMULATOR_DIR/tls"
mkdir -p "$TLS_DIR"
"$EMULATOR_PYTHON" - "$TLS_DIR" <<'PY'
import sys, trustme
ca = trustme.CA()
cert = ca.issue_cert("127.0.0.1", "localhost")
ca.cert_pem.write_to_path(sys.argv[1] + "/ca.pem")
cert.private_key_pem.write_to_path(sys.argv[1] + "/key.pem")
cert.cert_chain_pems[0].write_to_path(sys.argv[1] + "/cert.pem")
for extra in cert.cert_chain_pems[1:]:
    extra.write_to_path(sys.argv[1] + "/cert.pem", append=True)
PY
start_emulator --tls-cert "$TLS_DIR/cert.pem" --tls-key "$TLS_DIR/key.pem"
run_play -e "tls_endpoint=https://127.0.0.1:$EMULATOR_PORT" -e "tls_ca=$TLS_DIR/ca.pem" play_tls.yml
