"""The production path: gunicorn with botan_line.doors.gunicorn_conf, as systemd and the Procfile run it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
from conftest import SECRET, TOKEN
from fakes import sign, sticker_event, text_event, webhook_body

REPO = Path(__file__).resolve().parents[2]
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env_for(tmp_path, characters_dir, line, openai_fake) -> dict:
    return dict(
        os.environ,
        LINE_CHANNEL_SECRET=SECRET,
        LINE_CHANNEL_ACCESS_TOKEN=TOKEN,
        LINE_API_BASE_URL=line.url,
        OPENAI_BASE_URL=openai_fake.url + "/v1",
        BOTAN_DATA_DIR=str(tmp_path),
        BOTAN_CHARACTERS_DIR=str(characters_dir),
        WEB_CONCURRENCY="2",
        BOTAN_LOG_LEVEL="WARNING",
    )


def test_gunicorn_serves_the_webhook_and_one_elected_worker_answers(
    tmp_path, characters_dir, line, openai_fake
):
    port = free_port()
    server = subprocess.Popen(
        [GUNICORN, "--config", "python:botan_line.doors.gunicorn_conf", "--bind", f"127.0.0.1:{port}"],
        cwd=REPO,
        env=env_for(tmp_path, characters_dir, line, openai_fake),
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        body = webhook_body(
            *[text_event("おはよう", f"Ug{i}", timestamp_ms=int(time.time() * 1000)) for i in range(6)]
        )
        response = requests.post(
            f"http://127.0.0.1:{port}/callback",
            data=body,
            timeout=5,
            headers={"X-Line-Signature": sign(body, SECRET), "Content-Type": "application/json"},
        )
        assert response.status_code == 200
        assert line.wait_for(lambda: len(line.replies()) == 6, timeout=20)
        assert (tmp_path / "worker.lock").exists()
        # a sticker and a sister switch go through the LINE-native paths; Pillow (for fans' photos and
        # `richmenu sync`) must not be loaded by any process of the service before a photo arrives
        more = webhook_body(sticker_event("Ug0", timestamp_ms=int(time.time() * 1000)),
                            text_event("/yuri", "Ug1", timestamp_ms=int(time.time() * 1000)))  # fmt: skip
        requests.post(f"http://127.0.0.1:{port}/callback", data=more, timeout=5,
                      headers={"X-Line-Signature": sign(more, SECRET), "Content-Type": "application/json"})  # fmt: skip
        assert line.wait_for(lambda: len(line.replies()) == 8, timeout=20)
        processes = [server.pid, *children(server.pid)]
        assert len(processes) == 3
        assert [pid for pid in processes if "/PIL/" in Path(f"/proc/{pid}/maps").read_text()] == []
    finally:
        server.terminate()
        server.wait(30)
    assert len(line.replies()) == 8


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def test_gunicorn_refuses_to_start_with_broken_character_files(tmp_path, characters_dir, line, openai_fake):
    (characters_dir / "botan" / "patterns.yaml").write_text("patterns: [{id: broken}]\n", encoding="utf-8")
    run = subprocess.run(
        [GUNICORN, "--config", "python:botan_line.doors.gunicorn_conf", "--bind", "127.0.0.1:0"],
        cwd=REPO,
        env=env_for(tmp_path, characters_dir, line, openai_fake),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode != 0
    assert "patterns.yaml:1:" in run.stderr
    assert "Traceback" not in run.stderr
