#!/usr/bin/env bash
# Where certificates are deployed (deployments: summary/full) through real ansible-playbook runs against the emulator's
# bind-resource scan: keys and exact places, check mode, cache and fresh scans, never failing open, call counts, the
# read-only key, and the documented renewal clean-up gate (docs/examples/renewal_cleanup_gate.yml).
set -eu
cd "$(dirname "$0")"
# shellcheck source=SCRIPTDIR/../setup_emulator/emulator.sh
source ../setup_emulator/emulator.sh

start_emulator --generate 120 --scan-delay 0

VARS="$EMULATOR_DIR/keys.json"
(cd "$COLLECTION_ROOT" && "$EMULATOR_PYTHON" -c '
import json, sys
from tests.emulator import keys
print(json.dumps({name.lower(): getattr(keys, name) for name in ("DEMO_SECRET_ID", "DEMO_SECRET_KEY", "READONLY_SECRET_ID", "READONLY_SECRET_KEY")}))
') > "$VARS"

ansible-playbook -i inventory.ini -e "endpoint=$EMULATOR_URL" -e "@$VARS" play_deployments.yml

# The worked example of the documentation, as a person runs it: fails while the old id is deployed, naming the places.
export TENCENTCLOUD_SSL_ENDPOINT="$EMULATOR_URL"
TENCENTCLOUD_SECRET_ID="$("$EMULATOR_PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["demo_secret_id"])' "$VARS")"
TENCENTCLOUD_SECRET_KEY="$("$EMULATOR_PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["demo_secret_key"])' "$VARS")"
export TENCENTCLOUD_SECRET_ID TENCENTCLOUD_SECRET_KEY
EXAMPLE="$COLLECTION_ROOT/docs/examples/renewal_cleanup_gate.yml"
OUT="$EMULATOR_DIR/gate.log"
if ansible-playbook -i localhost, "$EXAMPLE" -e old_certificate_id=ExPd0003 >"$OUT" 2>&1; then
  cat "$OUT"; echo "the clean-up gate passed although ExPd0003 is still deployed" >&2; exit 1
fi
grep -q "ExPd0003 is still deployed in 4 place(s)" "$OUT" || { cat "$OUT"; exit 1; }
grep -q "clb lb-8fk2ls0e listener lbl-https001 rule loc-www00001 (ap-guangzhou)" "$OUT" || { cat "$OUT"; exit 1; }
grep -q "tke cls-prod0001 default/web-tls (ap-guangzhou)" "$OUT" || { cat "$OUT"; exit 1; }
grep -q "was replaced by NoRm0001" "$OUT" || { cat "$OUT"; exit 1; }
ansible-playbook -i localhost, "$EXAMPLE" -e old_certificate_id=SoOn0002 >"$OUT" 2>&1 || { cat "$OUT"; exit 1; }
grep -q "SoOn0002 is deployed nowhere: it can be deleted." "$OUT" || { cat "$OUT"; exit 1; }
echo "renewal clean-up gate: fails for a deployed id (places named), passes for an unused one"
