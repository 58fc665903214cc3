"""Run nox for cloudcert.tencent in an isolated environment; end with one line ``N passed, M failed``.

Called by .ci/bootstrap.sh (every make target) with nox's own arguments, from the harness venv. Everything the run
writes lives under the cache it was given (CLOUDCERT_CACHE): the run's HOME is CACHE/home, so ansible-test's test
venvs and get-pip stand-ins (~/.ansible/test), pip's cache, ansible's temp files, the lookup cache, the rate limiter's
state and the venvs that integration targets build (ansible-test passes its scripts HOME and PATH, nothing else) stay
there; TMPDIR is a directory of the run under the cache, removed at the end; nox's venvs are CACHE/nox.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from harness import pythons, results  # noqa: E402  (the harness package is found through the line above)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Variables that would send a tool's state outside the cache, or point a target at the caller's caches.
DROPPED = ("CLOUDCERT_CACHE", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_RUNTIME_DIR", "PYENV_VERSION", "VIRTUAL_ENV")
# multiprocessing (ansible-core's local RPC server) puts AF_UNIX sockets (at most 107 bytes of path) in TMPDIR,
# about 40 characters below it.
MAX_TMPDIR = 64
# Arguments that make nox list or explain instead of running sessions: no summary then.
INFORMATIONAL = {"-l", "--list", "--list-sessions", "-h", "--help", "--usage", "--version"}


def isolated_environment(cache: str, run_dir: str) -> dict[str, str]:
    """The environment of nox and of everything it starts."""
    env = {key: value for key, value in os.environ.items() if key not in DROPPED}
    home = os.path.join(cache, "home")
    os.makedirs(home, exist_ok=True)
    pybin = pythons.make_pybin(os.path.join(cache, "pybin"))
    env.update(
        HOME=home,
        TMPDIR=run_dir,
        # the harness venv last: antsibull-nox's lint sessions run ansible-galaxy from PATH, outside their own venvs
        PATH=os.pathsep.join([pybin, env.get("PATH", os.defpath), os.path.dirname(sys.executable)]),
        PYENV_ROOT=pythons.pyenv_root(),
        # A local connection expands ~ in remote_tmp through the passwd entry (~root), not HOME.
        ANSIBLE_REMOTE_TMP=os.path.join(home, ".ansible", "tmp"),
        # antsibull-nox's formatters check instead of rewriting files when CI is "true"; `make format` passes false.
        CI=os.environ.get("CI", "true"),
        # Tools that would write into the checkout: ruff's cache, Python's bytecode (nox imports noxfile.py).
        RUFF_CACHE_DIR=os.path.join(cache, "ruff"),
        PYTHONPYCACHEPREFIX=os.path.join(cache, "pycache"),
        # No collection dependency may be fetched (Galaxy is unreachable): fail at once instead.
        ANTSIBULL_NOX_INSTALL_COLLECTIONS="never",
        **{results.RESULTS_ENV: os.path.join(run_dir, "results")},
    )
    return env


def selected_sessions(nox: list[str], args: list[str], env: dict[str, str]) -> list[str]:
    """The names of the sessions ARGS select, in nox's order."""
    listing = subprocess.run(nox + args + ["--list", "--json"], env=env, cwd=REPO, check=True, stdout=subprocess.PIPE, text=True).stdout
    return [entry["session"] for entry in json.loads(listing)]


def sweep_old_runs(tmp_root: str, max_age: float = 86400.0) -> None:
    """Run directories of runs that were killed before they could remove their own."""
    for name in os.listdir(tmp_root):
        path = os.path.join(tmp_root, name)
        try:
            if time.time() - os.stat(path).st_mtime > max_age:
                shutil.rmtree(path, ignore_errors=True)
        except OSError:
            pass


def main(args: list[str]) -> int:
    started = time.monotonic()
    cache = os.environ["CLOUDCERT_CACHE"]
    tmp_root = os.path.join(cache, "tmp")
    os.makedirs(tmp_root, exist_ok=True)
    sweep_old_runs(tmp_root)
    run_dir = tempfile.mkdtemp(prefix="run-", dir=tmp_root)
    if len(run_dir) > MAX_TMPDIR:
        shutil.rmtree(run_dir)
        run_dir = tempfile.mkdtemp(prefix="cloudcert-run-", dir="/tmp")
        print("run: the cache path is too long for sockets in TMPDIR; temporary files go to %s (removed at the end)" % run_dir)
    try:
        env = isolated_environment(cache, run_dir)
        nox = [sys.executable, "-m", "nox", "--noxfile", os.path.join(REPO, "noxfile.py"), "--envdir", os.path.join(cache, "nox")]
        if INFORMATIONAL.intersection(args):
            return subprocess.call(nox + args, env=env, cwd=REPO)
        selected = selected_sessions(nox, args, env)
        if not selected:
            print("run: no session matches %s" % " ".join(args))
            return 2
        print("run: %d sessions under %s: %s" % (len(selected), cache, " ".join(selected)), flush=True)
        report = os.path.join(run_dir, "report.json")
        rc = subprocess.call(nox + ["--report", report] + args, env=env, cwd=REPO, stdin=subprocess.DEVNULL)
        rows, passed, failed = results.summarize(report, env[results.RESULTS_ENV], selected)
        results.print_summary(rows, passed, failed, time.monotonic() - started)
        return 1 if rc or failed or not passed else 0
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
