"""`botan-line console`: loopback only, a token per run in the printed address, request lines without it."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from conftest import write_env

from botan_line.ops.cli import main
from botan_line.ops.cli_console import NotLoopback, loopback_host, make_console
from botan_line.settings import Settings

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("host", "bound"), [("127.0.0.1", "127.0.0.1"), ("127.0.0.2", "127.0.0.2"),
                                             ("::1", "::1"), ("[::1]", "::1"), ("localhost", "127.0.0.1")])  # fmt: skip
def test_loopback_addresses_are_accepted(host, bound):
    assert loopback_host(host) == bound


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "10.0.0.1", "example.com", ""])
def test_any_other_bind_is_refused(host):
    with pytest.raises(NotLoopback, match="ssh -N -L 8765:127.0.0.1:8765"):
        loopback_host(host)


def test_the_command_refuses_a_public_bind_with_one_line_and_status_2(clean_environ, capsys):
    assert main(["console", "--host", "0.0.0.0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: the console binds to a loopback address only")


def test_a_port_in_use_is_one_clear_line(clean_environ, capsys, tmp_path, characters_dir):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = write_env(tmp_path, characters_dir)
        assert main(["--env-file", env, "console", "--port", str(port)]) == 1
    assert capsys.readouterr().err.strip() == f"error: port {port} is in use: choose another with --port"


def test_it_prints_a_tokened_address_serves_it_and_logs_requests_without_the_token(tmp_path, characters_dir):
    env = write_env(tmp_path, characters_dir)
    proc = subprocess.Popen([sys.executable, "-m", "botan_line", "-v", "--env-file", env, "console", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        banner = [proc.stdout.readline() for _ in range(5)]
        assert banner[0].startswith("note: created a new, empty database at ")
        url = re.fullmatch(r"botan-line console: (http://127\.0\.0\.1:\d+/[\w-]{40,}/)\n", banner[1])[1]
        port = url.split(":")[2].split("/")[0]
        assert f"ssh -N -L {port}:127.0.0.1:{port} you@server" in banner[3]
        page = requests.get(url + "chat", timeout=10)
        assert page.status_code == 200 and "botan-line console" in page.text
        said = requests.post(url + "chat/say", data={"user": "Ucli", "text": "おはよう"}, timeout=10,
                             headers={"X-Console-Fetch": "1"})  # fmt: skip
        assert said.status_code == 200 and 'data-layer="layer1"' in said.text
        assert requests.get(url.rsplit("/", 2)[0] + "/chat", timeout=10).status_code == 404
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert "POST /…/chat/say" in err and token not in err


def test_every_start_has_a_new_token(tmp_path, characters_dir):
    settings = Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'b.db'}",
                        characters_dir=characters_dir, worker=False)  # fmt: skip
    urls = []
    for _ in range(2):
        server, url, services = make_console(settings, "127.0.0.1", 0)
        server.server_close()
        services.engine.dispose()
        urls.append(url)
    assert urls[0] != urls[1] and all(len(u.rstrip("/").rsplit("/", 1)[1]) >= 40 for u in urls)


def test_the_readme_and_the_deploy_guide_say_how_to_reach_it():
    for doc in ("README.md", "docs/DEPLOY.md"):
        text = (REPO / doc).read_text(encoding="utf-8")
        assert "ssh -N -L 8765:127.0.0.1:8765" in text and "--env-file /etc/botan-line/env console" in text, (
            doc
        )
