#!/usr/bin/env bash
# The module and module_utils on the oldest and the newest target Python on this machine (3.9 and 3.13):
# each gets a small venv with requests (cached), then runs real tasks against the emulator.
set -eu
cd "$(dirname "$0")"
# shellcheck source=SCRIPTDIR/../setup_emulator/emulator.sh
source ../setup_emulator/emulator.sh

VENVS="${CLOUDCERT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cloudcert-tencent}/target-pythons"
target_venv() {  # target_venv X.Y -> path of a python with requests
  local version="$1" real="" candidate venv
  # pyenv shims on PATH may exist yet fail ("command not found"), so try each candidate for real.
  for candidate in "$(command -v "python$version" || true)" \
      $(find "${PYENV_ROOT:-$HOME/.pyenv}/versions" -maxdepth 3 -path "*/$version.*/bin/python$version" 2>/dev/null | sort -rV) \
      "/usr/bin/python$version"; do
    if [ -n "$candidate" ] && "$candidate" -c 'import sys' >/dev/null 2>&1; then real="$candidate"; break; fi
  done
  [ -n "$real" ] || { echo "python$version is not installed on this machine" >&2; return 1; }
  venv="$VENVS/py$version"
  if ! "$venv/bin/python" -c 'import requests' 2>/dev/null; then
    rm -rf "$venv"
    "$real" -m venv "$venv" >&2
    "$venv/bin/python" -m pip install -q requests 2>&1 | grep -v 'is ignored' >&2 || true
    "$venv/bin/python" -c 'import requests' >&2
  fi
  echo "$venv/bin/python"
}

start_emulator --rate-limit 10
KEYS_FILE="$EMULATOR_DIR/keys.json"
(cd "$COLLECTION_ROOT" && "$EMULATOR_PYTHON" -c '
import json, sys
from tests.emulator import keys
json.dump({"demo_secret_id": keys.DEMO_SECRET_ID, "demo_secret_key": keys.DEMO_SECRET_KEY}, sys.stdout)') >"$KEYS_FILE"

# A Python without requests: the module must say so in one actionable sentence.
bare="$VENVS/bare"
[ -x "$bare/bin/python" ] || "$(target_venv 3.13)" -m venv --without-pip "$bare"
ansible-playbook -i localhost, -e "endpoint=$EMULATOR_URL" -e "@$KEYS_FILE" -e "bare_python=$bare/bin/python" play_no_requests.yml

for version in 3.9 3.13; do
  python="$(target_venv "$version")"
  echo "=== module under $python"
  ansible-playbook -i localhost, -e "endpoint=$EMULATOR_URL" -e "@$KEYS_FILE" -e "target_python=$python" \
    -e "expected_version=$version" play_python.yml
done
