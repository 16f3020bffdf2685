"""The chat console driven through stdin, as a new user would run it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def chat(tmp_path, lines: list[str], *args: str, env: dict | None = None) -> list[dict]:
    base = {"BOTAN_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    run = subprocess.run(
        [sys.executable, "-m", "botan_line", "chat", "--json", *args],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**base, **(env or {})},
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    return [json.loads(line) for line in run.stdout.splitlines()]


def test_one_reply_per_line_with_layer_and_pattern(tmp_path):
    out = chat(
        tmp_path, ["おはよう", "ユリちゃんおはよう", "/help", "もう消えたい"], "--now", "2026-11-28T07:30"
    )
    assert [o["layer"] for o in out] == ["layer1", "layer1", "command", "safety"]
    assert out[0]["sister"] == "botan" and out[0]["pattern"] == "botan:morning"
    assert out[1]["sister"] == "yuri" and out[1]["pattern"] == "yuri:morning"
    assert "/kasho" in out[2]["text"]
    assert out[3]["sister"] == "yuri"


def test_without_credentials_layer2_answers_with_fallback_lines(tmp_path):
    out = chat(tmp_path, ["昨日の夜に見た夢の話、ちょっと長いけど聞いてくれる？"])
    assert out[0]["layer"] == "fallback" and out[0]["model"] is None


def test_sister_option_and_time_of_day(tmp_path):
    out = chat(tmp_path, ["おはよう"], "--sister", "kasho", "--now", "2026-11-28T23:30")
    assert out[0]["sister"] == "kasho" and out[0]["pattern"] == "kasho:morning_late"


def test_state_is_kept_between_runs(tmp_path):
    chat(tmp_path, ["/yuri"])
    assert chat(tmp_path, ["ありがとう"])[0]["sister"] == "yuri"


def test_with_a_local_openai_compatible_server(tmp_path, openai_fake):
    openai_fake.queue(
        "え、それめっちゃ面白そうじゃん！続き聞かせて〜！", prompt_tokens=400, completion_tokens=40
    )
    out = chat(
        tmp_path,
        ["昨日の夜に見た夢の話、ちょっと長いけど聞いてくれる？"],
        env={"OPENAI_BASE_URL": openai_fake.url + "/v1"},
    )
    assert out[0]["layer"] == "layer2"
    assert out[0]["model"] == "gpt-6-luna"
    assert out[0]["text"] == "え、それめっちゃ面白そうじゃん！続き聞かせて〜！"
