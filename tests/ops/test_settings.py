"""Settings from the environment: defaults, one clear line for a bad value, no secrets in repr."""

from __future__ import annotations

import base64
import hashlib
import hmac
import subprocess
import sys
from pathlib import Path

import pytest

from botan_line.errors import SettingsError
from botan_line.settings import Settings

REPO = Path(__file__).resolve().parents[2]


def test_defaults_need_no_credentials():
    s = Settings.from_env({})
    assert s.database_url == "sqlite:///var/botan.db"
    assert s.timezone == "Asia/Tokyo" and not s.llm_enabled and not s.push_fallback


@pytest.mark.parametrize(
    "env, name",
    [
        ({"BOTAN_TIMEZONE": "Mars/Olympus"}, "BOTAN_TIMEZONE"),
        ({"BOTAN_PUSH_FALLBACK": "maybe"}, "BOTAN_PUSH_FALLBACK"),
        ({"BOTAN_ADMIN_USER_IDS": "alice,bob"}, "BOTAN_ADMIN_USER_IDS"),
        ({"LINE_API_BASE_URL": "api.line.me"}, "LINE_API_BASE_URL"),
        ({"BOTAN_DATABASE_URL": "var/botan.db"}, "BOTAN_DATABASE_URL"),
        ({"BOTAN_CONFIG": "/nonexistent.yaml"}, "BOTAN_CONFIG"),
        ({"BOTAN_LAYER2_SLOTS": "two"}, "BOTAN_LAYER2_SLOTS"),
        ({"BOTAN_WORKER": "maybe"}, "BOTAN_WORKER"),
        ({"BOTAN_MERGE_SECONDS": "nan"}, "BOTAN_MERGE_SECONDS"),
        ({"BOTAN_LEASE_SECONDS": "40"}, "BOTAN_LEASE_SECONDS"),
        ({"BOTAN_MERGE_SECONDS": "30"}, "BOTAN_MERGE_SECONDS"),
    ],
)
def test_a_malformed_setting_names_itself(env, name):
    with pytest.raises(SettingsError, match=name):
        Settings.from_env(env)


def test_config_file_errors_carry_file_and_line(tmp_path):
    cfg = tmp_path / "config.yaml"
    cfg.write_text("budget:\n  monthly_yen: 1000\n  montly_cap: 3\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=r"config.yaml:3: budget.montly_cap: unknown field"):
        Settings.from_env({"BOTAN_CONFIG": str(cfg)})


def test_the_webhook_refuses_to_start_without_line_credentials(tmp_path):
    run = subprocess.run(
        [sys.executable, "-c", "from botan_line.doors.webhook import create_app; create_app()"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={"BOTAN_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert run.returncode != 0
    assert "LINE_CHANNEL_SECRET is not set" in run.stderr


def test_serve_prints_one_line_for_a_missing_setting(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "botan_line", "serve"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={"BOTAN_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        timeout=30,
    )
    assert run.returncode == 2
    assert run.stderr.strip().splitlines()[-1].startswith("error: LINE_CHANNEL_SECRET is not set")


def test_secrets_stay_out_of_repr():
    s = Settings(line_channel_secret="s3cret", line_channel_access_token="t0ken", openai_api_key="sk-abc")
    assert "s3cret" not in repr(s) and "t0ken" not in repr(s) and "sk-abc" not in repr(s)


def test_signature_check_agrees_with_the_sdk():
    from linebot.v3 import SignatureValidator

    from botan_line.doors.webhook import valid_signature

    sdk = SignatureValidator("s")
    for body in ("{}", '{"events":[{"text":"おはよう"}]}', "x" * 5000):
        raw = body.encode()
        good = base64.b64encode(hmac.new(b"s", raw, hashlib.sha256).digest()).decode()
        for signature in (good, good[:-4] + "AAA=", ""):
            assert valid_signature("s", raw, signature) == sdk.validate(body, signature)


def test_the_readmes_botan_config_example_is_a_valid_config(tmp_path):
    from botan_line.config import load_config

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    after = readme.split("`BOTAN_CONFIG` (every field optional", 1)[1]
    example = after.split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "config.yaml"
    path.write_text(example, encoding="utf-8")
    cfg = load_config(path)
    assert cfg.prices["gpt-4o"].cached == 1.25 and cfg.budget.max_strong_share == 0.30
    assert cfg.llm.style_prefix_tokens == 1152 and cfg.nickname.refused_words == ("まおう",)
