"""The deployment files: one env file holds every setting, the units verify and are sandboxed, the
README and the deploy guide say what the files do."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from botan_line import envfile

REPO = Path(__file__).resolve().parents[2]
SYSTEMD = REPO / "systemd"
UNITS = ("botan-line.service", "botan-line-backup.service", "botan-line-backup.timer")
SERVICES = ("botan-line.service", "botan-line-backup.service")
INSTALLED = "/opt/botan-line/venv/bin/botan-line"
needs_systemd_analyze = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed (apt install systemd)"
)


def settings_read_by_the_code() -> set[str]:
    """Every environment variable name the package reads (get("NAME") / environ.get("NAME"))."""
    names = set()
    for path in (REPO / "botan_line").rglob("*.py"):
        names |= set(re.findall(r"""(?:get|getenv)\(\s*"([A-Z][A-Z0-9_]+)\"""", path.read_text()))
    return names


def unit_lines(name: str) -> list[str]:
    return [
        ln.strip() for ln in (SYSTEMD / name).read_text().splitlines() if ln.strip() and ln[0] not in "#;"
    ]


def test_the_code_reads_the_settings_this_test_expects():
    """A guard for the scan below: if it finds nothing, the other tests here would pass vacuously."""
    found = settings_read_by_the_code()
    assert {"LINE_CHANNEL_SECRET", "BOTAN_DATA_DIR", "BOTAN_CHARACTERS_DIR", "WEB_CONCURRENCY"} <= found


def test_every_setting_is_documented_in_the_env_file_example_and_the_readme():
    example = (SYSTEMD / "botan-line.env.example").read_text()
    readme = (REPO / "README.md").read_text()
    for name in sorted(settings_read_by_the_code()):
        assert re.search(rf"^#? ?{name}=", example, re.M), f"{name} is missing from botan-line.env.example"
        assert f"`{name}`" in readme, f"{name} is missing from the README's configuration table"


def test_the_service_unit_holds_no_setting_of_the_bot_and_runs_the_installed_package():
    lines = unit_lines("botan-line.service")
    assert not [ln for ln in lines if ln.startswith(("Environment=", "EnvironmentFile="))]
    assert f"ExecStart={INSTALLED} --env-file /etc/botan-line/env serve" in lines
    assert "WorkingDirectory=/var/lib/botan-line" in lines  # not a checkout: nothing to import from there
    assert "RestartPreventExitStatus=2" in lines and "Restart=on-failure" in lines


def test_the_backup_unit_uses_the_same_env_file_and_the_timer_starts_it_daily():
    lines = unit_lines("botan-line-backup.service")
    (start,) = [ln for ln in lines if ln.startswith("ExecStart=")]
    assert start.startswith(f"ExecStart={INSTALLED} --env-file /etc/botan-line/env backup ")
    timer = unit_lines("botan-line-backup.timer")
    assert "Persistent=true" in timer and any(ln.startswith("OnCalendar=*-*-* ") for ln in timer)


def test_the_backup_service_is_sandboxed_like_the_bot():
    def sandbox(name):
        return {
            ln for ln in unit_lines(name) if not ln.startswith(("Exec", "Description=", "Documentation="))
        }

    bot, job = sandbox("botan-line.service"), sandbox("botan-line-backup.service")
    for key in ("ProtectSystem=strict", "SystemCallFilter=@system-service", "PrivateUsers=yes", "UMask=0077"):
        assert key in bot and key in job


def test_the_env_example_is_what_the_unit_reads():
    values = envfile.read(SYSTEMD / "botan-line.env.example")
    assert values["BOTAN_DATA_DIR"] == "/var/lib/botan-line"  # the unit's StateDirectory=botan-line
    assert "StateDirectory=botan-line" in unit_lines("botan-line.service")


def test_procfile_and_unit_serve_the_same_gunicorn_config():
    procfile = (REPO / "Procfile").read_text()
    assert "--config python:botan_line.doors.gunicorn_conf" in procfile and "${PORT" in procfile
    source = (REPO / "botan_line" / "ops" / "cli.py").read_text()
    assert '"python:botan_line.doors.gunicorn_conf"' in source  # what `botan-line serve` (the unit) runs


def runnable_copy(tmp_path: Path, name: str) -> Path:
    """The unit with ExecStart pointing at this test venv's botan-line (the rest as shipped)."""
    script = Path(sys.executable).with_name("botan-line")
    assert script.exists()
    text = (SYSTEMD / name).read_text().replace(INSTALLED, str(script))
    path = tmp_path / name
    path.write_text(text)
    return path


@needs_systemd_analyze
def test_systemd_analyze_verify_finds_nothing_to_say(tmp_path):
    paths = [runnable_copy(tmp_path, name) for name in UNITS]
    run = subprocess.run(["systemd-analyze", "verify", *map(str, paths)], capture_output=True, text=True)
    problems = [ln for ln in run.stderr.splitlines() if "botan-line" in ln]
    assert run.returncode == 0 and problems == [], run.stderr


def exposure(path: Path) -> float:
    run = subprocess.run(
        ["systemd-analyze", "security", "--offline=yes", "--no-pager", str(path)],
        capture_output=True,
        text=True,
    )
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d)", run.stdout)
    assert match, run.stdout + run.stderr
    return float(match.group(1))


@needs_systemd_analyze
@pytest.mark.parametrize("name", SERVICES)
def test_the_services_are_sandboxed_to_an_exposure_of_at_most_1_5(tmp_path, name):
    score = exposure(runnable_copy(tmp_path, name))
    print(f"{name}: systemd-analyze security exposure {score}")
    assert score <= 1.5


@needs_systemd_analyze
def test_the_exposure_figure_in_the_readme_is_the_measured_one(tmp_path):
    score = exposure(runnable_copy(tmp_path, "botan-line.service"))
    readme = (REPO / "README.md").read_text()
    assert f"exposure **{score}**" in readme, f"README should state the measured exposure {score}"


def test_the_readme_links_the_deploy_guide_and_its_server_commands_use_the_env_file():
    readme = (REPO / "README.md").read_text()
    deploy = readme[readme.index("## Deploy") : readme.index("## Benchmarks")]
    assert "(docs/DEPLOY.md)" in deploy
    commands = [ln for ln in deploy.splitlines() if "botan-line " in ln and "/opt/botan-line/venv/bin/" in ln]
    assert commands and all("--env-file /etc/botan-line/env" in ln for ln in commands)
    assert "example.invalid" not in readme
    guide = (REPO / "docs" / "DEPLOY.md").read_text()
    for needed in (
        "python3-venv",
        "Caddyfile",
        "ufw",
        "パケットフィルター",
        "journalctl -u botan-line",
        "--env-file",
    ):
        assert needed in guide, needed
