#!/usr/bin/env bash
# Extra stage: the changelog. `antsibull-changelog lint` checks changelogs/config.yaml, changelog.yaml and every
# fragment; then a release is built from the fragments in a throwaway copy (never in the checkout) and the
# generated CHANGELOG.rst must have the release, its summary and every module/lookup/filter as a new plugin.
# Runs from .ci/test.sh with cwd = the laid-out collection and COLL, WORK, VENV set.
set -euo pipefail

# shellcheck source=_extra_venv.sh
source "$(dirname "${BASH_SOURCE[0]}")/_extra_venv.sh"
extra_venv changelog antsibull-changelog==0.36.0

NS="$(cc_galaxy_field namespace)"
NAME="$(cc_galaxy_field name)"
VERSION="$(cc_galaxy_field version)"
cd "$COLL"

echo "== antsibull-changelog lint"
"$XVENV/bin/antsibull-changelog" lint || {
  echo "changelog: antsibull-changelog lint found the problems above"
  exit 1
}
n_fragments="$(find changelogs/fragments -type f \( -name '*.yml' -o -name '*.yaml' \) | wc -l)"
echo "changelog: lint clean ($n_fragments fragments)"

echo "== antsibull-changelog release --version $VERSION (in a copy)"
COPY_ROOT="$WORK/changelog-release"
COPY="$COPY_ROOT/ansible_collections/$NS/$NAME"
rm -rf "$COPY_ROOT"
mkdir -p "$COPY"
cp -a "$COLL/." "$COPY/"
# plugin discovery runs ansible-doc (tool venv) against the copy
(cd "$COPY" && ANSIBLE_COLLECTIONS_PATH="$COPY_ROOT" "$XVENV/bin/antsibull-changelog" release --version "$VERSION" --date 2000-01-01)
python - "$COPY" "$VERSION" <<'PYEOF'
import glob, os, sys

copy, version = sys.argv[1:]
text = open(os.path.join(copy, "CHANGELOG.rst"), encoding="utf-8").read()
wanted = ["v%s" % version, "Release Summary"]
for kind, pattern in (("module", "plugins/modules/*.py"), ("lookup", "plugins/lookup/*.py"), ("filter", "plugins/filter/*.py")):
    for path in sorted(glob.glob(os.path.join(copy, pattern))):
        wanted.append(os.path.basename(path)[:-3])
missing = [word for word in wanted if word not in text]
print(text)
if missing:
    print("changelog: CHANGELOG.rst lacks: %s" % ", ".join(missing))
    sys.exit(1)
print("changelog: CHANGELOG.rst for %s names %d plugins (%s)" % (version, len(wanted) - 2, ", ".join(wanted[2:])))
PYEOF
