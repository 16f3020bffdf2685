#!/usr/bin/env python3
"""Set up a local virtualenv (./.venv) with the project and its test tools, then run a task.

    python3 dev.py chat [args...]   talk to the sisters in the terminal (SQLite, no credentials needed)
    python3 dev.py test [args...]   run the whole test suite (PostgreSQL too if BOTAN_TEST_POSTGRES_URL is set)
    python3 dev.py <any botan-line subcommand> [args...]

Only python3 is needed: everything else is installed into ./.venv on the first run, and again
whenever pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".botan-installed"


def ensure_venv() -> None:
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == digest and PY.exists():
        return
    if not PY.exists():
        print("dev.py: creating .venv …", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("dev.py: installing botan-line and its test tools into .venv …", file=sys.stderr)
    quiet = ["-qq", "--disable-pip-version-check"]  # errors still show
    subprocess.run([PY, "-m", "pip", "install", *quiet, "--upgrade", "pip"], check=True)
    subprocess.run([PY, "-m", "pip", "install", *quiet, "-e", f"{ROOT}[test]"], check=True)
    STAMP.write_text(digest)


def main(argv: list[str]) -> int:
    if not argv or argv[0] in {"-h", "--help"}:
        print(__doc__)
        return 0
    ensure_venv()
    task, rest = argv[0], argv[1:]
    os.chdir(ROOT)
    if task == "test":
        return subprocess.call([PY, "-m", "pytest", *rest])
    return subprocess.call([PY, "-m", "botan_line", task, *rest])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
