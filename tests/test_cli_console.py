"""`botan-line console`: loopback only, a token per run in the printed address, request lines without it."""

from __future__ import annotations

import re
import socket
import subprocess
import sys

import pytest
import requests
from conftest import write_env

from botan_line.ops.cli import main
from botan_line.ops.cli_console import NotLoopback, loopback_host


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


def test_it_prints_a_fresh_tokened_address_serves_it_and_logs_requests_without_the_token(
    tmp_path, characters_dir
):
    env = write_env(tmp_path, characters_dir)
    urls = []
    for _ in range(2):  # a new token every start
        proc = subprocess.Popen([sys.executable, "-m", "botan_line", "-v", "--env-file", env, "console", "--port", "0"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
        try:
            banner = [proc.stdout.readline() for _ in range(4 if urls else 5)]
            url = next(
                re.search(r"(http://127\.0\.0\.1:\d+/[\w-]{40,}/)", line)[1]
                for line in banner
                if "http" in line
            )
            urls.append(url)
            assert any("ssh -N -L" in line for line in banner)
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
    assert "note: created a new, empty database" in banner[0] or urls[0] != urls[1]
    assert urls[0] != urls[1]
