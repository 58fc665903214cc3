#!/usr/bin/env bash
# Integration tests of the cloudcert.tencent.ssl_certificate lookup and the covers filter: real templates
# rendered by ansible-playbook against the local API emulator, API calls counted from its request log.
set -eu
cd "$(dirname "$0")"
# shellcheck source=SCRIPTDIR/../setup_emulator/emulator.sh
source ../setup_emulator/emulator.sh

export LEAK_SECRET_ID=AKIDlookupleak0000000000000000001
export LEAK_SECRET_KEY=LOOKUPLEAK-secret-key-3c2b1a0f9e
MATERIAL_DIR="$EMULATOR_DIR/material"  # the emulator writes each certificate's PEM and private keys here
start_emulator --key "$LEAK_SECRET_ID:$LEAK_SECRET_KEY" --material-dir "$MATERIAL_DIR"

KEYS_FILE="$EMULATOR_DIR/keys.json"
(cd "$COLLECTION_ROOT" && "$EMULATOR_PYTHON" -c '
import json, sys
from tests.emulator import keys, fixtures
json.dump({"demo_secret_id": keys.DEMO_SECRET_ID, "demo_secret_key": keys.DEMO_SECRET_KEY, "key_password": fixtures.KEY_PASSWORD}, sys.stdout)') >"$KEYS_FILE"
json_field() { "$EMULATOR_PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$KEYS_FILE" "$1"; }

# ansible.cfg carries the endpoint ([cloudcert_tencent] ini source); the cache goes to a fresh directory.
export CLOUDCERT_TENCENT_CACHE_DIR="$EMULATOR_DIR/cache"
export ANSIBLE_CONFIG="$EMULATOR_DIR/ansible.cfg"
write_cfg() {
  printf '[defaults]\nforks = 10\n\n[cloudcert_tencent]\nendpoint = %s\n' "$EMULATOR_URL" >"$ANSIBLE_CONFIG"
}
write_cfg
run_play() { ansible-playbook -e "@$KEYS_FILE" "$@"; }

# Fields, query, when:, on_missing, covers: keys from the environment.
TENCENTCLOUD_SECRET_ID="$(json_field demo_secret_id)" TENCENTCLOUD_SECRET_KEY="$(json_field demo_secret_key)" \
  run_play -i localhost, play_lookup.yml

# Certificate material: the lookup's fingerprint is what openssl says of the certificate the emulator serves.
expected="$(openssl x509 -in "$MATERIAL_DIR/NoRm0001.crt" -noout -fingerprint -sha256 | cut -d= -f2 | tr 'A-F' 'a-f')"
TENCENTCLOUD_SECRET_ID="$(json_field demo_secret_id)" TENCENTCLOUD_SECRET_KEY="$(json_field demo_secret_key)" \
  ansible localhost -i localhost, -m ansible.builtin.assert \
  -a "that=\"lookup('cloudcert.tencent.ssl_certificate', 'NoRm0001', field='fingerprints.sha256') == '$expected'\""

# Keys from (templated) variables; the endpoint from ansible.cfg; keywords over both.
run_play -i localhost, -e "emulator_url=$EMULATOR_URL" play_sources.yml

# Keys in ansible.cfg outrank keys in the environment (which are wrong here), and are used as a pair.
printf '[defaults]\nforks = 10\n\n[cloudcert_tencent]\nendpoint = %s\nsecret_id = %s\nsecret_key = %s\ncache_ttl = 0\n' \
  "$EMULATOR_URL" "$(json_field demo_secret_id)" "$(json_field demo_secret_key)" >"$ANSIBLE_CONFIG"
TENCENTCLOUD_SECRET_ID=AKIDwrongwrongwrongwrongwrongwrong00 TENCENTCLOUD_SECRET_KEY=wrong-env-secret-key \
  ansible localhost -i localhost, -m ansible.builtin.assert \
  -a "that=\"lookup('cloudcert.tencent.ssl_certificate', 'NoRm0001', field='Domain') == 'www.example.com'\""
# The same key id in ansible.cfg (with a wrong secret) and in the variables (with the right one): the variables set
# both halves, so their pair is used whole (an option comes from the variables when its variable is set).
printf '[defaults]\nforks = 10\n\n[cloudcert_tencent]\nendpoint = %s\nsecret_id = %s\nsecret_key = wrong-cfg-secret-key\ncache_ttl = 0\n' \
  "$EMULATOR_URL" "$(json_field demo_secret_id)" >"$ANSIBLE_CONFIG"
ansible localhost -i localhost, -m ansible.builtin.assert \
  -e "tencentcloud_secret_id=$(json_field demo_secret_id)" -e "tencentcloud_secret_key=$(json_field demo_secret_key)" \
  -a "that=\"lookup('cloudcert.tencent.ssl_certificate', 'NoRm0001', field='Domain') == 'www.example.com'\""
write_cfg

# 20 hosts x 2 lookups of one certificate with forks=10: exactly one DescribeCertificate.
start_emulator --latency 0.3 --key "$LEAK_SECRET_ID:$LEAK_SECRET_KEY" --material-dir "$MATERIAL_DIR"
write_cfg
rm -rf "$CLOUDCERT_TENCENT_CACHE_DIR"
OUT_DIR="$EMULATOR_DIR/rendered"
mkdir -p "$OUT_DIR"
TENCENTCLOUD_SECRET_ID="$(json_field demo_secret_id)" TENCENTCLOUD_SECRET_KEY="$(json_field demo_secret_key)" \
  run_play -i inventory.ini -e "out_dir=$OUT_DIR" play_fleet.yml
calls="$("$EMULATOR_PYTHON" - "$EMULATOR_LOG" <<'PY'
import json, sys
print(sum(1 for line in open(sys.argv[1]) if json.loads(line).get("params", {}).get("CertificateId") == "WiLd0004"))
PY
)"
echo "fleet: 20 hosts, 40 lookups, $calls DescribeCertificate request(s) for WiLd0004"
[ "$calls" -eq 1 ]
[ "$(find "$OUT_DIR" -type f | wc -l)" -eq 20 ]

# The cache is owner-only and holds no secret; -vvvv output holds none either.
[ "$(stat -c %a "$CLOUDCERT_TENCENT_CACHE_DIR")" = 700 ]
for f in "$CLOUDCERT_TENCENT_CACHE_DIR"/*; do [ "$(stat -c %a "$f")" = 600 ] || { echo "cache file $f is not 0600"; exit 1; }; done
OUT="$EMULATOR_DIR/lookup-vvvv.log"
TENCENTCLOUD_SECRET_ID="$LEAK_SECRET_ID" TENCENTCLOUD_SECRET_KEY="$LEAK_SECRET_KEY" \
  run_play -vvvv -i localhost, play_lookup.yml >"$OUT" 2>&1 || { cat "$OUT"; exit 1; }
KEY_PASSWORD="$(json_field key_password)"
for secret in "$LEAK_SECRET_KEY" "$KEY_PASSWORD"; do
  if grep -rqF -- "$secret" "$OUT" "$CLOUDCERT_TENCENT_CACHE_DIR" "$EMULATOR_LOG"; then
    echo "LEAK: a secret starting ${secret:0:4} appears in the -vvvv output, the cache or the request log" >&2
    exit 1
  fi
done
# Every base64 line of every private key the emulator served (the -vvvv play asked for material fields).
KEY_LINES="$EMULATOR_DIR/private-key-lines"
cat "$MATERIAL_DIR"/*.key | grep -v -e '^-----' -e '^$' -e ':' >"$KEY_LINES"
[ -s "$KEY_LINES" ] || { echo "the emulator wrote no private keys to scan for" >&2; exit 1; }
grep -q certificate_pem "$CLOUDCERT_TENCENT_CACHE_DIR"/*.json || { echo "no material was cached: the scan proves nothing" >&2; exit 1; }
if grep -rqF -f "$KEY_LINES" "$OUT" "$CLOUDCERT_TENCENT_CACHE_DIR" "$EMULATOR_LOG"; then
  echo "LEAK: private key material appears in the -vvvv output, the cache or the request log" >&2
  exit 1
fi
echo "secret scan: $(wc -c <"$OUT") bytes of -vvvv output and $(find "$CLOUDCERT_TENCENT_CACHE_DIR" -name "*.json" | wc -l) cache files clean ($(wc -l <"$KEY_LINES") private key lines)"
