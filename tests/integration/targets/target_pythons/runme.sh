#!/usr/bin/env bash
# The module and module_utils on the target Pythons that matter, each in a small cached venv, running real tasks
# against the emulator:
#   3.9 and 3.13 with the newest requests (urllib3 2.x);
#   "RHEL 9": 3.9 with requests 2.25.1 and urllib3 1.26.5, what RHEL 9's python3-requests/python3-urllib3 give.
# Pacing on urllib3 1.26 (RHEL 9) and 2.x (3.13): thirty ids described at once against the emulator's 10 requests/s
# must get no throttled answer and the emulator must never log more than 10 requests in any 1 s.
# Without requests: the module on such a target, and the lookup on such a controller, fail with Ansible's
# missing_required_lib text.
set -eu
cd "$(dirname "$0")"
# shellcheck source=SCRIPTDIR/../setup_emulator/emulator.sh
source ../setup_emulator/emulator.sh

VENVS="${CLOUDCERT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cloudcert-tencent}/target-pythons"
# venv's ensurepip and pip leave temporary files (an extracted CA bundle) behind: keep them beside the venvs.
mkdir -p "$VENVS/tmp"

real_python() { # real_python X.Y -> resolved path of a working pythonX.Y
  local candidate
  # pyenv shims on PATH may exist yet fail ("command not found"), so try each candidate for real. The path is resolved:
  # a venv made through a link (the harness' pybin) would break when that link goes.
  for candidate in "$(command -v "python$1" || true)" \
    $(find "${PYENV_ROOT:-$HOME/.pyenv}/versions" -maxdepth 3 -path "*/$1.*/bin/python$1" 2>/dev/null | sort -rV) \
    "/usr/bin/python$1"; do
    if [ -n "$candidate" ] && "$candidate" -c 'import sys' >/dev/null 2>&1; then
      readlink -f "$candidate"
      return 0
    fi
  done
  echo "python$1 is not installed on this machine" >&2
  return 1
}

target_venv() { # target_venv X.Y NAME PIP_ARG... -> python of a cached venv NAME holding exactly these packages
  local version="$1" venv="$VENVS/$2" spec real
  shift 2
  spec="$version $*"
  # the spec is the cache key: changed pins give a new venv, never a stale one; a venv whose interpreter no longer runs
  # or that lacks a requested distribution is broken and rebuilt
  if [ "$(cat "$venv/.cloudcert-spec" 2>/dev/null)" != "$spec" ] ||
    ! env -u PYTHONPATH "$venv/bin/python" -c 'import importlib.metadata as m, re, sys; [m.version(re.split("[<>=!]", a)[0]) for a in sys.argv[1:]]' "$@" 2>/dev/null; then
    real="$(real_python "$version")"
    rm -rf "$venv"
    TMPDIR="$VENVS/tmp" "$real" -m venv "$venv" >&2
    # Without PYTHONPATH: ansible-test points it at its copy of ansible with a generated dist-info, so pip would take
    # ansible-core as installed and leave it out of the venv.
    if ! env -u PYTHONPATH TMPDIR="$VENVS/tmp" "$venv/bin/python" -m pip install -q --disable-pip-version-check "$@" >"$venv.pip.log" 2>&1; then
      grep -v 'is ignored' "$venv.pip.log" >&2
      echo "pip install $* into $venv failed" >&2
      return 1
    fi
    printf '%s\n' "$spec" >"$venv/.cloudcert-spec"
  fi
  echo "$venv/bin/python"
}

# pacing PYTHON LABEL: thirty ids at once under PYTHON against a fresh emulator; its log is the judge.
pacing() {
  start_emulator --rate-limit 10 --generate 30
  ansible-playbook -i localhost, -e "endpoint=$EMULATOR_URL" -e "@$KEYS_FILE" -e "target_python=$1" play_pacing.yml
  "$EMULATOR_PYTHON" - "$EMULATOR_LOG" "$2" <<'PY'
import json, sys

path, label = sys.argv[1:]
entries = [json.loads(line) for line in open(path, encoding="utf-8")]
times = sorted(entry["time"] for entry in entries)
busiest = start = 0
for end, value in enumerate(times):
    while value - times[start] >= 1.0:
        start += 1
    busiest = max(busiest, end - start + 1)
throttled = sum(1 for entry in entries if "LimitExceeded" in str(entry.get("outcome")))
described = sum(1 for entry in entries if entry.get("action") == "DescribeCertificate" and entry.get("outcome") == "ok")
span = times[-1] - times[0] if times else 0.0
print("pacing on %s: %d requests (%d described) in %.2f s, %d throttled, at most %d in any 1 s" % (label, len(entries), described, span, throttled, busiest))
sys.exit(0 if described == 30 and throttled == 0 and busiest <= 10 else 1)
PY
}

start_emulator --rate-limit 10
KEYS_FILE="$EMULATOR_DIR/keys.json"
(cd "$COLLECTION_ROOT" && "$EMULATOR_PYTHON" -c '
import json, sys
from tests.emulator import keys
json.dump({"demo_secret_id": keys.DEMO_SECRET_ID, "demo_secret_key": keys.DEMO_SECRET_KEY}, sys.stdout)') >"$KEYS_FILE"

# A Python without requests: the module must say so in one actionable sentence. Rebuilt whenever its interpreter
# does not run (venv over a broken venv leaves it broken).
bare="$VENVS/bare"
if ! "$bare/bin/python" -c 'import sys' >/dev/null 2>&1; then
  rm -rf "$bare"
  TMPDIR="$VENVS/tmp" "$(real_python 3.13)" -m venv --without-pip "$bare"
fi
ansible-playbook -i localhost, -e "endpoint=$EMULATOR_URL" -e "@$KEYS_FILE" -e "bare_python=$bare/bin/python" play_no_requests.yml

py39="$(target_venv 3.9 py3.9 requests)"
py313="$(target_venv 3.13 py3.13 requests)"
rhel9="$(target_venv 3.9 py3.9-rhel9 requests==2.25.1 urllib3==1.26.5 'idna<3' 'chardet<5')"
for entry in "3.9:$py39" "3.13:$py313" "3.9:$rhel9"; do
  python="${entry#*:}"
  echo "=== module under $python ($("$python" -c 'import requests, urllib3; print("requests", requests.__version__, "urllib3", urllib3.__version__)'))"
  ansible-playbook -i localhost, -e "endpoint=$EMULATOR_URL" -e "@$KEYS_FILE" -e "target_python=$python" \
    -e "expected_version=${entry%%:*}" play_python.yml
done

# Pacing relies on urllib3's connection classes: prove it on the 1.x that RHEL 9 ships and on 2.x.
"$rhel9" -c 'import requests, urllib3; assert (requests.__version__, urllib3.__version__) == ("2.25.1", "1.26.5"), urllib3.__version__'
"$py313" -c 'import urllib3; assert urllib3.__version__.startswith("2."), urllib3.__version__'
pacing "$rhel9" "Python 3.9, requests 2.25.1, urllib3 1.26.5 (RHEL 9)"
pacing "$py313" "Python 3.13, urllib3 $("$py313" -c 'import urllib3; print(urllib3.__version__)')"

# The lookup on a controller without requests: the same ansible-core as this run, in a venv without requests.
controller_python="$("$EMULATOR_PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
core_version="$("$EMULATOR_PYTHON" -c 'from ansible.release import __version__; print(__version__)')"
bare_controller="$(target_venv "$controller_python" "controller-no-requests-py$controller_python" "ansible-core==$core_version")"
if "$bare_controller" -c 'import requests' 2>/dev/null; then
  echo "the controller venv $bare_controller has requests: the test would prove nothing" >&2
  exit 1
fi
(cd "$COLLECTION_ROOT" && "$bare_controller" -c '
import json, sys
from ansible.module_utils.basic import missing_required_lib
from tests.emulator import keys
json.dump({"demo_secret_id": keys.DEMO_SECRET_ID, "demo_secret_key": keys.DEMO_SECRET_KEY, "expected_msg": missing_required_lib("requests")}, sys.stdout)
') >"$EMULATOR_DIR/no-requests.json"
echo "=== lookup on a controller without requests: ansible-core $core_version on $bare_controller"
"$(dirname "$bare_controller")/ansible-playbook" -i localhost, -e "endpoint=$EMULATOR_URL" -e "@$EMULATOR_DIR/no-requests.json" \
  play_lookup_no_requests.yml
