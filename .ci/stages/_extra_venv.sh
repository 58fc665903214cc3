#!/usr/bin/env bash
# Sourced by the release-check stages (55-docs, 56-changelog, 60-ee, 70-importer); not a stage itself (no NN-
# prefix, not executable). Each tool gets its own venv, outside the collection tree and separate from the tool venv
# (their pins conflict: galaxy-importer pulls its own ansible-core/ansible-lint/flake8), cached under the harness
# cache dir keyed by a hash of the pins and the interpreter, so a warm run reuses it.
#
#   extra_venv NAME PIN...   create or reuse the venv; sets XVENV to its path

# shellcheck source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

extra_venv() {
  local name="$1" py key t0=$SECONDS
  shift
  py="$(cc_find_python "${CLOUDCERT_PYTHON:-3.12}")" || cc_die "python${CLOUDCERT_PYTHON:-3.12} not found"
  key="$({ printf '%s\n' "$@"; "$py" -c 'import sys; print(sys.version)'; } | sha256sum | cut -c1-12)"
  XVENV="$CC_CACHE/xvenv-$name-$key"
  mkdir -p "$CC_CACHE"
  exec 8>"$XVENV.lock"
  flock 8
  if [ "$(cat "$XVENV/.cloudcert-ready" 2>/dev/null)" != "$key" ]; then
    echo "$name: installing $* into $XVENV"
    rm -rf "$XVENV"
    "$py" -m venv "$XVENV" || cc_die "cannot create $XVENV"
    "$XVENV/bin/python" -m pip install --quiet --disable-pip-version-check "$@" 2>&1 | cc_pip_quiet
    [ "${PIPESTATUS[0]}" -eq 0 ] || cc_die "$name: pip install $* failed"
    printf '%s\n' "$key" >"$XVENV/.cloudcert-ready"
    echo "$name: venv ready in $((SECONDS - t0))s"
  else
    echo "$name: reusing $XVENV"
  fi
  exec 8>&-
  export XVENV
}
