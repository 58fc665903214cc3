#!/usr/bin/env bash
# Extra stage: build the collection artifact, install it with --no-deps into a fresh path, and check with
# ansible-doc (run outside the source tree, against the installed copy only) that every module, lookup and
# filter documents itself: DOCUMENTATION and EXAMPLES non-empty, and RETURN for modules and lookups.
# The tarball must also hold every LICENSES/*.txt that a file header points to ("see LICENSES/...").
# validate-modules only warns (silently, in a collection) about a missing RETURN, hence this check.
# Runs from .ci/test.sh with cwd = the laid-out collection and COLL, WORK, VENV set.
set -euo pipefail

DIST="$WORK/build-dist"
INSTALLED="$WORK/build-installed"

build_and_install() {
  rm -rf "$DIST" "$INSTALLED"
  ansible-galaxy collection build --output-path "$DIST" "$COLL"
  # --no-deps: resolving dependencies would call Galaxy (unreachable). The collections path must not
  # contain the source tree, or install reports "Nothing to do".
  ANSIBLE_COLLECTIONS_PATH="$INSTALLED" ansible-galaxy collection install --no-deps -p "$INSTALLED" "$DIST"/*.tar.gz 2>&1 |
    grep -v 'is not part of the configured Ansible collections path' || true
  [ -f "$INSTALLED/ansible_collections/$NS/$NAME/MANIFEST.json" ] || {
    echo "build: install did not produce $NS.$NAME"
    return 1
  }
}

# Every license text the sources point to must ship in the artifact (galaxy.yml's build_ignore could drop it).
check_licenses() {
  local listing wanted f rc=0
  listing="$(tar -tzf "$DIST"/*.tar.gz)"
  wanted="$(grep -rhoE --exclude-dir=output --exclude-dir=.ci 'LICENSES/[A-Za-z0-9.+_-]+\.txt' "$COLL" | sort -u)"
  [ -n "$wanted" ] || {
    echo "build: no file header points to a LICENSES/ text"
    return 1
  }
  for f in $wanted; do
    if grep -qxF "$f" <<<"$listing" && [ -s "$INSTALLED/ansible_collections/$NS/$NAME/$f" ]; then
      echo "build: $f in the tarball and the installed collection"
    else
      echo "build: $f (named in file headers) is missing from the tarball or the installed collection"
      rc=1
    fi
  done
  return "$rc"
}

# Print "TYPE NAME" for every plugin we document, from the installed artifact.
plugins_to_check() {
  local root="$INSTALLED/ansible_collections/$NS/$NAME/plugins" dir type f
  for dir in modules:module lookup:lookup; do
    type="${dir#*:}"
    for f in "$root/${dir%%:*}"/*.py; do
      [ -e "$f" ] && [ "$(basename "$f")" != __init__.py ] && printf '%s %s\n' "$type" "$(basename "$f" .py)"
    done
  done
  # Filters are documented per filter name (a .py plugin may hold several filters, each with its own
  # .yml doc file), so ask ansible-doc for the list rather than globbing.
  (cd "$WORK" && ANSIBLE_COLLECTIONS_PATH="$INSTALLED" ansible-doc -t filter --list --json "$NS.$NAME" 2>/dev/null) |
    python -c 'import json, sys; [print("filter", k.split(".")[-1]) for k in json.load(sys.stdin)]' || true
}

check_doc() { # check_doc TYPE NAME
  local out
  # cwd = WORK so nothing is picked up from the source tree; ansible-doc exits 0 with "{}" for an unknown
  # plugin, so the JSON is what gets checked.
  out="$(cd "$WORK" && ANSIBLE_COLLECTIONS_PATH="$INSTALLED" ansible-doc --json -t "$1" "$NS.$NAME.$2")" || return 1
  python - "$1" "$NS.$NAME.$2" "$out" <<'EOF'
import json, sys
ptype, fqcn, raw = sys.argv[1:]
entry = json.loads(raw).get(fqcn) or {}
missing = [k for k, want in (("DOCUMENTATION", entry.get("doc")), ("EXAMPLES", entry.get("examples")),
                             ("RETURN", entry.get("return") if ptype in ("module", "lookup") else True)) if not want]
print("ansible-doc %s %s: %s" % (ptype, fqcn, "missing " + ", ".join(missing) if missing else "ok"))
sys.exit(1 if missing else 0)
EOF
}

main() {
  NS="$(python -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["namespace"])' "$COLL/galaxy.yml")"
  NAME="$(python -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["name"])' "$COLL/galaxy.yml")"
  build_and_install
  local rc=0 n=0 type name
  check_licenses || rc=1
  while read -r type name; do
    n=$((n + 1))
    check_doc "$type" "$name" || rc=1
  done < <(plugins_to_check)
  echo "build: $(basename "$DIST"/*.tar.gz) installed, $n plugin docs checked"
  return "$rc"
}

main
