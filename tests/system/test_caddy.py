"""The deploy guide's Caddyfile, run by a real Caddy in front of the real webhook.

The guide's file is taken from docs/DEPLOY.md as written; only the site address changes (plain HTTP on a
free local port instead of the domain, since a test cannot get a certificate) and the admin endpoint is
turned off. Debian's ``caddy`` package is needed: without it the module is skipped, unless
``BOTAN_TEST_CADDY=1`` (set by ``.ci/run``, which installs it) makes that a failure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests
from conftest import SECRET
from fakes import sign, text_event, webhook_body

REPO = Path(__file__).resolve().parents[2]
CADDY = shutil.which("caddy")

if CADDY is None and os.environ.get("BOTAN_TEST_CADDY") == "1":
    raise RuntimeError("BOTAN_TEST_CADDY=1 but no caddy on PATH (apt install caddy)")
pytestmark = pytest.mark.skipif(CADDY is None, reason="caddy is not installed (apt install caddy)")


def guide_caddyfile() -> str:
    guide = (REPO / "docs" / "DEPLOY.md").read_text()
    found = re.search(r"```\n(# /etc/caddy/Caddyfile\n.*?)```", guide, re.S)
    assert found, "docs/DEPLOY.md should show the Caddyfile in a code block"
    return found.group(1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def caddy_env(tmp_path: Path) -> dict:
    # Caddy keeps its state under $HOME / $XDG_*; a test keeps it in its own folder
    return dict(os.environ, HOME=str(tmp_path), XDG_DATA_HOME=str(tmp_path / "data"),
                XDG_CONFIG_HOME=str(tmp_path / "config"))  # fmt: skip


def test_the_guides_caddyfile_serves_the_domain_and_proxies_to_the_bot(tmp_path):
    path = tmp_path / "Caddyfile"
    path.write_text(guide_caddyfile())
    out = subprocess.run([CADDY, "adapt", "--config", str(path), "--adapter", "caddyfile"],
                         capture_output=True, text=True, env=caddy_env(tmp_path), timeout=30)  # fmt: skip
    assert out.returncode == 0, out.stderr
    config = json.loads(out.stdout)
    server = next(iter(config["apps"]["http"]["servers"].values()))
    assert server["listen"] == [":443"]  # HTTPS, with the certificate Caddy obtains for the domain
    assert server["routes"][0]["match"] == [{"host": ["bot.example.jp"]}]
    assert '"dial":"127.0.0.1:8000"' in out.stdout.replace(" ", "")  # where the unit's gunicorn listens


@pytest.fixture
def behind_caddy(sbot, tmp_path):
    """The bot's webhook behind a Caddy running the guide's file (HTTP on a local port)."""
    port = free_port()
    upstream = sbot.url.removeprefix("http://")
    text = guide_caddyfile().replace("bot.example.jp {", f"http://127.0.0.1:{port} {{")
    text = text.replace("127.0.0.1:8000", upstream)
    assert upstream in text and f"127.0.0.1:{port}" in text
    path = tmp_path / "Caddyfile"
    path.write_text("{\n\tadmin off\n}\n" + text)
    proc = subprocess.Popen([CADDY, "run", "--config", str(path), "--adapter", "caddyfile"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=caddy_env(tmp_path))  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(url + "/healthz", timeout=1)
                break
            except requests.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(
                        f"caddy did not start: {proc.stderr.read().decode()[-2000:]}"
                    ) from None
                time.sleep(0.1)
        yield sbot, url
    finally:
        proc.terminate()
        proc.wait(10)


def test_a_signed_webhook_through_caddy_is_stored_and_answered(behind_caddy):
    bot, url = behind_caddy
    body = webhook_body(text_event("おはよう", "Ucaddy1", timestamp_ms=bot.clock.ms))
    response = requests.post(url + "/callback", data=body, timeout=10,
                             headers={"Content-Type": "application/json", "X-Line-Signature": sign(body, SECRET)})  # fmt: skip
    assert response.status_code == 200, response.text  # the raw body reached the bot unchanged
    bot.work()
    replies = bot.line.replies()
    assert len(replies) == 1 and replies[0]["messages"][0]["text"]


def test_caddy_passes_only_the_bots_two_paths(behind_caddy):
    bot, url = behind_caddy
    assert requests.get(url + "/healthz", timeout=10).text == "ok\n"
    body = webhook_body(text_event("おはよう", "Ucaddy2", timestamp_ms=bot.clock.ms))
    bad = requests.post(url + "/callback", data=body, timeout=10,
                        headers={"Content-Type": "application/json", "X-Line-Signature": "forged"})  # fmt: skip
    assert bad.status_code == 400  # the bot's own refusal, passed through
    for other in ("/", "/admin", "/callback/../healthz2", "/.env"):
        assert requests.get(url + other, timeout=10).status_code == 404, other
    bot.work()
    assert bot.line.replies() == []
