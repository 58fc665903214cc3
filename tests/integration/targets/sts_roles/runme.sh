#!/usr/bin/env bash
# Roles and web identity (STS) through real ansible-playbook runs against the emulator's STS: every source and
# tier, precedence, chaining from the CVM role and profiles, refresh with the token file read again, healing,
# every refusal with its message, bad values refused before any call, call counts, and a -vvvv leak scan.
set -eu
cd "$(dirname "$0")"
# shellcheck source=SCRIPTDIR/../setup_emulator/emulator.sh
source ../setup_emulator/emulator.sh

# A distinctive base key for the leak scan; it exists only in this emulator run.
export LEAK_SECRET_ID=AKIDstsleak0000000000000000000001
export LEAK_SECRET_KEY=STSLEAK-base-secret-key-4c3b2a1f9e
start_emulator --generate 40 --latency 0.02 --key "$LEAK_SECRET_ID:$LEAK_SECRET_KEY"

VARS="$EMULATOR_DIR/sts.json"
(cd "$COLLECTION_ROOT" && "$EMULATOR_PYTHON" -c '
import json, sys
from tests.emulator import keys, sts
data = {name.lower(): getattr(keys, name) for name in ("DEMO_SECRET_ID", "DEMO_SECRET_KEY")}
data.update({name.lower(): getattr(sts, name) for name in ("ROLE_READER", "ROLE_PARTNER", "ROLE_POD", "ROLE_NOBODY", "PARTNER_EXTERNAL_ID", "WEB_IDENTITY_TOKEN")})
data["web_identity_token_fingerprint"] = sts.fingerprint(sts.WEB_IDENTITY_TOKEN)
json.dump(data, sys.stdout)
') > "$VARS"

# Every file the plays write goes under the emulator's directory, which the EXIT trap removes (work_dir).
run_play() {
  ansible-playbook -i inventory.ini -e "endpoint=$EMULATOR_URL" -e "metadata_url=$EMULATOR_METADATA_URL" -e "work_dir=$EMULATOR_DIR" -e "@$VARS" "$@"
}

run_play play_roles.yml
run_play play_web_identity.yml
run_play play_refresh.yml
run_play play_pods.yml

# -vvvv: no base secret, web identity token, temporary key or token anywhere: the output, the request log, and
# every file the run left under its home directory (the lookup cache included).
export SCAN_HOME="$EMULATOR_DIR/scan-home" SCAN_TOKEN_FILE="$EMULATOR_DIR/scan.token"
mkdir -p "$SCAN_HOME"
"$EMULATOR_PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))["web_identity_token"])' "$VARS" >"$SCAN_TOKEN_FILE"
OUT="$EMULATOR_DIR/sts-vvvv.log"
HOME="$SCAN_HOME" run_play -vvvv play_secrets.yml >"$OUT" 2>&1 || { cat "$OUT"; exit 1; }
SECRETS="$EMULATOR_DIR/secrets.txt"
"$EMULATOR_PYTHON" - "$EMULATOR_URL/_emulator/sts_secrets" "$LEAK_SECRET_KEY" "$VARS" >"$SECRETS" <<'PY'
import json, sys, urllib.request
issued = json.load(urllib.request.urlopen(sys.argv[1]))
print("\n".join(issued + [sys.argv[2], json.load(open(sys.argv[3]))["web_identity_token"]]))
PY
[ "$(wc -l <"$SECRETS")" -ge 6 ] || { echo "expected issued STS secrets to scan for" >&2; exit 1; }
leaks=0
while IFS= read -r secret; do
  [ -n "$secret" ] || continue
  if grep -rqF -- "$secret" "$OUT" "$EMULATOR_LOG" "$SCAN_HOME"; then
    echo "LEAK: a secret (${#secret} characters, starting ${secret:0:4}) appears in the -vvvv output, the request log or under HOME" >&2
    leaks=1
  fi
done <"$SECRETS"
[ "$leaks" -eq 0 ] || exit 1
# The results were printed (the scan searched something): the sources name themselves.
grep -q "AssumeRoleWithWebIdentity (task options)" "$OUT"
grep -q "AssumeRole qcs::cam::uin/100000000001:roleName/cloudcert-reader (base: task options)" "$OUT"
echo "STS secret scan: $(wc -l <"$SECRETS") secrets, $(wc -c <"$OUT") bytes of -vvvv output and $(find "$SCAN_HOME" -type f | wc -l) files clean"
