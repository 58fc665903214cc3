#!/usr/bin/env bash
# Entry point of every make target: `.ci/bootstrap.sh NOX-ARGUMENTS...`.
#
# It creates (or repairs) the harness venv with the pins of .ci/requirements-nox.txt on a real Python 3.12 and hands
# over to .ci/harness/run.py, which isolates the run under the cache and runs nox. All of the run lives in one cache
# directory: CLOUDCERT_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/cloudcert-tencent.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${CLOUDCERT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cloudcert-tencent}"
mkdir -p "$cache/tmp"
cache="$(cd "$cache" && pwd -P)"
export TMPDIR="$cache/tmp"  # even venv's ensurepip writes temporary files
export PYTHONPYCACHEPREFIX="$cache/pycache"  # no __pycache__ in the checkout

# A working python3.12 by its real path: a pyenv shim on PATH may exist and fail ("command not found") unless 3.12 is
# the active pyenv version, and a venv made from a symlink that goes away later is broken.
find_python() {
  local candidate
  for candidate in $(printf '%s\n' "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12.*/bin/python3.12 | sort -rV) \
    "$(command -v python3.12 || true)" /usr/local/bin/python3.12 /usr/bin/python3.12; do
    if [ -x "$candidate" ] && "$candidate" -c 'import sys' >/dev/null 2>&1; then
      readlink -f "$candidate"
      return 0
    fi
  done
  echo "bootstrap: Python 3.12 is needed to run the harness (pyenv install 3.12, or your distribution's python3.12)" >&2
  return 1
}

python="$(find_python)"
key="$({ cat "$repo/.ci/requirements-nox.txt"; echo "$python"; } | sha256sum | cut -c1-12)"
venv="$cache/harness-$key"
# Rebuilt when missing, unfinished or broken (its interpreter no longer runs), never patched over.
exec 9>"$venv.lock"
flock 9
if [ "$(cat "$venv/.ready" 2>/dev/null)" != "$key" ] || ! "$venv/bin/python" -c 'import nox, antsibull_nox' >/dev/null 2>&1; then
  echo "bootstrap: installing $(grep -v '^#' "$repo/.ci/requirements-nox.txt" | xargs) into $venv" >&2
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet -r "$repo/.ci/requirements-nox.txt" 2>&1 | grep -v -e 'is ignored' -e '^$' >&2 || true
  "$venv/bin/python" -c 'import nox, antsibull_nox' || { echo "bootstrap: pip install -r .ci/requirements-nox.txt failed" >&2; exit 1; }
  echo "$key" >"$venv/.ready"
fi
exec 9>&-

export CLOUDCERT_CACHE="$cache"
exec "$venv/bin/python" "$repo/.ci/harness/run.py" "$@"
