#!/usr/bin/env bash
# Extra stage: execution environment. With the collection tarball next to docs/ee/execution-environment.yml (as
# its comment tells users to do), `ansible-builder create` must write a build context (no container runtime
# needed) whose Containerfile installs the collection from that tarball and runs ansible-builder's introspect
# step. That introspect script, taken from the build context itself, is then run on the collection installed
# from the tarball: the Python requirements file it writes (what the image build installs) must contain every
# requirement of requirements.txt, reached through meta/execution-environment.yml.
# Runs from .ci/test.sh with cwd = the laid-out collection and COLL, WORK, VENV set.
set -euo pipefail

# shellcheck source=_extra_venv.sh
source "$(dirname "${BASH_SOURCE[0]}")/_extra_venv.sh"
extra_venv builder ansible-builder==3.2.0

NS="$(cc_galaxy_field namespace)"
NAME="$(cc_galaxy_field name)"
VERSION="$(cc_galaxy_field version)"
TARBALL="$NS-$NAME-$VERSION.tar.gz"
EE="$WORK/ee"
rm -rf "$EE"
mkdir -p "$EE/collections"

echo "== meta/execution-environment.yml"
python - "$COLL" <<'PYEOF'
import os, sys
import yaml

coll = sys.argv[1]
meta = yaml.safe_load(open(os.path.join(coll, "meta", "execution-environment.yml"), encoding="utf-8"))
assert meta.get("version") == 1, "meta/execution-environment.yml: version must be 1"
python = (meta.get("dependencies") or {}).get("python")
assert python and os.path.isfile(os.path.join(coll, python)), "meta/execution-environment.yml: dependencies.python must name a file"
print("ee: collection metadata points at %s" % python)
PYEOF

echo "== ansible-builder create (docs/ee/execution-environment.yml)"
ansible-galaxy collection build --output-path "$EE" "$COLL" >/dev/null
[ -f "$EE/$TARBALL" ] || cc_die "ee: build did not produce $TARBALL"
cp "$COLL/docs/ee/execution-environment.yml" "$EE/"
(cd "$EE" && "$XVENV/bin/ansible-builder" create --file execution-environment.yml --context context --output-filename Containerfile)

echo "== introspect the collection as the image build does"
ANSIBLE_COLLECTIONS_PATH="$EE/collections" ansible-galaxy collection install --no-deps -p "$EE/collections" "$EE/$TARBALL" 2>&1 |
  grep -v 'is not part of the configured Ansible collections path' || true
"$XVENV/bin/python" "$EE/context/_build/scripts/introspect.py" introspect \
  --write-pip="$EE/requirements-introspected.txt" --write-bindep="$EE/bindep-introspected.txt" "$EE/collections" >/dev/null

python - "$EE" "$COLL/requirements.txt" "$TARBALL" "$NS.$NAME" <<'PYEOF'
import os, re, sys

ee, requirements, tarball, fqcn = sys.argv[1:]
context = os.path.join(ee, "context")
problems = []
containerfile = open(os.path.join(context, "Containerfile"), encoding="utf-8").read()
for needle in ("ansible-galaxy collection install", "introspect.py introspect", "/output/scripts/assemble"):
    if needle not in containerfile:
        problems.append("Containerfile lacks %r" % needle)
galaxy = open(os.path.join(context, "_build", "requirements.yml"), encoding="utf-8").read()
if tarball not in galaxy:
    problems.append("_build/requirements.yml does not install %s" % tarball)
if not os.path.isfile(os.path.join(context, "_build", "collections", tarball)):
    problems.append("the build context lacks _build/collections/%s" % tarball)
wanted = [line.split("#")[0].strip() for line in open(requirements, encoding="utf-8")]
wanted = [line for line in wanted if line]
got = open(os.path.join(ee, "requirements-introspected.txt"), encoding="utf-8").read()
print("ee: python requirements of the image:\n" + got.rstrip())
for requirement in wanted:
    if not re.search(r"^%s\s+#.*%s" % (re.escape(requirement), re.escape(fqcn)), got, re.M):
        problems.append("introspected requirements lack %r from collection %s" % (requirement, fqcn))
for problem in problems:
    print("ee: " + problem)
if problems:
    sys.exit(1)
print("ee: build context at %s ok; image requirements include %s" % (context, ", ".join(wanted)))
PYEOF
