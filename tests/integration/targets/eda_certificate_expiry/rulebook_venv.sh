#!/usr/bin/env bash
# Sourced (by runme.sh here and by .ci/demo.sh): a cached virtualenv with the real ansible-rulebook from PyPI.
#
#   source rulebook_venv.sh
#   rulebook_venv        # sets RULEBOOK_VENV and puts its bin/ first on PATH
#
# ansible-rulebook refuses to start without ansible-galaxy on PATH, and the event source imports the
# collection's module_utils (ansible-core, requests) in ansible-rulebook's own Python, so all three live in
# one venv. The pins are part of the cache key: a changed pin builds a new venv, a warm run reuses it.
# Rules run in Drools through drools_jpy, which needs a Java 17 JDK (found on PATH or at JAVA_HOME).

RULEBOOK_PINS=(ansible-rulebook==1.3.2 ansible-core==2.21.5 requests==2.34.2)
RULEBOOK_JDK=/usr/lib/jvm/java-17-openjdk-amd64

_rulebook_python() {  # a working python3.12 (pyenv shims on PATH may exist and fail)
  local candidate
  for candidate in $(find "${PYENV_ROOT:-$HOME/.pyenv}/versions" -maxdepth 3 -path '*/3.12.*/bin/python3.12' 2>/dev/null | sort -rV) \
      "$(command -v python3.12 || true)" /usr/local/bin/python3.12 /usr/bin/python3.12; do
    if [ -n "$candidate" ] && "$candidate" -c 'import sys' >/dev/null 2>&1; then
      readlink -f "$candidate"  # never a link that may go away (a venv made through it would break)
      return 0
    fi
  done
  return 1
}

rulebook_venv() {
  local python key cache t0=$SECONDS
  python="$(_rulebook_python)" || { echo "python3.12 is needed for ansible-rulebook (ansible-core 2.21)" >&2; return 1; }
  key="$({ printf '%s\n' "${RULEBOOK_PINS[@]}"; "$python" -c 'import sys; print(sys.version)'; } | sha256sum | cut -c1-12)"
  cache="${CLOUDCERT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cloudcert-tencent}"
  RULEBOOK_VENV="$cache/rulebook-$key"
  mkdir -p "$cache"
  (
    flock 7
    # rebuilt when unfinished, of other pins, or broken (its interpreter no longer runs, or lacks what it needs)
    if [ "$(cat "$RULEBOOK_VENV/.cloudcert-ready" 2>/dev/null)" != "$key" ] ||
      ! env -u PYTHONPATH "$RULEBOOK_VENV/bin/python" -c 'import ansible, ansible_rulebook, requests' >/dev/null 2>&1; then
      echo "ansible-rulebook: installing ${RULEBOOK_PINS[*]} into $RULEBOOK_VENV (once per machine)" >&2
      rm -rf "$RULEBOOK_VENV"
      # venv's ensurepip and pip leave temporary files (an extracted CA bundle) behind: keep them in the cache.
      mkdir -p "$cache/tmp"
      TMPDIR="$cache/tmp" "$python" -m venv "$RULEBOOK_VENV" >&2 || exit 1
      # Without PYTHONPATH: inside an integration target it holds ansible-test's copy of ansible with a generated
      # dist-info, so pip would take ansible-core as installed and leave it out of the venv.
      env -u PYTHONPATH TMPDIR="$cache/tmp" "$RULEBOOK_VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${RULEBOOK_PINS[@]}" 2>&1 | grep -v -e 'is ignored' -e '^$' >&2
      [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "ansible-rulebook: pip install failed" >&2; exit 1; }
      printf '%s\n' "$key" >"$RULEBOOK_VENV/.cloudcert-ready"
      echo "ansible-rulebook: venv ready in $((SECONDS - t0))s" >&2
    fi
  ) 7>"$RULEBOOK_VENV.lock" || return 1
  export PATH="$RULEBOOK_VENV/bin:$PATH" RULEBOOK_VENV
  # The JVM that runs the rules would write /tmp/hsperfdata_$USER/<pid>, and the embedded one leaves it behind.
  export JAVA_TOOL_OPTIONS="${JAVA_TOOL_OPTIONS:+$JAVA_TOOL_OPTIONS }-XX:-UsePerfData"
  if ! command -v java >/dev/null 2>&1 && [ -z "${JAVA_HOME:-}" ] && [ -d "$RULEBOOK_JDK" ]; then
    export JAVA_HOME="$RULEBOOK_JDK"
  fi
}
