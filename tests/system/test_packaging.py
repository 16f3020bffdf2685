"""The wheel: `pip wheel .` carries the code, the default characters, the console's pages and the licence,
and runs alone."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from wheelbuild import build_wheel, clean_env

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    # a learned.yaml in the tree is server state: it must stay out of the wheel
    return build_wheel(tmp_path_factory.mktemp("wheel"), {"characters/botan/learned.yaml": "patterns: []\n"})


def test_the_wheel_holds_every_module_and_every_character_file_but_no_learned_yaml(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {p.relative_to(REPO).as_posix() for p in (REPO / "botan_line").rglob("*.py")}
    assert modules <= names, sorted(modules - names)
    # every data file the code reads at run time (model profiles, LINE's webhook schema, ...)
    data = {
        p.relative_to(REPO).as_posix()
        for p in (REPO / "botan_line").rglob("*")
        if p.is_file() and p.suffix not in (".py", ".pyc") and "console_ui" not in p.parts
    }
    assert data <= names, sorted(data - names)
    characters = {
        "botan_line/default_characters/" + p.relative_to(REPO / "characters").as_posix()
        for p in (REPO / "characters").rglob("*.yaml")
        if p.name != "learned.yaml"
    }
    assert characters <= names, sorted(characters - names)
    assert "botan_line/default_characters/safety.yaml" in names
    console = {
        p.relative_to(REPO).as_posix()
        for p in (REPO / "botan_line/doors/console_ui").rglob("*")
        if p.is_file()
    }
    assert console and console <= names, sorted(console - names)  # templates, scripts, the vendored charts
    assert "botan_line/doors/console_ui/static/vendor/chart.umd.min.js" in console
    assert not [n for n in names if n.endswith("learned.yaml")]
    assert not [n for n in names if n.startswith(("characters/", "tests/"))]  # nothing at the top level


def test_the_wheel_metadata_names_the_licence_and_the_project_urls(wheel):
    archive = zipfile.ZipFile(wheel)
    meta_name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
    meta = Parser().parsestr(archive.read(meta_name).decode())
    assert meta["License-Expression"] == "MIT"
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in archive.namelist())
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL"))
    assert urls["Source"] == "https://github.com/botan-line/botan-line"
    assert meta["Requires-Python"] == ">=3.11"


@pytest.mark.slow
def test_an_installed_wheel_checks_and_chats_with_no_checkout(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)],
        check=True,
        env=clean_env(),
        timeout=300,
    )
    # the dependencies come from the test venv, appended after the fresh venv's own site-packages
    # (its .pth files are not processed this way, so the editable checkout install stays out)
    site = Path(
        subprocess.check_output(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], text=True
        ).strip()
    )
    (site / "zz_test_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = subprocess.run(
        [
            str(python),
            "-c",
            "import botan_line, botan_line.settings as s, botan_line.doors.console as c; print(botan_line.__file__); "
            "print(s.default_characters_dir()); print(c.UI / 'templates' / 'chat.html')",
        ],
        cwd=elsewhere,
        env=clean_env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert all(Path(p).is_relative_to(venv) for p in where), where
    assert Path(where[2]).is_file()  # the console's pages come with the wheel

    check = subprocess.run(
        [str(venv / "bin" / "botan-line"), "check"],
        cwd=elsewhere,
        env=clean_env(),
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr
    assert check.stdout.splitlines()[-1] == "ok" and "botan:" in check.stdout

    chat = subprocess.run(
        [str(venv / "bin" / "botan-line"), "chat", "--json", "--now", "2026-11-28T07:30"],
        cwd=elsewhere,
        env=clean_env(),
        input="おはよう\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert chat.returncode == 0, chat.stderr
    reply = json.loads(chat.stdout.splitlines()[0])
    assert reply["sister"] == "botan" and reply["layer"] == "layer1" and reply["text"]
