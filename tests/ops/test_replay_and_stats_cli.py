"""`botan-line replay` on a small recorded file, and `botan-line stats` on a ledger with known rows."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from botan_line.storage.db import connect, ledger

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "tests" / "data" / "replay_sample.jsonl"


def run(tmp_path, *args, env=None) -> subprocess.CompletedProcess:
    base = {"BOTAN_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    return subprocess.run(
        [sys.executable, "-m", "botan_line", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**base, **(env or {})},
        timeout=120,
    )


def test_replay_reports_layer1_share_before_and_after_learning(tmp_path, characters_dir):
    env = {"BOTAN_CHARACTERS_DIR": str(characters_dir)}
    before = run(tmp_path, "replay", str(SAMPLE), "--no-llm", "--json", env=env)
    assert before.returncode == 0, before.stderr
    report = json.loads(before.stdout)
    overall = report["overall"]
    assert overall["messages"] == 12
    assert overall["layers"]["layer1"]["count"] == 7
    assert overall["layers"]["fallback"]["count"] == 5
    assert report["projection"][0]["layer1_share"] == 7 / 12
    assert report["projection"][0]["monthly_yen"] > report["projection"][-1]["monthly_yen"] > 0
    assert not (tmp_path / "botan.db").exists()  # replay used a scratch database

    (characters_dir / "botan" / "learned.yaml").write_text(
        """patterns:
  - id: learned_oshikatsu
    category: learned
    triggers:
      - exact: [推し活ってどうやったら楽しく続けられる？]
    replies: [無理しないのが一番！好きな時に好きなだけ推せばいいんだよ〜！]
""",
        encoding="utf-8",
    )
    url = f"sqlite:///{tmp_path / 'kept.db'}"
    first = json.loads(
        run(tmp_path, "replay", str(SAMPLE), "--no-llm", "--json", "--db", url, env=env).stdout
    )
    assert (
        first["overall"]["layers"]["layer1"]["count"] == 7
    )  # learned.yaml is an export, not read at run time
    imported = run(tmp_path, "learned", "import", env={**env, "BOTAN_DATABASE_URL": url})
    assert imported.returncode == 0, imported.stderr
    after = json.loads(
        run(tmp_path, "replay", str(SAMPLE), "--no-llm", "--json", "--db", url, env=env).stdout
    )
    assert after["overall"]["messages"] == 12  # this replay only, though the database kept the first
    assert after["overall"]["layers"]["layer1"]["count"] == 10


def test_replay_text_report(tmp_path):
    result = run(tmp_path, "replay", str(SAMPLE), "--no-llm")
    assert result.returncode == 0, result.stderr
    assert "answered  60.0%" in result.stdout and "answered  90.0%" in result.stdout  # the projection


def test_stats_cli_on_known_rows(tmp_path):
    url = f"sqlite:///{tmp_path / 'known.db'}"
    engine = connect(url)
    base = datetime(2026, 11, 22, tzinfo=ZoneInfo("Asia/Tokyo")).timestamp()
    rows = [
        dict(layer="layer1", pattern="botan:morning", yen=0.0),
        dict(layer="layer1", pattern="botan:morning", yen=0.0),
        dict(
            layer="layer2",
            model="gpt-4o-mini",
            tier="cheap",
            prompt_tokens=1000,
            completion_tokens=100,
            yen=0.0315,
            strong_yen=0.525,
            normalized="すきなたべものは",
        ),
        dict(
            layer="layer2",
            model="gpt-4o",
            tier="strong",
            prompt_tokens=1000,
            completion_tokens=100,
            yen=0.525,
            strong_yen=0.525,
            normalized="すきなたべものは",
        ),
    ]
    with engine.begin() as conn:
        for i, r in enumerate(rows):
            conn.execute(
                insert(ledger).values(created_at=base + i * 3600, user_id=f"U{i}", sister="botan", **r)
            )
    result = run(tmp_path, "stats", "--month", "2026-11", "--json", env={"BOTAN_DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    overall = report["overall"]
    assert overall["messages"] == 4
    assert {k: v["count"] for k, v in overall["layers"].items()} == {
        "layer1": 2,
        "layer2": 2,
        "fallback": 0,
        "safety": 0,
    }
    assert {k: v["count"] for k, v in overall["tiers"].items()} == {"cheap": 1, "strong": 1}
    assert overall["yen"] == round(0.0315 + 0.525, 2)
    assert overall["all_strong_yen"] == round(0.525 * 4, 2)
    assert overall["fallthrough"][0]["text"] == "すきなたべものは"
    text = run(tmp_path, "stats", "--month", "2026-11", env={"BOTAN_DATABASE_URL": url})
    assert text.returncode == 0 and "2026-11" in text.stdout
