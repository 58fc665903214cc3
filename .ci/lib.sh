#!/usr/bin/env bash
# Shared shell library for .ci/test.sh and .ci/demo.sh (sourced, never executed).
#
# It bootstraps the tool virtualenv OUTSIDE the collection tree (ansible-test sanity would lint a venv
# inside it), exposes every real pythonX.Y first on PATH, and works around the two offline blockers of
# ansible-test on these machines (see /work/shared/reference/toolchain.md).
#
# Knobs (environment):
#   CLOUDCERT_PYTHON=3.12   controller Python (ansible-core 2.21 needs >= 3.12)
#   CLOUDCERT_VENV=DIR      use/create the tool venv there instead of the hashed default
#   CLOUDCERT_CACHE=DIR     cache root (default ${XDG_CACHE_HOME:-~/.cache}/cloudcert-tencent)
#   CLOUDCERT_NO_APT=1      never apt-get install shellcheck

CC_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CC_PYTHON="${CLOUDCERT_PYTHON:-3.12}"
CC_CACHE="${CLOUDCERT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cloudcert-tencent}"
CC_REQUIREMENTS="$CC_REPO/.ci/requirements.txt"
CC_START="${CC_START:-$SECONDS}"

cc_log() { printf '=== [%4ds] %s\n' "$((SECONDS - CC_START))" "$*"; }
cc_die() {
  printf 'ci: FATAL: %s\n' "$*" >&2
  exit 1
}

# pip on these machines adds file:// extra indexes that do not exist and warns about each one.
cc_pip_quiet() { grep -v -e 'is ignored' -e '^$' || true; }

# Print the path of a working pythonX.Y. pyenv shims on PATH fail ("pyenv: python3.12: command not
# found") unless that version is selected, and ansible-test strips PYENV_VERSION from its children, so
# every candidate is test-run and the real pyenv binaries are preferred over whatever PATH has.
cc_find_python() {
  local v="$1" c
  local -a cands=()
  mapfile -t cands < <(printf '%s\n' "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$v".*/bin/python"$v" | sort -rV)
  cands+=("$(command -v "python$v" 2>/dev/null || true)" "/usr/local/bin/python$v" "/usr/bin/python$v")
  for c in "${cands[@]}"; do
    if [ -n "$c" ] && [ -x "$c" ] && "$c" -c 'import sys' >/dev/null 2>&1; then
      printf '%s\n' "$c"
      return 0
    fi
  done
  return 1
}

# Fill DIR with pythonX.Y symlinks for every Python ansible-test may use and put DIR first on PATH,
# so multi-version sanity/units find real interpreters instead of broken shims.
cc_make_pybin() {
  local dir="$1" v p
  mkdir -p "$dir"
  for v in 3.9 3.10 3.11 3.12 3.13 3.14; do
    if p="$(cc_find_python "$v")"; then
      ln -sfn "$p" "$dir/python$v"
    else
      rm -f "$dir/python$v"
    fi
  done
  export PATH="$dir:$PATH"
}

# The venv key changes whenever the pins or the exact interpreter change, so a stale venv is never reused.
cc_venv_key() { # cc_venv_key PYTHON [REQUIREMENTS]
  local py="$1" req="${2:-$CC_REQUIREMENTS}"
  { cat "$req"; "$py" -c 'import sys; print(sys.version)'; } | sha256sum | cut -c1-12
}

# Create (or reuse) a venv holding exactly the pins of REQUIREMENTS on pythonVERSION, at DIR or else at
# $CC_CACHE/PREFIX-<key>. Sets CC_PINNED_VENV; activates nothing. The tool venv and every venv of the
# ansible-core matrix (.ci/requirements-X.Y.txt) come from here.
cc_pinned_venv() { # cc_pinned_venv VERSION REQUIREMENTS PREFIX [DIR]
  local version="$1" req="$2" prefix="$3" dir="${4:-}" py key venv
  [ -f "$req" ] || cc_die "missing $req"
  py="$(command -v "python$version")" || cc_die "python$version not found (install it with pyenv)"
  key="$(cc_venv_key "$py" "$req")"
  venv="${dir:-$CC_CACHE/$prefix-$key}"
  mkdir -p "$(dirname "$venv")"
  # Serialise concurrent bootstraps of the same venv (two make targets started at once).
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$venv.lock"
    flock 9
  fi
  if [ "$(cat "$venv/.cloudcert-ready" 2>/dev/null)" != "$key" ]; then
    cc_venv_install "$py" "$key" "$venv" "$req"
  fi
  if command -v flock >/dev/null 2>&1; then exec 9>&-; fi
  CC_PINNED_VENV="$venv"
}

# Create (or reuse) the tool venv and activate it. Sets VENV.
cc_venv() {
  cc_pinned_venv "$CC_PYTHON" "$CC_REQUIREMENTS" "venv-$CC_PYTHON" "${CLOUDCERT_VENV:-}"
  VENV="$CC_PINNED_VENV"
  # shellcheck disable=SC1091
  source "$VENV/bin/activate"
  export VENV
}

cc_venv_install() { # cc_venv_install PYTHON KEY VENV REQUIREMENTS
  local py="$1" key="$2" venv="$3" req="$4" t0=$SECONDS
  cc_log "venv: installing the pins of $(basename "$req") into $venv"
  # --clear only when the interpreter inside is broken (e.g. pyenv version removed); otherwise pip
  # brings an interrupted or outdated venv up to the pins without starting over.
  if ! "$venv/bin/python" -c 'import sys' >/dev/null 2>&1; then
    "$py" -m venv --clear "$venv" || cc_die "cannot create venv $venv"
  fi
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req" 2>&1 | cc_pip_quiet
  [ "${PIPESTATUS[0]}" -eq 0 ] || cc_die "pip install -r $req failed"
  [ -x "$venv/bin/ansible-test" ] || cc_die "ansible-test missing from $venv after install"
  printf '%s\n' "$key" >"$venv/.cloudcert-ready"
  cc_log "venv: ready in $((SECONDS - t0))s"
}

# ansible-test bootstraps pip into every venv it creates with get-pip-X.Y.py downloaded from a host that
# is unreachable here; it first looks in ~/.ansible/test/cache/. The stand-in written there runs
# ensurepip and then lets pip install the requested pip (and friends) from PyPI. Each ansible-core
# bootstraps its own pip version (2.16: 23.1.2, 2.21: 25.2), so ask the ansible-test of PYTHON's venv.
cc_getpip_standin() { # cc_getpip_standin [PYTHON]  (default: the active venv's python)
  local v f py="${1:-python}"
  local -a versions=()
  mapfile -t versions < <("$py" - <<'EOF'
from types import SimpleNamespace
from ansible_test._internal.python_requirements import get_venv_packages
from ansible_test._util.target.common.constants import CONTROLLER_PYTHON_VERSIONS, REMOTE_ONLY_PYTHON_VERSIONS
for v in sorted({get_venv_packages(SimpleNamespace(version=v))["pip"] for v in REMOTE_ONLY_PYTHON_VERSIONS + CONTROLLER_PYTHON_VERSIONS}):
    print(v)
EOF
  )
  [ "${#versions[@]}" -gt 0 ] || cc_die "cannot ask ansible-test ($py) which pip version it bootstraps"
  for v in "${versions[@]}"; do
    f="$HOME/.ansible/test/cache/get_pip_${v//./_}.py"
    [ -s "$f" ] && continue
    mkdir -p "$(dirname "$f")"
    cat >"$f" <<'EOF'
# Offline stand-in for get-pip.py, written by cloudcert.tencent's .ci/lib.sh.
import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"], stdout=subprocess.DEVNULL)
proc = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet"] + args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
sys.stderr.write("".join(line for line in proc.stdout.splitlines(True) if "is ignored" not in line))
sys.exit(proc.returncode)
EOF
  done
}

# The ansible-core version matrix of `make test`, one row per version: "VERSION CONTROLLER_PYTHON STAGE...".
# The controller Python is the one the platforms ship with that version (AAP 2.5's execution environments:
# ansible-core 2.16 on Python 3.11). Pins: .ci/requirements-VERSION.txt; venv: $CC_CACHE/venv-acVERSION-PYTHON-<key>.
# The newest ansible-core (.ci/requirements.txt) is the tool venv's and runs the plain stages.
# "integration" runs the module and the lookup targets; "integration=T1,T2" only those targets. The module runs on
# the target with the same code whatever the controller's ansible-core, so the versions between the oldest and the
# one before templating changed (2.19) run the lookup target only, which keeps `make test` under 30 minutes.
CC_MATRIX=(
  "2.16 3.11 sanity units integration"
  "2.17 3.11 integration=lookup_ssl_certificate"
  "2.18 3.12 integration=lookup_ssl_certificate"
  "2.19 3.12 integration"
  "2.20 3.12 integration=lookup_ssl_certificate"
)

# Create (or reuse) the venv of ansible-core VERSION of CC_MATRIX and its get-pip stand-in. Sets CC_PINNED_VENV.
cc_matrix_venv() { # cc_matrix_venv VERSION
  local row v py
  for row in "${CC_MATRIX[@]}"; do
    read -r v py _ <<<"$row"
    [ "$v" = "$1" ] || continue
    cc_pinned_venv "$py" "$CC_REPO/.ci/requirements-$v.txt" "venv-ac$v-$py"
    cc_getpip_standin "$CC_PINNED_VENV/bin/python"
    return 0
  done
  cc_die "ansible-core $1 is not in CC_MATRIX (.ci/lib.sh)"
}

# ansible-test's shellcheck sanity test is skipped without the program. Installing it from Debian
# costs about 5 s, so do it when we can (root + apt-get) and stay skipped otherwise.
cc_ensure_shellcheck() {
  command -v shellcheck >/dev/null 2>&1 && return 0
  if [ "${CLOUDCERT_NO_APT:-0}" = 1 ] || [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    cc_log "shellcheck not installed: the shellcheck sanity test will be skipped"
    return 0
  fi
  cc_log "installing shellcheck (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  timeout 300 apt-get install -y -qq --no-install-recommends shellcheck >/dev/null 2>&1 ||
    { timeout 300 apt-get update -qq >/dev/null 2>&1 &&
      timeout 300 apt-get install -y -qq --no-install-recommends shellcheck >/dev/null 2>&1; } ||
    cc_log "shellcheck install failed: the shellcheck sanity test will be skipped"
}

# Read namespace and name from galaxy.yml without PyYAML (the venv may not exist yet).
cc_galaxy_field() {
  sed -n "s/^$1:[[:space:]]*[\"']\{0,1\}\([A-Za-z0-9_.]*\).*/\1/p" "$CC_REPO/galaxy.yml" | head -n1
}

# Print the files to copy, NUL-separated: exactly what git would show ansible-test (tracked plus
# untracked-but-not-ignored). Outside a git repo, a throwaway git dir evaluates the same .gitignore rules.
cc_list_files() {
  if git -C "$CC_REPO" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git -C "$CC_REPO" ls-files -z --cached --others --exclude-standard
  elif command -v git >/dev/null 2>&1; then
    local gd
    gd="$(mktemp -d)"
    git --git-dir="$gd" init -q && git --git-dir="$gd" --work-tree="$CC_REPO" ls-files -z --others --exclude-standard
    rm -rf "$gd"
  else
    # no git at all: mirror the important .gitignore entries by hand
    (cd "$CC_REPO" && find . \( -name .git -o -path ./tests/output -o -path ./.ansible -o -path ./collections -o -path ./build \
      -o -name __pycache__ -o -name .pytest_cache -o -name .ruff_cache \) -prune -o \( -type f -o -type l \) ! -name '*.tar.gz' -printf '%P\0')
  fi
}

# Copy the checkout to DIR/ansible_collections/NS/NAME and set COLL. ansible-test needs a real directory
# there (a symlink fails: it resolves the cwd and finds no ansible_collections parent).
cc_layout() {
  local dir="$1" ns name
  ns="$(cc_galaxy_field namespace)"
  name="$(cc_galaxy_field name)"
  if [ -z "$ns" ] || [ -z "$name" ]; then cc_die "cannot read namespace/name from $CC_REPO/galaxy.yml"; fi
  COLL="$dir/ansible_collections/$ns/$name"
  mkdir -p "$COLL"
  cc_list_files | (cd "$CC_REPO" && tar --null -T - --ignore-failed-read -cf - 2>/dev/null) | tar -xf - -C "$COLL" ||
    cc_die "copying the checkout to $COLL failed"
  export COLL ANSIBLE_COLLECTIONS_PATH="$dir"
}

# Everything a harness entry point needs before doing its own work.
cc_bootstrap() {
  [ -f "$CC_REQUIREMENTS" ] || cc_die "missing $CC_REQUIREMENTS"
  cc_make_pybin "$CC_CACHE/pybin"
  cc_log "pythons: $(cd "$CC_CACHE/pybin" && printf '%s ' python*)"
  cc_venv
  cc_getpip_standin
  # versions from package metadata: `ansible-lint --version` would ask GitHub for a newer release
  cc_log "tools: $(python -c 'import importlib.metadata as m, sys; print(" ".join(p + "=" + m.version(p) for p in sys.argv[1:]))' \
    ansible-core ansible-lint pytest ruff)"
}
