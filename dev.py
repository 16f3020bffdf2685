#!/usr/bin/env python3
"""Set up a local virtualenv (./.venv) with the project and its test tools, then run a task.

    python3 dev.py chat [args...]   talk to the sisters in the terminal (SQLite, no credentials needed)
    python3 dev.py test [args...]   run the whole test suite (PostgreSQL too if BOTAN_TEST_POSTGRES_URL is set)
    python3 dev.py <any botan-line subcommand> [args...]

Only python3 (3.11 or newer) is needed: everything else is installed into ./.venv on the first
run, and again whenever pyproject.toml changes. A .venv that a failed or interrupted run left
behind is noticed (it has no completion stamp) and rebuilt from scratch.
"""

# This file must stay readable by old interpreters (3.6 grammar: f-strings, no walrus or match), so that a Python that is too
# old reaches the one-line refusal below instead of a SyntaxError.
import hashlib
import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
MIN_PYTHON = (3, 11)
STAMP_NAME = ".botan-installed"
HOW_TO_GET_PYTHON = (
    "install it: Ubuntu 24.04 ships 3.12 (sudo apt install python3-venv); on Ubuntu 22.04 use the deadsnakes "
    "PPA (sudo add-apt-repository ppa:deadsnakes/ppa && sudo apt install python3.11 python3.11-venv) "
    "and run python3.11 dev.py"
)


class SetupError(Exception):
    """A setup step failed; the message is one line that says what to do."""


def python_problem(version_info):
    """The refusal line for an interpreter older than MIN_PYTHON, or None."""
    if tuple(version_info[:2]) >= MIN_PYTHON:
        return None
    found = ".".join(str(part) for part in version_info[:3])
    need = f"{MIN_PYTHON[0]}.{MIN_PYTHON[1]}"
    return f"dev.py: botan-line needs Python {need} or newer, this is {found}; {HOW_TO_GET_PYTHON}"


class Env:
    """The paths of one checkout's virtualenv."""

    def __init__(self, root):
        self.root = Path(root)
        self.venv = self.root / ".venv"
        self.bin = self.venv / ("Scripts" if os.name == "nt" else "bin")
        self.python = self.bin / ("python.exe" if os.name == "nt" else "python")
        self.stamp = self.venv / STAMP_NAME

    def wanted_stamp(self):
        digest = hashlib.sha256((self.root / "pyproject.toml").read_bytes()).hexdigest()
        return {"pyproject": digest}

    def read_stamp(self):
        try:
            text = self.stamp.read_text().strip()
        except OSError:
            return None
        if len(text) == 64 and all(c in "0123456789abcdef" for c in text):
            return {"pyproject": text}  # the stamp of earlier dev.py versions: the bare digest
        try:
            stamp = json.loads(text)
        except ValueError:
            return None
        return stamp if isinstance(stamp, dict) else None

    def is_complete(self):
        """A finished setup: the stamp exists and the venv's interpreter still runs from here."""
        # .exists() follows the symlink: a venv whose base Python was uninstalled counts as broken
        return self.read_stamp() is not None and self.python.exists()


def _run(cmd, what):
    try:
        code = subprocess.call([str(c) for c in cmd])
    except OSError as exc:
        code = exc
    if code:
        reason = f"exit status {code}, see pip's messages above" if isinstance(code, int) else code
        raise SetupError(f"dev.py: {what} failed ({reason}); the half-built .venv was removed")


def create_venv(path):
    try:
        venv.EnvBuilder(with_pip=True, clear=True).create(str(path))
    except Exception as exc:  # ensurepip missing shows up as CalledProcessError, OSError or others
        raise SetupError(
            f"dev.py: could not create .venv with pip ({exc}); install the venv package for this Python "
            "(Ubuntu 24.04: sudo apt install python3-venv; 22.04 with deadsnakes: python3.11-venv)"
        ) from None


def ensure_venv(env, create=create_venv, run=_run, log=None):
    """Make ``env`` ready. Whatever fails or is interrupted, no half-built .venv is left behind.

    A complete venv with the wanted stamp is used as it is; a complete one with an older stamp
    (pyproject.toml changed) is updated in place; anything else is removed and built again. The
    stamp is written last, so only a setup that finished every step ever counts as complete.
    A venv cannot be built elsewhere and moved into place: its scripts carry absolute paths.
    """
    log = log or (lambda message: print(message, file=sys.stderr))
    wanted = env.wanted_stamp()
    complete = env.is_complete()
    if complete and env.read_stamp() == wanted:
        return
    if env.venv.exists() and not complete:
        log("dev.py: .venv is incomplete (a failed or interrupted setup left it): rebuilding it …")
    try:
        if not complete:
            shutil.rmtree(str(env.venv), ignore_errors=True)
            log("dev.py: creating .venv …")
            create(env.venv)
        if env.stamp.exists():
            env.stamp.unlink()  # from here on the venv counts as incomplete until the stamp is back
        log("dev.py: installing botan-line and its test tools into .venv …")
        quiet = ["-qq", "--disable-pip-version-check"]  # errors still show
        run([env.python, "-m", "pip", "install"] + quiet + ["--upgrade", "pip"], "upgrading pip")
        run(
            [env.python, "-m", "pip", "install"] + quiet + ["-e", f"{env.root}[test]"],
            "installing botan-line (pip install -e .[test])",
        )
        env.stamp.write_text(json.dumps(wanted))
    except BaseException:  # SetupError, KeyboardInterrupt, anything: never leave a half-built venv
        shutil.rmtree(str(env.venv), ignore_errors=True)
        raise


def main(argv, version_info=None, root=None):
    problem = python_problem(sys.version_info if version_info is None else version_info)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    if not argv or argv[0] in {"-h", "--help"}:
        print(__doc__)
        return 0
    env = Env(root or ROOT)
    try:
        ensure_venv(env)
    except SetupError as exc:
        print(exc, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("dev.py: interrupted; the half-built .venv was removed", file=sys.stderr)
        return 130
    task, rest = argv[0], argv[1:]
    os.chdir(str(env.root))
    if task == "test":
        return subprocess.call([str(env.python), "-m", "pytest"] + rest)
    return subprocess.call([str(env.python), "-m", "botan_line", task] + rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
