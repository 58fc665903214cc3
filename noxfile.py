"""The test sessions of cloudcert.tencent. Run them through make (.ci/bootstrap.sh), which isolates the run under the
cache and sums it up: `make test` runs every default session, two at a time; `make check` the quick loop; `make demo`
the demo. `make list` shows the sessions; `make test SESSIONS="units-2.21 integration-2.16"` runs some of them.

antsibull-nox.toml declares the sessions antsibull-nox provides as they are (ruff, ansible-lint, docs-check,
extra-checks). ansible-test runs here without containers (its --docker sessions cannot run offline), so the
ansible-core matrix is our own sessions below, on antsibull-nox's documented helpers; so are the release checks
(.ci/harness/checks.py holds their logic) and the demo.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import antsibull_nox
import nox
from antsibull_nox.sessions import prepare_collections
from nox.command import CommandFailed

sys.path.insert(0, str(Path(__file__).parent / ".ci"))
from harness import checks, results  # noqa: E402  (.ci is put on sys.path just above)

REPO = Path(__file__).parent.resolve()
CI_DIR = REPO / ".ci"
# A command that runs longer is stopped with everything it started, and its session fails with its output.
STAGE_TIMEOUT = int(os.environ.get("CLOUDCERT_STAGE_TIMEOUT", "1200"))

nox.options.reuse_venv = "yes"
nox.options.download_python = "never"  # there is no python-build-standalone download here
nox.options.error_on_missing_interpreters = True
nox.options.parallel = 2  # two cores; each session is its own process, output printed when it ends
nox.options.allow_parallel = True

# The ansible-core versions we claim (meta/runtime.yml: >=2.16), each with the controller Python its platforms ship
# (AAP 2.5's execution environments: 2.16 on 3.11) and what runs on it. Pins: .ci/requirements-X.Y.txt.
# The module runs on the target with the same code whatever the controller's ansible-core, so the versions between
# the oldest and the one before templating changed (2.19) run the lookup target only.
MODULE_AND_LOOKUP = ["ssl_certificate_info", "lookup_ssl_certificate"]
NEWEST = "2.21"
MATRIX = {
    # core: (controller Python, sanity arguments, units arguments, integration target groups)
    # None: the stage does not run on that core; [] runs it on every Python / every target.
    "2.21": (
        "3.12",
        [],
        [],
        {
            "": ["ssl_certificate_info", "lookup_ssl_certificate", "eda_certificate_expiry", "deployments"],
            "reliability": ["reliability", "target_pythons", "sts_roles"],
        },
    ),
    "2.16": ("3.11", ["--python", "3.11"], ["--python", "3.11"], {"": MODULE_AND_LOOKUP}),
    "2.17": ("3.11", None, None, {"": ["lookup_ssl_certificate"]}),
    "2.18": ("3.12", None, None, {"": ["lookup_ssl_certificate"]}),
    "2.19": ("3.12", None, None, {"": MODULE_AND_LOOKUP}),
    "2.20": ("3.12", None, None, {"": ["lookup_ssl_certificate"]}),
}
# Measured session times (a cold run), longest first; the rest follow in the order this file defines them.
LONGEST_FIRST = ["units-2.21", "integration-2.21", "sanity-2.21", "sanity-2.16", "integration-2.19", "integration-2.16", "integration-2.21-reliability"]


def requirements(core: str) -> str:
    return str(CI_DIR / ("requirements-%s.txt" % core))


def bounded(session: nox.Session, *args: str, **kwargs):
    """session.run under `timeout` (which stops the command's whole process group, emulators included)."""
    try:
        return session.run("timeout", "-k", "30", str(STAGE_TIMEOUT), *args, external=True, **kwargs)
    except CommandFailed as exc:
        if "code 124" in str(exc.reason) or "code 137" in str(exc.reason):
            session.error("stopped: %s was still running after %d s (CLOUDCERT_STAGE_TIMEOUT)" % (args[0], STAGE_TIMEOUT))
        raise


def workdir(session: nox.Session) -> Path:
    """A fresh directory for SESSION's files, inside the run's TMPDIR (removed when the run ends)."""
    return Path(tempfile.mkdtemp(prefix=session.name + "-"))


def collection(session: nox.Session) -> Path:
    """Copy the checkout to a temporary ansible_collections/cloudcert/tencent (ansible-test needs a real one there),
    point ANSIBLE_COLLECTIONS_PATH at it and return the copy's path."""
    setup = prepare_collections(session, install_in_site_packages=False, install_out_of_tree=True)
    if setup is None:
        session.error("cannot lay out the collection (no venv?)")
    session.env["ANSIBLE_COLLECTIONS_PATH"] = str(setup.current_place)
    return setup.current_path


def prepare_ansible_test(session: nox.Session, core: str) -> Path:
    """The pinned ansible-core, its offline get-pip stand-in, and the collection copy to run it in."""
    session.install("-r", requirements(core))
    session.run("python", str(CI_DIR / "harness" / "getpip.py"), silent=True)
    return collection(session)


def ansible_test_sanity(session: nox.Session, core: str, args: list[str]) -> None:
    checks.ensure_shellcheck(session)
    coll = prepare_ansible_test(session, core)
    with session.chdir(coll):
        try:
            bounded(session, "ansible-test", "sanity", "--venv", "--color", "no", *args)
        except CommandFailed:
            results.record(session.name, 0, 1, "ansible-test sanity failed")
            raise
    results.record(session.name, 1, 0)


def ansible_test_units(session: nox.Session, core: str, args: list[str]) -> None:
    coll = prepare_ansible_test(session, core)
    error = None
    with session.chdir(coll):
        try:
            bounded(session, "ansible-test", "units", "--venv", "--color", "no", *args)
        except CommandFailed as exc:
            error = exc
    tests, failed, skipped = results.junit_counts(str(coll / "tests" / "output" / "junit"))
    note = "%d tests, %d skipped" % (tests, skipped)
    if error and not failed:
        failed, note = 1, note + ", %s without a failing test case" % error.reason
    if tests == 0 and not failed:
        failed, note = 1, note + ", NO UNIT TESTS RAN"
    results.record(session.name, tests - skipped - min(failed, tests), failed, note)
    if failed:
        session.error("units: %s" % note)


def ansible_test_integration(session: nox.Session, core: str, targets: list[str]) -> None:
    coll = prepare_ansible_test(session, core)
    error = None
    with session.chdir(coll):
        try:
            bounded(session, "ansible-test", "integration", "--local", "--color", "no", "--continue-on-error", *targets)
        except CommandFailed as exc:
            error = exc
        listed = session.run("ansible-test", "integration", "--list-targets", "--color", "no", *targets, silent=True)
    # only the names: ansible-test's warnings (locale) come on the same output
    wanted = [line.strip() for line in (listed or "").splitlines() if re.fullmatch(r"[\w.-]+", line.strip())]
    passed = results.passed_targets(str(coll / "tests" / "output" / "data"))
    missing = [target for target in wanted if target not in passed]
    note = "%d targets" % len(wanted) + (", failed: %s" % " ".join(missing) if missing else "")
    failed = len(missing) or (1 if error or not wanted else 0)
    results.record(session.name, len(wanted) - len(missing), failed, note)
    if failed:
        session.error("integration: %s" % (note if missing or not error else error.reason))


def _described(func, text: str):
    """FUNC with TEXT as the description `make list` shows."""

    def session_func(session: nox.Session) -> None:
        func(session)

    session_func.__doc__ = text
    return session_func


def add_matrix() -> None:
    """One sanity, units and integration session per ansible-core of MATRIX (as far as it runs them)."""
    sessions = {}
    for core, (python, sanity, units, integration) in MATRIX.items():
        tags = ["matrix"] if core != NEWEST else ["newest"]
        on = "ansible-core %s, controller Python %s" % (core, python)
        if sanity is not None:
            text = "ansible-test sanity on %s (%s)" % (on, " ".join(sanity) or "every Python")
            sessions["sanity-%s" % core] = (python, tags, _described(lambda s, c=core, a=sanity: ansible_test_sanity(s, c, a), text))
        if units is not None:
            text = "ansible-test units on %s (%s)" % (on, " ".join(units) or "every Python")
            sessions["units-%s" % core] = (python, tags, _described(lambda s, c=core, a=units: ansible_test_units(s, c, a), text))
        for group, targets in integration.items():
            name = "integration-%s%s" % (core, "-" + group if group else "")
            text = "ansible-test integration on %s: %s" % (on, " ".join(targets))
            sessions[name] = (python, tags, _described(lambda s, c=core, t=targets: ansible_test_integration(s, c, t), text))
    # nox starts sessions in the order they are defined: the longest first, so that neither lane idles at the end.
    for name in sorted(sessions, key=lambda name: LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST)):
        python, tags, func = sessions[name]
        nox.session(name=name, python=python, tags=tags)(func)


add_matrix()
antsibull_nox.load_antsibull_nox_toml()


@nox.session(name="harness", python="3.12", tags=["check"])
def harness(session: nox.Session) -> None:
    """The harness' own tests: the summary, the counts and the interpreter links (.ci/harness/test_harness.py)."""
    session.install("pytest==9.2.0")
    junit = workdir(session)
    try:
        session.run("python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "--junitxml", str(junit / "harness-units.xml"), str(CI_DIR / "harness"))
    finally:
        tests, failed, skipped = results.junit_counts(str(junit))
        results.record(session.name, tests - failed - skipped, failed or (0 if tests else 1), "%d tests" % tests)


@nox.session(name="units-quick", python="3.12", tags=["check"], default=False)
def units_quick(session: nox.Session) -> None:
    """The unit tests on the controller Python only (make check)."""
    ansible_test_units(session, NEWEST, ["--python", "3.12"])


@nox.session(name="integration-quick", python="3.12", tags=["check"], default=False)
def integration_quick(session: nox.Session) -> None:
    """The module's integration target on the newest ansible-core (make check)."""
    ansible_test_integration(session, NEWEST, ["ssl_certificate_info"])


@nox.session(name="demo", python="3.12", tags=["demo"])
def demo(session: nox.Session) -> None:
    """The README's first command: the demo playbooks and the event source against the bundled emulator, with what a
    person reads checked."""
    session.install("-r", requirements(NEWEST))
    coll = collection(session)
    log = workdir(session) / "demo.log"
    bounded(session, "bash", "-c", 'set -o pipefail; bash "$1" 2>&1 | tee "$2"', "demo", str(coll / ".ci" / "demo.sh"), str(log))
    checks.fail_on(session, checks.demo_problems(log.read_text(encoding="utf-8")))
    results.record(session.name, 1, 0)


@nox.session(name="importer", python="3.12")
def importer(session: nox.Session) -> None:
    """galaxy-importer (what Galaxy and Automation Hub run on upload) on the built tarball, with its result checked
    strictly (its exit code is 0 even for broken docs)."""
    session.install("galaxy-importer==0.4.44")
    coll = collection(session)
    checks.fail_on(session, checks.galaxy_import(session, coll, workdir(session) / "importer"))
    results.record(session.name, 1, 0)


@nox.session(name="benchmark-smoke", python="3.12")
def benchmark_smoke(session: nox.Session) -> None:
    """tests/benchmarks/run.py --quick, so that the benchmark cannot rot: every scenario runs, the fleet has no failed
    host, the JSON is written. It never judges speed (the numbers of a --quick run mean nothing)."""
    session.install("-r", requirements(NEWEST))
    coll = collection(session)
    out = workdir(session) / "benchmark-smoke.json"
    bounded(session, "python", str(coll / "tests" / "benchmarks" / "run.py"), "--quick", "--out", str(out))
    checks.fail_on(session, checks.benchmark_problems(out))
    results.record(session.name, 1, 0)


@nox.session(name="docs-html", python="3.12")
def docs_html(session: nox.Session) -> None:
    """antsibull-docs lint-collection-docs (with rstcheck), then the docsite as HTML: every plugin and guide renders,
    and sphinx says nothing but the references to Ansible's own docsite that only intersphinx resolves. Given a
    directory (`nox -s docs-html -- DIR`, make docs), the HTML is kept there."""
    session.install("-r", requirements(NEWEST), "-r", str(CI_DIR / "requirements-docs.txt"))
    coll = collection(session)
    with session.chdir(coll):
        session.run("antsibull-docs", "lint-collection-docs", "--plugin-docs", ".")
    site = workdir(session) / "docsite"
    checks.fail_on(session, checks.build_docsite(session, coll, site))
    if session.posargs:  # make docs: keep the HTML
        shutil.rmtree(session.posargs[0], ignore_errors=True)
        shutil.copytree(site / "build" / "html", session.posargs[0])
        print("docs: HTML kept at %s/index.html" % session.posargs[0])
    results.record(session.name, 1, 0)


@nox.session(name="changelog", python="3.12")
def changelog(session: nox.Session) -> None:
    """antsibull-changelog lint, and a release built from the fragments in a copy that must name every plugin."""
    session.install("-r", requirements(NEWEST), "antsibull-changelog==0.36.0")
    coll = collection(session)
    with session.chdir(coll):
        session.run("antsibull-changelog", "lint")
    checks.fail_on(session, checks.release_changelog(session, coll, workdir(session)))
    results.record(session.name, 1, 0)


@nox.session(name="ee", python="3.12")
def execution_environment(session: nox.Session) -> None:
    """ansible-builder create on docs/ee/execution-environment.yml (no container runtime needed), and its introspect
    step on the installed tarball: the image's Python requirements must hold requirements.txt."""
    session.install("-r", requirements(NEWEST), "ansible-builder==3.2.0")
    coll = collection(session)
    checks.fail_on(session, checks.execution_environment(session, coll, workdir(session) / "ee"))
    results.record(session.name, 1, 0)


@nox.session(name="build", python="3.12")
def build(session: nox.Session) -> None:
    """Build the collection, install it with --no-deps into an empty path, and check what ansible-doc says of every
    plugin there (validate-modules only warns, silently in a collection, about a missing RETURN), and that every
    LICENSES/ text a file header names ships in the artifact."""
    session.install("-r", requirements(NEWEST))
    coll = collection(session)
    work = workdir(session)
    installed = checks.build_and_install(session, coll, work / "dist", work / "installed")
    checks.fail_on(session, checks.license_problems(coll, work / "dist", installed))
    count = checks.check_plugin_docs(session, checks.fqcn(coll), installed, work)
    results.record(session.name, 1, 0, "%d plugin docs checked" % count)
