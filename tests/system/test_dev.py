"""dev.py: a too-old Python is refused in one line; a failed or interrupted setup leaves no .venv behind."""

from __future__ import annotations

import ast
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def load_dev():
    spec = importlib.util.spec_from_file_location("dev_under_test", REPO / "dev.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


dev = load_dev()


def old_pythons() -> list[str]:
    """Real interpreters older than 3.11 on this machine (pyenv keeps several on the dev box)."""
    found = []
    for name in ("python3.10", "python3.9", "python3.8"):
        path = shutil.which(name)
        if path and subprocess.run([path, "-c", ""], capture_output=True).returncode == 0:
            found.append(path)
    pyenv = Path.home() / ".pyenv" / "versions"
    for version in sorted(pyenv.glob("3.10.*")) + sorted(pyenv.glob("3.[6-9].*")):
        found.append(str(version / "bin" / "python3"))
    return found[:1]


@pytest.fixture
def checkout(tmp_path) -> Path:
    """A temp copy of the bits dev.py reads, so nothing here touches the real .venv."""
    shutil.copy(REPO / "dev.py", tmp_path / "dev.py")
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


# --- the Python version ------------------------------------------------------------------------
@pytest.mark.parametrize("version", [(3, 10, 12), (3, 8, 10), (2, 7, 18)])
def test_an_old_python_gets_one_line_that_says_what_to_install(version):
    line = dev.python_problem(version)
    assert "\n" not in line
    assert f"this is {version[0]}.{version[1]}.{version[2]}" in line
    assert "3.11 or newer" in line
    assert "python3.11 python3.11-venv" in line and "deadsnakes" in line  # Ubuntu 22.04
    assert "python3-venv" in line and "24.04" in line  # Ubuntu 24.04's 3.12


@pytest.mark.parametrize("version", [(3, 11, 0), (3, 12, 3), (3, 13, 0)])
def test_supported_pythons_pass(version):
    assert dev.python_problem(version) is None


def test_main_refuses_before_creating_anything(checkout, capsys):
    assert dev.main(["chat"], version_info=(3, 10, 12), root=checkout) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "needs Python 3.11" in err
    assert not (checkout / ".venv").exists()


def test_dev_py_stays_parseable_by_old_pythons():
    """An old interpreter must reach the refusal, not a SyntaxError (3.6 grammar is the floor)."""
    ast.parse((REPO / "dev.py").read_text(), feature_version=(3, 6))
    ast.parse((REPO / "botan_line" / "__init__.py").read_text(), feature_version=(3, 6))


@pytest.mark.parametrize(
    "python", old_pythons() or [pytest.param(None, marks=pytest.mark.skip("no old Python"))]
)
def test_a_real_old_interpreter_is_refused_by_dev_py_and_by_the_package(python, checkout):
    run = subprocess.run([python, str(checkout / "dev.py"), "chat"], capture_output=True, text=True)
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and "needs Python 3.11 or newer" in run.stderr, run.stderr
    assert not (checkout / ".venv").exists()
    pkg = subprocess.run(
        [python, "-m", "botan_line", "check"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO)},
    )
    assert pkg.returncode == 2
    assert pkg.stderr.count("\n") == 1 and "needs Python 3.11 or newer" in pkg.stderr, pkg.stderr
    assert "Traceback" not in pkg.stderr


# --- never a half-built .venv ------------------------------------------------------------------
class FakeSetup:
    """Stands in for venv creation and pip: records the steps, fails where told."""

    def __init__(self, fail_at: str | None = None, exc: BaseException | None = None):
        self.fail_at = fail_at
        self.exc = exc
        self.steps: list[str] = []

    def create(self, path: Path) -> None:
        self.steps.append("create")
        (path / "bin").mkdir(parents=True)
        (path / "bin" / "python").symlink_to(sys.executable)
        if self.fail_at == "create":
            raise self.exc or dev.SetupError("dev.py: could not create .venv")

    def run(self, cmd, what: str) -> None:
        step = "pip-upgrade" if "--upgrade" in cmd else "install"
        self.steps.append(step)
        if self.fail_at == step:
            raise self.exc or dev.SetupError(f"dev.py: {what} failed (exit status 1)")


def ensure(checkout, fake: FakeSetup):
    logs = []
    dev.ensure_venv(dev.Env(checkout), create=fake.create, run=fake.run, log=logs.append)
    return logs


def test_a_first_setup_creates_installs_and_stamps(checkout):
    fake = FakeSetup()
    ensure(checkout, fake)
    assert fake.steps == ["create", "pip-upgrade", "install"]
    env = dev.Env(checkout)
    assert env.is_complete() and env.read_stamp() == env.wanted_stamp()
    again = FakeSetup()
    ensure(checkout, again)
    assert again.steps == []  # later runs start at once


@pytest.mark.parametrize("fail_at", ["create", "pip-upgrade", "install"])
def test_a_failing_step_removes_the_half_built_venv(checkout, fail_at):
    with pytest.raises(dev.SetupError):
        ensure(checkout, FakeSetup(fail_at))
    assert not (checkout / ".venv").exists()


def test_an_interrupted_install_removes_the_half_built_venv(checkout):
    with pytest.raises(KeyboardInterrupt):
        ensure(checkout, FakeSetup("install", KeyboardInterrupt()))
    assert not (checkout / ".venv").exists()


def test_a_venv_left_by_an_older_failed_run_is_rebuilt(checkout):
    """What Ubuntu 22.04's 3.10 used to leave: a venv with an interpreter and no completed install."""
    broken = checkout / ".venv" / "bin"
    broken.mkdir(parents=True)
    (broken / "python").symlink_to(sys.executable)
    (broken / "leftover").write_text("from the failed run")
    fake = FakeSetup()
    logs = ensure(checkout, fake)
    assert fake.steps == ["create", "pip-upgrade", "install"]
    assert not (broken / "leftover").exists()
    assert any("incomplete" in line for line in logs)


def test_a_venv_whose_python_was_uninstalled_is_rebuilt(checkout):
    ensure(checkout, FakeSetup())
    python = checkout / ".venv" / "bin" / "python"
    python.unlink()
    python.symlink_to(checkout / "gone" / "python3.11")  # the base interpreter was removed
    fake = FakeSetup()
    ensure(checkout, fake)
    assert fake.steps[0] == "create"


def test_a_changed_pyproject_reinstalls_in_place_and_a_failure_there_removes_the_venv(checkout):
    ensure(checkout, FakeSetup())
    (checkout / "pyproject.toml").write_text((checkout / "pyproject.toml").read_text() + "\n# changed\n")
    fake = FakeSetup()
    ensure(checkout, fake)
    assert fake.steps == ["pip-upgrade", "install"]  # no new venv
    (checkout / "pyproject.toml").write_text((checkout / "pyproject.toml").read_text() + "# again\n")
    with pytest.raises(dev.SetupError):
        ensure(checkout, FakeSetup("install"))
    assert not (checkout / ".venv").exists()


def test_the_stamp_of_earlier_dev_py_versions_still_counts(checkout):
    env = dev.Env(checkout)
    (env.bin).mkdir(parents=True)
    env.python.symlink_to(sys.executable)
    env.stamp.write_text(env.wanted_stamp()["pyproject"])  # the old format: the bare digest
    fake = FakeSetup()
    ensure(checkout, fake)
    assert fake.steps == []


@pytest.mark.slow
def test_a_real_failing_pip_leaves_no_venv_and_says_so_in_one_line(checkout):
    """The real thing, offline: a project whose build backend does not exist, so pip fails."""
    (checkout / "pyproject.toml").write_text(
        '[build-system]\nrequires = []\nbuild-backend = "botan_no_such_backend"\n\n'
        '[project]\nname = "botan-broken"\nversion = "0"\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "VIRTUAL_ENV"))}
    env["PIP_NO_INDEX"] = "1"  # never reach a registry from a test
    run = subprocess.run(
        [sys.executable, str(checkout / "dev.py"), "chat"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert run.returncode == 2
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("dev.py: installing botan-line") and "the half-built .venv was removed" in last
    assert not (checkout / ".venv").exists()
