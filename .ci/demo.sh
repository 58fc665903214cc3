#!/usr/bin/env bash
# `make demo` (the README's first command) runs this in nox's demo session, which provides a venv with the pinned
# ansible-core and the collection laid out under ANSIBLE_COLLECTIONS_PATH: start the bundled Tencent SSL API emulator
# with its sample certificates, run the playbooks of docs/examples/ against it, stop it. Offline.
# The playbooks read credentials and endpoint from the environment only, so the same files run against the real
# API with real TENCENTCLOUD_* values.
set -euo pipefail

COLL="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEMO_WORK="$(mktemp -d "${TMPDIR:-/tmp}/cloudcert-demo.XXXXXX")"
# shellcheck source=../tests/integration/targets/setup_emulator/emulator.sh
source "$COLL/tests/integration/targets/setup_emulator/emulator.sh"
trap 'cleanup_emulator; rm -rf "$DEMO_WORK"' EXIT

# A little latency makes the emulator feel like a real endpoint; the rate limit is the API's 10/s.
start_emulator --latency 0.05
eval "$(cd "$COLL" && python -c '
from tests.emulator import keys
print("export TENCENTCLOUD_SECRET_ID=%s TENCENTCLOUD_SECRET_KEY=%s" % (keys.DEMO_SECRET_ID, keys.DEMO_SECRET_KEY))')"
export TENCENTCLOUD_SSL_ENDPOINT="$EMULATOR_URL"
export ANSIBLE_CALLBACK_RESULT_FORMAT=yaml ANSIBLE_DISPLAY_SKIPPED_HOSTS=false ANSIBLE_LOCALHOST_WARNING=false
export ANSIBLE_INVENTORY_UNPARSED_WARNING=false ANSIBLE_CACHE_DIR="$DEMO_WORK/cache"
export CLOUDCERT_TENCENT_CACHE_DIR="$DEMO_WORK/lookup-cache"

banner() { printf '\n\033[1m##### %s\033[0m\n' "$*"; }
play() { (cd "$COLL/docs/examples" && ansible-playbook -i inventory.ini "$@"); }

banner "Local Tencent SSL API emulator at $EMULATOR_URL (signature checks on, 10 requests/s limit)"

banner "1. Expiry report: every certificate of the account, most urgent first"
play expiry_report.yml

banner "2. CI expiry gate on two healthy certificates (passes)"
play expiry_gate.yml -e '{"gate_certificate_ids": ["NoRm0001", "WiLd0004"], "min_days": 30}'

banner "3. CI expiry gate on the whole account (fails: one certificate expired, one due)"
if play expiry_gate.yml -e '{"min_days": 30}'; then
  echo "unexpected: the gate passed"; exit 1
fi
echo "=> the gate failed as it should; a CI job would stop here."

banner "4. Conditional deployment: bind a certificate only where one covers the host and lasts > 60 days"
play deploy_gate.yml -e min_days=60

if [ -f "$COLL/docs/examples/fleet_report.yml" ]; then
  banner "5. Fleet report rendered with the lookup (one API call per certificate, cached across hosts)"
  play fleet_report.yml
fi

banner "6. Event-Driven Ansible: the certificate_expiry event source, one poll (once: true), a playbook per event"
# ansible-rulebook lives in its own cached venv (the eda_certificate_expiry integration target builds it; the first
# run on a fresh machine installs it here, about 40 s). A subshell keeps its bin/ off the other steps' PATH.
(
  # shellcheck source=../tests/integration/targets/eda_certificate_expiry/rulebook_venv.sh
  source "$COLL/tests/integration/targets/eda_certificate_expiry/rulebook_venv.sh"
  rulebook_venv
  printf 'once: true\n' >"$DEMO_WORK/rulebook-vars.yml"
  cd "$COLL/docs/examples"
  rc=0
  # One line per message (the yaml result format of the other steps wraps long ones). Bounded: a hang fails the step.
  ANSIBLE_CALLBACK_RESULT_FORMAT=json timeout --kill-after=10 300 ansible-rulebook --rulebook rulebooks/certificate_expiry.yml -i localhost.ini --vars "$DEMO_WORK/rulebook-vars.yml" \
    >"$DEMO_WORK/rulebook.log" 2>&1 || rc=$?
  # The playbook's message per event, and the source's warnings, without the colour codes ansible-runner adds.
  sed -e 's/\x1b\[[0-9;]*m//g' "$DEMO_WORK/rulebook.log" | grep -E '"msg"|WARNING|ERROR' | tr -d '\r' | sed -e 's/^ *"msg": "\(.*\)"[^"]*$/event => \1/' || true
  [ "$rc" -eq 0 ] || { cat "$DEMO_WORK/rulebook.log"; echo "ansible-rulebook failed (rc=$rc)"; exit 1; }
  echo "=> one playbook run per expiring or expired certificate; a running source (once: false) then reports only changes."
)

banner "API requests the emulator served: $(wc -l <"$EMULATOR_LOG"), throttled: $(grep -c RateLimitExceeded "$EMULATOR_LOG" || true)"
echo "Against the real API: set TENCENTCLOUD_SECRET_ID, TENCENTCLOUD_SECRET_KEY (and TENCENTCLOUD_SSL_ENDPOINT=ssl.tencentcloudapi.com"
echo "for China-site accounts), then: cd docs/examples && ansible-playbook -i inventory.ini expiry_report.yml"
