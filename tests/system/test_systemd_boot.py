"""The shipped units under a real systemd: the bot starts sandboxed and answers LINE, a configuration
error stops it with its one line in the journal, a passing fault is retried, the daily backup runs and
a terminal command with --env-file sees what the service wrote.

It boots systemd in private namespaces (tests/systemd_sandbox.py), which needs root and about
fifteen seconds, so it runs only with BOTAN_TEST_SYSTEMD=1 (.ci/run sets it).
"""

from __future__ import annotations

import json
import os
import re
import sys
import sysconfig
import time
from pathlib import Path

import pytest
import requests
from conftest import SECRET, TOKEN
from fakes import sign, text_event, webhook_body
from systemd_sandbox import Sandbox, unavailable
from test_gunicorn import free_port
from wheelbuild import build_wheel

REPO = Path(__file__).resolve().parents[2]
VENV = "/opt/botan-line/venv"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.environ.get("BOTAN_TEST_SYSTEMD") != "1", reason="set BOTAN_TEST_SYSTEMD=1 to boot systemd"
    ),
]


def system_python() -> str | None:
    """/usr/bin/python3 if it can share this test venv's compiled packages (same major.minor)."""
    python = Path("/usr/bin/python3")
    if not python.exists():
        return None
    import subprocess

    out = subprocess.run(
        [str(python), "-c", "import sys; print(sys.version_info[:2])"], capture_output=True, text=True
    )
    return str(python) if out.stdout.strip() == str(tuple(sys.version_info[:2])) else None


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    reason = unavailable()
    purelib = sysconfig.get_path("purelib")
    if reason is None and system_python() is None:
        reason = (
            f"/usr/bin/python3 is not Python {sys.version_info[0]}.{sys.version_info[1]} like this test venv"
        )
    if reason is None and purelib.startswith(("/root", "/home")):
        reason = "the test venv lives under /root or /home, which ProtectHome= hides from the service"
    closed = [str(p) for p in Path(purelib).parents if p.exists() and not p.stat().st_mode & 0o001]
    if (
        reason is None and closed
    ):  # a checkout under `mktemp -d` (mode 0700): the botan user cannot read the venv
        reason = f"the service user cannot traverse {closed[0]} to reach the test venv's packages"
    if reason:
        pytest.skip(reason)
    work = tmp_path_factory.mktemp("systemd")
    wheel = build_wheel(work / "wheel")
    sandbox = Sandbox(work / "state").start()
    try:
        # the deploy guide's steps: a system user, a venv with the installed (non-editable) package
        sandbox.run(
            "useradd --system --no-create-home --home-dir /var/lib/botan-line --shell /usr/sbin/nologin botan"
        )
        sandbox.run(f"{system_python()} -m venv --without-pip {VENV}")
        sandbox.run(
            f"{sys.executable} -m pip --python {VENV}/bin/python install -q --no-deps --no-index {wheel}"
        )
        # its dependencies come from this test venv (no registry in a test); the package does not
        site = sandbox.run(
            f"{VENV}/bin/python -c 'import sysconfig; print(sysconfig.get_path(\"purelib\"))'"
        ).stdout
        sandbox.run(f"echo {purelib} > {site.strip()}/zz-test-dependencies.pth")
        for name in ("botan-line.service", "botan-line-backup.service", "botan-line-backup.timer"):
            sandbox.run(f"cp {REPO / 'systemd' / name} /etc/systemd/system/{name}")  # the units as shipped
            if purelib.startswith("/tmp/") and name.endswith(".service"):
                # a checkout under /tmp: PrivateTmp= gives the service an empty /tmp, so the test
                # venv's packages are bound into it (a drop-in, as an operator would add one)
                sandbox.run(f"mkdir -p /etc/systemd/system/{name}.d && printf '[Service]\\nBindReadOnlyPaths={purelib}\\n'"
                            f" > /etc/systemd/system/{name}.d/zz-test-dependencies.conf")  # fmt: skip
        sandbox.run("install -d -m 0750 -o root -g botan /etc/botan-line && systemctl daemon-reload")
        yield sandbox
    finally:
        sandbox.stop()


def put_env(box: Sandbox, tmp_path: Path, text: str) -> None:
    staged = tmp_path / "env"
    staged.write_text(text)
    box.run(f"install -m 0640 -o root -g botan {staged} /etc/botan-line/env")


def journal(box: Sandbox, since_cursor: str) -> list[str]:
    out = box.run(f"journalctl -u botan-line --after-cursor='{since_cursor}' -o cat --no-pager").stdout
    return out.splitlines()


def cursor(box: Sandbox) -> str:
    out = box.run("journalctl -n 0 --show-cursor --no-pager").stdout
    return re.search(r"-- cursor: (\S+)", out).group(1)


@pytest.fixture
def good_env(line, tmp_path):
    port = free_port()
    text = (
        f"LINE_CHANNEL_SECRET={SECRET}\nLINE_CHANNEL_ACCESS_TOKEN={TOKEN}\nLINE_API_BASE_URL={line.url}\n"
        f"BOTAN_DATA_DIR=/var/lib/botan-line\nBOTAN_BIND=127.0.0.1:{port}\nWEB_CONCURRENCY=2\n"
    )
    return text, port


def test_the_bot_starts_sandboxed_answers_and_the_terminal_sees_its_database(box, good_env, line, tmp_path):
    text, port = good_env
    put_env(box, tmp_path, text)
    box.run("systemctl restart botan-line")  # Type=notify: returns once gunicorn said READY
    status = box.show("botan-line", "ActiveState", "SubState", "MainPID")
    assert status["ActiveState"] == "active" and status["SubState"] == "running", status
    assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200

    body = webhook_body(text_event("おはよう", "Usystemd1", timestamp_ms=int(time.time() * 1000)))
    headers = {"X-Line-Signature": sign(body, SECRET), "Content-Type": "application/json"}
    assert (
        requests.post(f"http://127.0.0.1:{port}/callback", data=body, headers=headers, timeout=5).status_code
        == 200
    )
    answered = line.wait_for(lambda: len(line.replies()) == 1, timeout=30)
    assert answered, "\n".join(
        box.run("journalctl -u botan-line -n 60 -o cat --no-pager").stdout.splitlines()
    )

    # the service runs the installed package from the venv, not a checkout
    pid = status["MainPID"]
    assert (
        f"{VENV}/bin/botan-line --env-file /etc/botan-line/env serve"
        in box.run(f"tr '\\0' ' ' < /proc/{pid}/cmdline").stdout
    )
    assert box.run(f"readlink /proc/{pid}/cwd").stdout.strip() == "/var/lib/botan-line"

    # the real, online systemd-analyze figure for the running unit
    score = re.search(
        r"exposure level for botan-line.service: (\d+\.\d)",
        box.run("systemd-analyze security botan-line --no-pager").stdout,
    )
    print(f"systemd-analyze security (online, running unit): {score.group(1)}")
    assert float(score.group(1)) <= 1.5

    # a terminal command with --env-file, as the service user, reads the same database
    stats = box.run(f"runuser -u botan -- {VENV}/bin/botan-line --env-file /etc/botan-line/env stats --json")
    assert json.loads(stats.stdout)["overall"]["messages"] >= 1

    # the daily backup job, as the timer would start it
    box.run("systemctl start botan-line-backup.service")
    assert box.show("botan-line-backup.service", "Result")["Result"] == "success"
    backups = box.run("ls /var/lib/botan-line/backups").stdout.split()
    assert len(backups) == 1 and re.fullmatch(r"botan-\d{8}-\d{6}\.db", backups[0])
    box.run("systemctl start botan-line-backup.timer")
    assert box.show("botan-line-backup.timer", "ActiveState")["ActiveState"] == "active"


@pytest.mark.parametrize(
    "change, expected",
    [
        (
            lambda env: env + "BOTAN_TIMEZONE=Mars/Olympus\n",
            "error: BOTAN_TIMEZONE: unknown time zone 'Mars/Olympus'",
        ),
        (
            lambda env: env + "BOTAN_PUSH_FALLBACK=false  # costs quota\n",
            "error: /etc/botan-line/env:7: put comments on their own line",
        ),
        (
            lambda env: env.replace("LINE_CHANNEL_SECRET=", "# LINE_CHANNEL_SECRET="),
            "error: LINE_CHANNEL_SECRET is not set",
        ),
        (
            lambda env: env.replace("BOTAN_DATA_DIR=/var/lib/botan-line", "BOTAN_DATA_DIR=/etc/passwd/data"),
            "error: cannot open the SQLite database /etc/passwd/data/botan.db",
        ),
    ],
    ids=["bad-setting", "env-file-syntax", "missing-secret", "unusable-data-dir"],
)
def test_a_configuration_error_stops_with_one_line_in_the_journal_and_no_restarts(
    box, good_env, tmp_path, change, expected
):
    text, _ = good_env
    put_env(box, tmp_path, change(text))
    mark = cursor(box)
    box.run("systemctl reset-failed botan-line; systemctl restart botan-line", check=False)
    status = box.show("botan-line", "ActiveState", "Result", "ExecMainStatus", "NRestarts")
    # with Restart=on-failure alone it would now be "activating (auto-restart)", again and again
    assert status == {
        "ActiveState": "failed",
        "Result": "exit-code",
        "ExecMainStatus": "2",
        "NRestarts": "0",
    }, status
    logged = journal(box, mark)
    errors = [ln for ln in logged if ln.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith(expected), logged
    assert "Traceback" not in "\n".join(logged)


def test_a_passing_fault_is_retried(box, good_env, tmp_path):
    text, _ = good_env
    put_env(
        box,
        tmp_path,
        text.replace(
            "BOTAN_DATA_DIR=/var/lib/botan-line\n",
            "BOTAN_DATABASE_URL=postgresql://botan@127.0.0.1:1/botan\n",
        ),
    )
    box.run("systemctl reset-failed botan-line; systemctl restart botan-line", check=False)
    status = box.show("botan-line", "ActiveState", "SubState", "ExecMainStatus")
    assert status == {"ActiveState": "activating", "SubState": "auto-restart", "ExecMainStatus": "1"}, status
    box.run("systemctl stop botan-line")
