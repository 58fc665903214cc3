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

# The emulator writes each certificate it serves (<id>.crt) and the private keys DescribeCertificateDetail
# returns with it (<id>.key) here: play_material.yml compares PEMs, the key scan below searches for the keys.
export MATERIAL_DIR="$EMULATOR_DIR/material"
start_emulator --generate 130 --key "$LEAK_SECRET_ID:$LEAK_SECRET_KEY" --temp-key "$LEAK_TEMP_ID:$LEAK_TEMP_KEY:$LEAK_TOKEN" \
  --material-dir "$MATERIAL_DIR"

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

# include_certificate: PEMs and fingerprints against openssl, then the same play at -vvvv: no byte of any
# private key the emulator served (base64 body lines of every <id>.key) may appear in its output or the request log.
run_play play_material.yml
OUT="$EMULATOR_DIR/material-vvvv.log"
run_play -vvvv play_material.yml >"$OUT" 2>&1 || { cat "$OUT"; exit 1; }
PATTERNS="$EMULATOR_DIR/key-lines.txt"
# Body lines only (not the BEGIN/END armour); short final lines could match by chance, so 16 characters at least.
cat "$MATERIAL_DIR"/*.key | grep -v -e '-----' | awk 'length($0) >= 16' >"$PATTERNS"
[ "$(wc -l <"$PATTERNS")" -gt 100 ] || { echo "expected the emulator's private keys in $MATERIAL_DIR" >&2; exit 1; }
if grep -qF -f "$PATTERNS" "$OUT" "$EMULATOR_LOG" "$MATERIAL_DIR"/from-module-*.pem "$MATERIAL_DIR/client-ca.pem"; then
  echo "LEAK: private key bytes appear in the -vvvv output, the request log or a file the play wrote" >&2
  exit 1
fi
grep -q "DescribeCertificateDetail" "$OUT"
echo "private key scan: $(wc -l <"$PATTERNS") key lines, $(wc -c <"$OUT") bytes of -vvvv output clean"

# The examples of docs/examples/ that use the material, run as users would (credentials from the environment):
# a local TLS server presents NoRm0001 (with the key only the emulator and this test know).
TLS_PORT="$("$EMULATOR_PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
openssl s_server -accept "127.0.0.1:$TLS_PORT" -cert "$MATERIAL_DIR/NoRm0001.crt" -key "$MATERIAL_DIR/NoRm0001.key" -quiet -www \
  </dev/null >"$EMULATOR_DIR/s_server.log" 2>&1 &
TLS_PID=$!
# `|| true`: the kill fails once the server is gone, and a failing command ends a `set -e` trap before the cleanup.
trap 'kill "$TLS_PID" 2>/dev/null || true; cleanup_emulator' EXIT
for _ in $(seq 1 50); do (echo >"/dev/tcp/127.0.0.1/$TLS_PORT") 2>/dev/null && break; sleep 0.1; done
cat >"$EMULATOR_DIR/tls-hosts.ini" <<INI
[webservers]
www.example.com cert_id=NoRm0001 tls_address=127.0.0.1 tls_port=$TLS_PORT
api.example.com cert_id=SoOn0002 tls_address=127.0.0.1 tls_port=$TLS_PORT
intranet.example.org

[webservers:vars]
ansible_connection=local
ansible_python_interpreter=$(command -v python3)
INI
DEMO_ID="$("$EMULATOR_PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["demo_secret_id"])' "$KEYS_FILE")"
DEMO_KEY="$("$EMULATOR_PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["demo_secret_key"])' "$KEYS_FILE")"
example() {
  TENCENTCLOUD_SECRET_ID="$DEMO_ID" TENCENTCLOUD_SECRET_KEY="$DEMO_KEY" TENCENTCLOUD_SSL_ENDPOINT="$EMULATOR_URL" \
    ansible-playbook -i "$EMULATOR_DIR/tls-hosts.ini" "$COLLECTION_ROOT/docs/examples/$1" "${@:2}"
}
example verify_served_certificate.yml --limit www.example.com,intranet.example.org
OUT="$EMULATOR_DIR/verify-mismatch.log"
if example verify_served_certificate.yml --limit api.example.com >"$OUT" 2>&1; then
  cat "$OUT"; echo "verify_served_certificate.yml passed for a host that serves another certificate" >&2; exit 1
fi
grep -q "api.example.com does not serve SoOn0002" "$OUT"
example client_ca_trust_file.yml -e "trust_file=$EMULATOR_DIR/client-ca.pem" -e nginx_reload=false
openssl x509 -noout -subject -in "$EMULATOR_DIR/client-ca.pem" | grep -q "Example Internal Root CA"
kill "$TLS_PID"
echo "examples: verify_served_certificate.yml and client_ca_trust_file.yml behave"
