"""The collection-specific checks of noxfile.py's release sessions: build and ansible-doc, docsite, changelog release,
execution environment, galaxy-importer, benchmark smoke and demo output.

Each check runs its tools through the nox session it is given (so in that session's venv) and returns the problems
it found as sentences; ``fail_on`` turns a non-empty list into the session's failure.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import tarfile
from pathlib import Path

import yaml

# Lint findings accepted in galaxy-importer's run. galaxy.yml's build_ignore keeps .ansible-lint (and its mock_modules
# entry) out of the tarball, so the importer's ansible-lint cannot resolve awx.awx in the AWX helper playbook; the
# ansible-lint session checks that file with the mock.
IMPORTER_ALLOWED_LINT = re.compile(r"docs/awx/create_credential_type\.yml:.*syntax-check\[unknown-module\].*awx\.awx\.credential_type")
PLUGIN_TYPES = ("module", "lookup", "filter", "test")
# What a person reads in `make demo`'s output (label, pattern).
DEMO_EXPECTED = (
    ("the expiry report header", r"ID +STATE +DAYS +NOT AFTER \(UTC\)"),
    ("an expired certificate in the report", r"ExPd0003 +EXPIRED"),
    ("the passing gate", r"No certificate expires within 30 days"),
    ("the failing gate", r"the gate failed as it should"),
    ("a deployment", r"DEPLOY www\.example\.com: NoRm0001"),
    ("a blocked deployment", r"BLOCK"),
    ("a skipped host", r"SKIP +intranet\.example\.org"),
    ("an event for an expiring certificate", r"event => EXPIRING SoOn0002 \(api\.example\.com\): 12 days left"),
    ("an event for an expired certificate", r"event => EXPIRED ExPd0003 \(old\.example\.com\): expired on"),
    ("no throttling", r"throttled: 0"),
)
BENCHMARK_SCENARIOS = {
    "startup", "module_10", "sdk_10", "loop_10", "batch_10", "listing", "lookup", "cpu", "fleet_10", "cost_4",
    "two_nodes_3", "two_clients_6", "role_10", "pods_keys_3", "pods_identity_3", "deployments_20",
}  # fmt: skip


def fail_on(session, problems: list[str]) -> None:
    for problem in problems:
        print("problem: " + problem)
    if problems:
        session.error("%d problem(s), listed above" % len(problems))


def galaxy(coll: Path) -> dict:
    with open(coll / "galaxy.yml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def fqcn(coll: Path) -> str:
    meta = galaxy(coll)
    return "%s.%s" % (meta["namespace"], meta["name"])


def ensure_shellcheck(session) -> None:
    """ansible-test's shellcheck sanity test is skipped without the program: install it from Debian when we can (root
    and apt-get), once, under a lock (two sanity sessions may run at the same time)."""
    if shutil.which("shellcheck"):
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        session.warn("shellcheck is not installed and cannot be (not root, or no apt-get): its sanity test will be skipped")
        return
    with open(os.path.join(os.environ.get("TMPDIR", "/tmp"), "shellcheck.lock"), "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if shutil.which("shellcheck"):
            return
        env = {"DEBIAN_FRONTEND": "noninteractive"}
        install = ("timeout", "300", "apt-get", "install", "-y", "-qq", "--no-install-recommends", "shellcheck")
        try:
            session.run(*install, external=True, silent=True, env=env)
        except Exception:  # noqa: BLE001  (the package lists may be missing or stale on a new machine)
            session.run("timeout", "300", "apt-get", "update", "-qq", external=True, silent=True, env=env)
            session.run(*install, external=True, silent=True, env=env)


def build_tarball(session, coll: Path, directory: Path) -> Path:
    """``ansible-galaxy collection build`` of COLL into DIRECTORY; the tarball's path."""
    session.run("ansible-galaxy", "collection", "build", "--output-path", str(directory), str(coll), silent=True)
    (tarball,) = directory.glob("*.tar.gz")
    return tarball


def install_tarball(session, tarball: Path, path: Path) -> Path:
    """Install TARBALL with --no-deps into PATH (resolving dependencies would call Galaxy); the collection's directory.

    The collections path must not contain the source tree, or install reports "Nothing to do".
    """
    session.run("ansible-galaxy", "collection", "install", "--no-deps", "-p", str(path), str(tarball), env={"ANSIBLE_COLLECTIONS_PATH": str(path)}, silent=True)
    namespace, name = tarball.name.rsplit("-", 1)[0].split("-", 1)
    installed = path / "ansible_collections" / namespace / name
    if not (installed / "MANIFEST.json").is_file():
        session.error("installing %s did not produce %s" % (tarball.name, installed))
    return installed


def build_and_install(session, coll: Path, dist: Path, installed: Path) -> Path:
    """Build the tarball into DIST and install it into INSTALLED; return the installed collection."""
    return install_tarball(session, build_tarball(session, coll, dist), installed)


def license_problems(coll: Path, dist: Path, installed: Path) -> list[str]:
    """Every LICENSES/ text a file header points to must ship in the tarball and the installed collection."""
    wanted = set()
    for path in coll.rglob("*"):
        if path.is_file() and not {"output", ".ci"} & set(path.relative_to(coll).parts):
            wanted.update(re.findall(r"LICENSES/[A-Za-z0-9.+_-]+\.txt", path.read_text(encoding="utf-8", errors="replace")))
    if not wanted:
        return ["no file header points to a LICENSES/ text"]
    (tarball,) = dist.glob("*.tar.gz")
    with tarfile.open(tarball) as archive:
        listing = set(archive.getnames())
    problems = []
    for name in sorted(wanted):
        if name in listing and (installed / name).is_file() and (installed / name).stat().st_size:
            print("build: %s in the tarball and the installed collection" % name)
        else:
            problems.append("%s (named in file headers) is missing from the tarball or the installed collection" % name)
    return problems


def check_plugin_docs(session, name: str, installed: Path, work: Path) -> int:
    """ansible-doc on every module, lookup and filter of the installed copy (never the source tree): DOCUMENTATION and
    EXAMPLES everywhere, RETURN for modules and lookups. Returns how many plugins were checked."""
    env = {"ANSIBLE_COLLECTIONS_PATH": str(installed.parent.parent.parent)}
    plugins = [
        (kind, path.stem)
        for kind, folder in (("module", "modules"), ("lookup", "lookup"))
        for path in sorted((installed / "plugins" / folder).glob("*.py"))
        if path.name != "__init__.py"
    ]
    # A filter plugin file may hold several filters, each documented on its own: ask ansible-doc for the list.
    with session.chdir(work):
        listing = session.run("ansible-doc", "-t", "filter", "--list", "--json", name, env=env, silent=True)
        plugins += [("filter", key.split(".")[-1]) for key in json.loads(listing or "{}")]
        problems = []
        for kind, plugin in plugins:
            # ansible-doc exits 0 with "{}" for an unknown plugin, so the JSON is what gets checked.
            entry = (
                json.loads(session.run("ansible-doc", "--json", "-t", kind, "%s.%s" % (name, plugin), env=env, silent=True)).get("%s.%s" % (name, plugin)) or {}
            )
            wanted = (
                ("DOCUMENTATION", entry.get("doc")),
                ("EXAMPLES", entry.get("examples")),
                ("RETURN", entry.get("return") if kind in ("module", "lookup") else True),
            )
            missing = [key for key, value in wanted if not value]
            print("ansible-doc %s %s.%s: %s" % (kind, name, plugin, "missing " + ", ".join(missing) if missing else "ok"))
            if missing:
                problems.append("%s %s lacks %s" % (kind, plugin, ", ".join(missing)))
    fail_on(session, problems)
    return len(plugins)


def build_docsite(session, coll: Path, site: Path) -> list[str]:
    """Render the plugin docs and guides as antsibull-docs and sphinx would on a docsite, intersphinx off (offline)."""
    name = fqcn(coll)
    namespace, collection = name.split(".")
    site.mkdir(mode=0o700, parents=True)
    session.run("antsibull-docs", "sphinx-init", "--use-current", "--dest-dir", str(site), name, silent=True)
    with open(site / "conf.py", "a", encoding="utf-8") as handle:
        handle.write("\n# offline: no intersphinx inventories can be fetched\nintersphinx_mapping = {}\n")
    (site / "rst").mkdir(mode=0o700, exist_ok=True)
    with session.chdir(site):
        session.run(
            "antsibull-docs",
            "--config-file",
            "antsibull-docs.cfg",
            "collection",
            "--cleanup",
            "everything",
            "--use-current",
            "--dest-dir",
            "rst",
            name,
            silent=True,
        )
        session.run("sphinx-build", "-b", "html", "-c", ".", "-q", "-w", "warnings.log", "rst", "build/html")
    problems, tolerated = [], 0
    for line in (site / "warnings.log").read_text(encoding="utf-8").splitlines():
        label = re.search(r"undefined label: '([^']+)'", line)
        if label and not label.group(1).startswith("ansible_collections."):
            tolerated += 1  # a label of Ansible's own docsite, reachable only through intersphinx
        elif line.strip():
            problems.append("sphinx: " + line)
    html = site / "build" / "html" / "collections" / namespace / collection
    expected = ["%s_module.html" % path.stem for path in (coll / "plugins" / "modules").glob("*.py")]
    expected += ["%s_lookup.html" % path.stem for path in (coll / "plugins" / "lookup").glob("*.py")]
    with open(coll / "docs" / "docsite" / "extra-docs.yml", encoding="utf-8") as handle:
        expected += ["docsite/%s.html" % ref for section in yaml.safe_load(handle)["sections"] for ref in section["toctree"]]
    problems += ["page not rendered: %s" % page for page in expected if not (html / page).is_file() or not (html / page).stat().st_size]
    print("docs: HTML at %s/index.html: %d pages checked, %d warnings about Ansible docsite labels tolerated" % (html, len(expected), tolerated))
    return problems


def release_changelog(session, coll: Path, work: Path) -> list[str]:
    """Build a release from the fragments in a copy (never in the checkout): CHANGELOG.rst must have the release, its
    summary, and every module, lookup and filter as a new plugin."""
    meta = galaxy(coll)
    copy_root = work / "changelog-release"
    copy = copy_root / "ansible_collections" / meta["namespace"] / meta["name"]
    shutil.copytree(coll, copy, symlinks=True)
    with session.chdir(copy):
        # plugin discovery runs ansible-doc against the copy
        session.run(
            "antsibull-changelog", "release", "--version", str(meta["version"]), "--date", "2000-01-01", env={"ANSIBLE_COLLECTIONS_PATH": str(copy_root)}
        )
    text = (copy / "CHANGELOG.rst").read_text(encoding="utf-8")
    plugins = [path.stem for folder in ("modules", "lookup", "filter") for path in sorted((copy / "plugins" / folder).glob("*.py"))]
    print(text)
    missing = [word for word in ["v%s" % meta["version"], "Release Summary"] + plugins if word not in text]
    if not missing:
        print("changelog: CHANGELOG.rst for %s names %d plugins (%s)" % (meta["version"], len(plugins), ", ".join(plugins)))
    return ["CHANGELOG.rst lacks: %s" % ", ".join(missing)] if missing else []


def execution_environment(session, coll: Path, ee: Path) -> list[str]:
    """With the tarball next to docs/ee/execution-environment.yml (as its comment tells users), `ansible-builder
    create` writes a build context whose Containerfile installs the tarball and introspects it; that introspect script
    run on the installed collection must find every requirement of requirements.txt (via meta/execution-environment.yml)."""
    meta = galaxy(coll)
    name = fqcn(coll)
    tarball = "%s-%s-%s.tar.gz" % (meta["namespace"], meta["name"], meta["version"])
    problems = []
    with open(coll / "meta" / "execution-environment.yml", encoding="utf-8") as handle:
        ee_meta = yaml.safe_load(handle)
    python = (ee_meta.get("dependencies") or {}).get("python")
    if ee_meta.get("version") != 1:
        problems.append("meta/execution-environment.yml: version must be 1")
    if not python or not (coll / python).is_file():
        return problems + ["meta/execution-environment.yml: dependencies.python must name a file"]
    print("ee: collection metadata points at %s" % python)
    ee.mkdir(parents=True)
    built = build_tarball(session, coll, ee)
    if built.name != tarball:
        return problems + ["the build produced %s, not %s (what docs/ee/execution-environment.yml installs)" % (built.name, tarball)]
    shutil.copy(coll / "docs" / "ee" / "execution-environment.yml", ee)
    with session.chdir(ee):
        session.run("ansible-builder", "create", "--file", "execution-environment.yml", "--context", "context", "--output-filename", "Containerfile")
    install_tarball(session, built, ee / "collections")
    session.run(
        "python",
        str(ee / "context" / "_build" / "scripts" / "introspect.py"),
        "introspect",
        "--write-pip=%s" % (ee / "requirements-introspected.txt"),
        "--write-bindep=%s" % (ee / "bindep-introspected.txt"),
        str(ee / "collections"),
        silent=True,
    )
    context = ee / "context"
    containerfile = (context / "Containerfile").read_text(encoding="utf-8")
    problems += [
        "Containerfile lacks %r" % needle
        for needle in ("ansible-galaxy collection install", "introspect.py introspect", "/output/scripts/assemble")
        if needle not in containerfile
    ]
    if tarball not in (context / "_build" / "requirements.yml").read_text(encoding="utf-8"):
        problems.append("_build/requirements.yml does not install %s" % tarball)
    if not (context / "_build" / "collections" / tarball).is_file():
        problems.append("the build context lacks _build/collections/%s" % tarball)
    wanted = [line.split("#")[0].strip() for line in (coll / "requirements.txt").read_text(encoding="utf-8").splitlines()]
    wanted = [line for line in wanted if line]
    got = (ee / "requirements-introspected.txt").read_text(encoding="utf-8")
    print("ee: python requirements of the image:\n" + got.rstrip())
    problems += [
        "introspected requirements lack %r from collection %s" % (requirement, name)
        for requirement in wanted
        if not re.search(r"^%s\s+#.*%s" % (re.escape(requirement), re.escape(name)), got, re.M)
    ]
    if not problems:
        print("ee: build context at %s ok; image requirements include %s" % (context, ", ".join(wanted)))
    return problems


def galaxy_import(session, coll: Path, directory: Path) -> list[str]:
    """galaxy-importer with its venv's ansible-doc, ansible-lint and flake8 on PATH (without them it skips those checks
    and still exits 0). pyflakes findings fail; pycodestyle notes are listed but tolerated, since ruff owns the style.
    Its exit code is not enough, so the log and importer_result.json are checked too."""
    directory.mkdir(parents=True)
    tarball = build_tarball(session, coll, directory)
    with session.chdir(directory):
        log = session.run("python", "-m", "galaxy_importer.main", str(tarball), env={"GALAXY_IMPORTER_RUN_FLAKE8": "true"}, silent=True) or ""
    print(log)
    with open(directory / "importer_result.json", encoding="utf-8") as handle:
        result = json.load(handle)
    return importer_problems(result, log.splitlines())


def importer_problems(result: dict, log: list[str]) -> list[str]:
    problems, style = [], 0
    for line in log:
        if re.match(r"^(ERROR|CRITICAL)\b", line) or "Traceback" in line:
            problems.append("log: " + line)
        elif re.match(r"^WARNING: \S+\.py:\d+:\d+: [EWC]\d", line):
            style += 1  # pycodestyle: ruff (format + check) owns the style; reported, not fatal
        elif re.match(r"^WARNING\b", line) and not IMPORTER_ALLOWED_LINT.search(line):
            problems.append("log: " + line)
        elif re.search(r"\bnot found, skipping\b", line):
            problems.append("log: a check was skipped: " + line)
    if "Importer processing completed successfully" not in log:
        problems.append("log: no 'Importer processing completed successfully'")
    if not result.get("requires_ansible"):
        problems.append("requires_ansible missing (meta/runtime.yml)")
    if not (result.get("docs_blob", {}).get("collection_readme") or {}).get("html"):
        problems.append("README was not rendered")
    documented = 0
    for entry in result.get("docs_blob", {}).get("contents", []):
        if entry["content_type"] in PLUGIN_TYPES:
            documented += 1
            docs = entry.get("doc_strings") or {}
            problems += [
                "%s %s: no %s" % (entry["content_type"], entry["content_name"], "DOCUMENTATION" if key == "doc" else key.upper())
                for key in ("doc", "examples", "return")
                if not docs.get(key)
            ]
    problems += [
        "%s %s: no short_description" % (entry["content_type"], entry["name"])
        for entry in result.get("contents", [])
        if entry["content_type"] in PLUGIN_TYPES and not entry.get("description")
    ]
    if documented == 0:
        problems.append("no module, lookup, filter or test found in the import result")
    if style:
        print("importer: %d flake8 style notes tolerated (pyflakes F-codes fail)" % style)
    if not problems:
        print("importer: clean import, %d plugins with DOCUMENTATION, EXAMPLES and RETURN" % documented)
    return problems


def benchmark_problems(out: Path) -> list[str]:
    with open(out, encoding="utf-8") as handle:
        doc = json.load(handle)
    scenarios = doc.get("results", {})
    problems = ["scenario %s did not run" % name for name in sorted(BENCHMARK_SCENARIOS - set(scenarios))]
    if scenarios.get("fleet_10", {}).get("failed_hosts"):
        problems.append("fleet_10 had %s failed hosts" % scenarios["fleet_10"]["failed_hosts"])
    problems += ["scenario %s failed: %s" % (name, reason) for name, reason in sorted(doc.get("failures", {}).items())]
    skipped = [name for name, value in scenarios.items() if isinstance(value, dict) and "skipped" in value]
    if not problems:
        print("benchmark smoke: %d scenarios ran%s, JSON written" % (len(scenarios) - len(skipped), ", skipped: %s" % skipped if skipped else ""))
    return problems


def demo_problems(text: str) -> list[str]:
    problems = ["the demo output lacks %s (/%s/)" % (label, pattern) for label, pattern in DEMO_EXPECTED if not re.search(pattern, text, re.M)]
    events = len(re.findall(r"^event => ", text, re.M))
    if events != 2:
        problems.append("the rulebook step must show exactly 2 events (one expiring, one expired), not %d" % events)
    if not problems:
        print("demo: ran, report, gates, deployment decisions and rulebook events as expected")
    return problems
