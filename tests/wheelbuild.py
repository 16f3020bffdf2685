"""Build botan-line's wheel offline from a copy of the tree (a build writes build/ and egg-info beside it)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SOURCES = ("botan_line", "characters", "pyproject.toml", "setup.py", "README.md", "LICENSE")


def clean_env(**extra) -> dict:
    """The environment without the bot's settings, Python overrides or a venv, and no registry."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOTAN_", "LINE_", "OPENAI_", "PYTHON"))}
    env.pop("VIRTUAL_ENV", None)
    return {**env, "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1", **extra}


def build_wheel(work: Path, extra_files: dict[str, str] | None = None) -> Path:
    """Copy the sources to ``work/src`` (plus ``extra_files``), build, return the wheel in ``work/dist``."""
    src, dist = work / "src", work / "dist"
    src.mkdir(parents=True)
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy(REPO / name, src / name)
    for name, content in (extra_files or {}).items():
        (src / name).write_text(content)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(src),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(dist),
        ],
        check=True,
        env=clean_env(),
        timeout=300,
    )
    (wheel,) = dist.glob("botan_line-*.whl")
    return wheel
