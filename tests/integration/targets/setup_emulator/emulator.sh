#!/usr/bin/env bash
# Sourced by runme.sh targets: start the collection's local API emulator on an ephemeral loopback
# port, export where it listens, and stop it when the target's shell exits.
#
#   source ../setup_emulator/emulator.sh
#   start_emulator [emulator options...]   # sets EMULATOR_URL, EMULATOR_PORT, EMULATOR_LOG, EMULATOR_METADATA_URL
#   stop_emulator                          # also runs on EXIT

# ansible-test runs targets from a copy of tests/integration, so the collection (and tests/emulator)
# is found through ANSIBLE_COLLECTIONS_PATH there; a plain checkout has it four levels up.
COLLECTION_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)"
if [ ! -d "$COLLECTION_ROOT/tests/emulator" ]; then
  COLLECTION_ROOT="${ANSIBLE_COLLECTIONS_PATH%%:*}/ansible_collections/cloudcert/tencent"
fi
[ -d "$COLLECTION_ROOT/tests/emulator" ] || { echo "cannot find tests/emulator of cloudcert.tencent" >&2; exit 1; }
EMULATOR_PYTHON="${ANSIBLE_TEST_PYTHON_INTERPRETER:-$(command -v python3)}"
# Ansible's default remote_tmp ~/.ansible/tmp means the passwd home (~root) on a local connection; HOME is the
# one ansible-test gives us (the harness points it into its cache).
export ANSIBLE_REMOTE_TMP="${ANSIBLE_REMOTE_TMP:-$HOME/.ansible/tmp}"
EMULATOR_DIR="$(mktemp -d "${TMPDIR:-/tmp}/cloudcert-emulator.XXXXXX")"
EMULATOR_PID=""

# Both also run from EXIT traps of `set -e` scripts, where one failing command (a kill that races the process's
# own exit, a wait that returns its 143) would end the trap early and leave the emulator running.
stop_emulator() {
  if [ -n "$EMULATOR_PID" ] && kill -0 "$EMULATOR_PID" 2>/dev/null; then
    kill -TERM "$EMULATOR_PID" 2>/dev/null || true
    wait "$EMULATOR_PID" 2>/dev/null || true
  fi
  EMULATOR_PID=""
}

cleanup_emulator() {
  stop_emulator
  rm -rf "$EMULATOR_DIR" || true
}
trap cleanup_emulator EXIT

start_emulator() {
  stop_emulator
  rm -f "$EMULATOR_DIR/port" "$EMULATOR_DIR/requests.jsonl"
  EMULATOR_LOG="$EMULATOR_DIR/requests.jsonl"
  # Its output goes to files, never to the caller's pipes: ansible-test reads a target's output until every
  # writer has closed it. --exit-with-parent: should this shell die without its trap, the emulator follows.
  (cd "$COLLECTION_ROOT" && exec "$EMULATOR_PYTHON" -m tests.emulator --port 0 --port-file "$EMULATOR_DIR/port" \
      --log "$EMULATOR_LOG" --exit-with-parent "$@") </dev/null >"$EMULATOR_DIR/stdout" 2>"$EMULATOR_DIR/stderr" &
  EMULATOR_PID=$!
  local _
  for _ in $(seq 1 100); do
    [ -s "$EMULATOR_DIR/port" ] && break
    if ! kill -0 "$EMULATOR_PID" 2>/dev/null; then
      echo "emulator failed to start:" >&2
      cat "$EMULATOR_DIR/stderr" >&2
      return 1
    fi
    sleep 0.1
  done
  EMULATOR_PORT="$(cat "$EMULATOR_DIR/port")"
  EMULATOR_URL="http://127.0.0.1:${EMULATOR_PORT}"
  EMULATOR_METADATA_URL="${EMULATOR_URL}/latest/meta-data/cam/security-credentials/"
  export EMULATOR_URL EMULATOR_PORT EMULATOR_LOG EMULATOR_METADATA_URL
}

# count_requests ACTION [OUTCOME]: how many requests the emulator logged for ACTION (and OUTCOME).
count_requests() {
  "$EMULATOR_PYTHON" - "$EMULATOR_LOG" "$1" "${2:-}" <<'PY'
import json, sys
path, action, outcome = sys.argv[1:4]
n = 0
with open(path, encoding="utf-8") as handle:
    for line in handle:
        entry = json.loads(line)
        if entry.get("action") == action and (not outcome or entry.get("outcome") == outcome):
            n += 1
print(n)
PY
}
