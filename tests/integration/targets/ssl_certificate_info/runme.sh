#!/usr/bin/env bash
# Integration tests of cloudcert.tencent.ssl_certificate_info: real ansible-playbook runs against the
# local API emulator (signature checks, fixtures, 10 requests/s limit, faults on demand).
set -eu
cd "$(dirname "$0")"
# shellcheck source=SCRIPTDIR/../setup_emulator/emulator.sh
source ../setup_emulator/emulator.sh

# Distinctive secrets for the leak check; they exist only in this emulator run.
export LEAK_SECRET_ID=AKIDleakcheck00000000000000000001
export LEAK_SECRET_KEY=LEAKCHECK-secret-key-9f8e7d6c5b4a
export LEAK_TEMP_ID=AKIDleaktemp000000000000000000001
export LEAK_TEMP_KEY=LEAKCHECK-temp-secret-1a2b3c4d5e
export LEAK_TOKEN=LEAKCHECK-session-token-6f7a8b9c0d

start_emulator --generate 130 --key "$LEAK_SECRET_ID:$LEAK_SECRET_KEY" --temp-key "$LEAK_TEMP_ID:$LEAK_TEMP_KEY:$LEAK_TOKEN"

KEYS_FILE="$EMULATOR_DIR/keys.json"
(cd "$COLLECTION_ROOT" && "$EMULATOR_PYTHON" -c '
import json, sys
from tests.emulator import keys, fixtures
names = ("DEMO_SECRET_ID", "DEMO_SECRET_KEY", "TEMP_SECRET_ID", "TEMP_SECRET_KEY", "TEMP_TOKEN", "DENIED_SECRET_ID", "DENIED_SECRET_KEY")
data = {name.lower(): getattr(keys, name) for name in names}
data["key_password"] = fixtures.KEY_PASSWORD
json.dump(data, sys.stdout)
') > "$KEYS_FILE"

run_play() {
  ansible-playbook -i inventory.ini -e "endpoint=$EMULATOR_URL" -e "@$KEYS_FILE" "$@"
}

run_play play_options.yml
run_play play_credentials.yml
run_play play_faults.yml

# -vvvv run: search every byte of the output for each secret.
OUT="$EMULATOR_DIR/secrets-vvvv.log"
TENCENTCLOUD_SECRET_ID="$LEAK_TEMP_ID" TENCENTCLOUD_SECRET_KEY="$LEAK_TEMP_KEY" TENCENTCLOUD_SECURITY_TOKEN="$LEAK_TOKEN" \
  run_play -vvvv play_secrets.yml >"$OUT" 2>&1 || { cat "$OUT"; exit 1; }
KEY_PASSWORD="$("$EMULATOR_PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["key_password"])' "$KEYS_FILE")"
leaks=0
for secret in "$LEAK_SECRET_KEY" "$LEAK_TEMP_KEY" "$LEAK_TOKEN" "$KEY_PASSWORD"; do
  if grep -qF -- "$secret" "$OUT" "$EMULATOR_LOG"; then
    echo "LEAK: a secret (${#secret} characters, starting ${secret:0:4}) appears in the -vvvv output or the request log" >&2
    leaks=1
  fi
done
[ "$leaks" -eq 0 ] || exit 1
grep -q "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" "$OUT"
echo "secret scan: $(wc -c <"$OUT") bytes of -vvvv output clean"
