#!/usr/bin/env bash
# Extra stage: the documentation as a docsite would build it.
#  1. antsibull-docs lint-collection-docs --plugin-docs: plugin docs markup (O(), RV(), M() references that must
#     exist), docs/docsite/extra-docs.yml + links.yml, and every guide in docs/docsite/rst (valid RST, labels).
#  2. A static HTML rendering of the plugin docs and guides: antsibull-docs sphinx-init + collection (RST) and
#     sphinx-build (HTML). Intersphinx is switched off (no network); the only warnings tolerated are references
#     to labels of Ansible's own docsite (e.g. common_return_values), which need intersphinx. Anything else
#     fails, and every plugin and guide must have produced its page.
# Keep the HTML: CLOUDCERT_KEEP_WORK=1 make test STAGES=55-docs   (the path is printed at the end)
# Runs from .ci/test.sh with cwd = the laid-out collection and COLL, WORK, VENV set (ansible-doc from VENV).
set -euo pipefail

# shellcheck source=_extra_venv.sh
source "$(dirname "${BASH_SOURCE[0]}")/_extra_venv.sh"
extra_venv docs antsibull-docs==2.28.0 sphinx==9.1.1 sphinx-ansible-theme==0.10.4 ansible-pygments==0.1.2

FQCN="$(cc_galaxy_field namespace).$(cc_galaxy_field name)"
cd "$COLL"

echo "== antsibull-docs lint-collection-docs --plugin-docs ."
"$XVENV/bin/antsibull-docs" lint-collection-docs --plugin-docs . || {
  echo "docs: antsibull-docs lint-collection-docs found the problems above"
  exit 1
}
echo "docs: lint-collection-docs clean"

echo "== HTML docsite"
SITE="$WORK/docsite"
rm -rf "$SITE"
mkdir -m 700 "$SITE"
"$XVENV/bin/antsibull-docs" sphinx-init --use-current --dest-dir "$SITE" "$FQCN" >/dev/null
printf '\n# offline: no intersphinx inventories can be fetched\nintersphinx_mapping = {}\n' >>"$SITE/conf.py"
mkdir -p "$SITE/rst" && chmod 700 "$SITE/rst"
(cd "$SITE" && "$XVENV/bin/antsibull-docs" --config-file antsibull-docs.cfg collection --cleanup everything \
  --use-current --dest-dir rst "$FQCN")
if ! (cd "$SITE" && "$XVENV/bin/sphinx-build" -b html -c . -q rst build/html 2>"$SITE/warnings.log"); then
  cat "$SITE/warnings.log"
  echo "docs: sphinx-build failed"
  exit 1
fi
python - "$SITE" "$FQCN" <<'PYEOF'
import glob, os, re, sys
import yaml

site, fqcn = sys.argv[1:]
ns, name = fqcn.split(".")
problems = []
tolerated = 0
for line in open(os.path.join(site, "warnings.log"), encoding="utf-8"):
    line = line.rstrip()
    if not line:
        continue
    label = re.search(r"undefined label: '([^']+)'", line)
    if label and not label.group(1).startswith("ansible_collections."):
        tolerated += 1  # a label of Ansible's own docsite, reachable only through intersphinx
        continue
    problems.append(line)
html = os.path.join(site, "build", "html", "collections", ns, name)
expected = []
for path in glob.glob("plugins/modules/*.py"):
    expected.append("%s_module.html" % os.path.basename(path)[:-3])
for path in glob.glob("plugins/lookup/*.py"):
    expected.append("%s_lookup.html" % os.path.basename(path)[:-3])
with open("docs/docsite/extra-docs.yml", encoding="utf-8") as handle:
    for section in yaml.safe_load(handle)["sections"]:
        expected += ["docsite/%s.html" % ref for ref in section["toctree"]]
missing = [page for page in expected if not os.path.isfile(os.path.join(html, page)) or not os.path.getsize(os.path.join(html, page))]
for line in problems:
    print("docs: sphinx: %s" % line)
for page in missing:
    print("docs: page not rendered: %s" % page)
print("docs: HTML at %s/index.html: %d pages checked, %d warnings about Ansible docsite labels tolerated"
      % (html, len(expected), tolerated))
sys.exit(1 if problems or missing else 0)
PYEOF
