"""The env file: one parser for the service and the terminal; the file wins; errors as file:line."""

from __future__ import annotations

import io
import json
import os

import pytest
from conftest import REPO, SECRET, write_env

from botan_line import envfile
from botan_line.errors import SettingsError
from botan_line.ops.cli import main


def test_names_values_comments_and_quotes():
    text = (
        "# a comment\n"
        "; another comment, systemd style\n"
        "\n"
        "LINE_CHANNEL_SECRET=abc123\n"
        "  BOTAN_TIMEZONE = Asia/Tokyo  \n"
        "OPENAI_API_KEY=\n"
        "BOTAN_CONFIG='/etc/botan-line/my config.yaml'\n"
        'BOTAN_ADMIN_USER_IDS="U1,U2"\n'
        'ESCAPED="say \\"hi\\" \\\\ bye"\n'
        "URL=postgresql://botan:p%40ss@127.0.0.1/botan?sslmode=disable#frag\n"
    )
    assert envfile.parse(text, "env") == {
        "LINE_CHANNEL_SECRET": "abc123",
        "BOTAN_TIMEZONE": "Asia/Tokyo",
        "OPENAI_API_KEY": "",
        "BOTAN_CONFIG": "/etc/botan-line/my config.yaml",
        "BOTAN_ADMIN_USER_IDS": "U1,U2",
        "ESCAPED": 'say "hi" \\ bye',
        "URL": "postgresql://botan:p%40ss@127.0.0.1/botan?sslmode=disable#frag",
    }


@pytest.mark.parametrize(
    "line, message",
    [
        ("export BOTAN_TIMEZONE=UTC", "remove 'export'"),
        ("BOTAN_PUSH_FALLBACK=false   # push costs quota", "comments on their own line"),
        ("BOTAN_TIMEZONE", "expected NAME=value"),
        ("BOTAN-TIMEZONE=UTC", "is not a variable name"),
        ("1ABC=x", "is not a variable name"),
        ('BOTAN_CONFIG="/etc/x.yaml', 'closing " is missing'),
        ("BOTAN_CONFIG='/etc/x.yaml' extra", "closing ' is missing"),
        ("BOTAN_CONFIG=/etc/it's.yaml", "must be quoted as a whole"),
        ("BOTAN_CONFIG=C:\\path", "must be quoted as a whole"),
        ('BOTAN_CONFIG="a\\nb"', 'only \\" and \\\\ may be escaped'),
        ('BOTAN_CONFIG="a"b"', 'write " inside a double-quoted value'),
        ("BOTAN_CONFIG='a\\b'", "no ' or \\ inside a single-quoted value"),
        ("BOTAN_CONFIG=/etc/a \\", "must be quoted as a whole"),  # a systemd line continuation
    ],
)
def test_what_systemd_would_read_differently_is_an_error_with_its_line(line, message):
    with pytest.raises(SettingsError) as caught:
        envfile.parse(f"# first\nBOTAN_LOG_LEVEL=INFO\n{line}\n", "/etc/botan-line/env")
    assert str(caught.value).startswith("/etc/botan-line/env:3: ")
    assert message in str(caught.value)


def test_a_repeated_name_is_an_error_naming_both_lines():
    with pytest.raises(SettingsError, match=r"env:4: BOTAN_TIMEZONE is already set on line 2"):
        envfile.parse("\nBOTAN_TIMEZONE=Asia/Tokyo\nPORT=8000\nBOTAN_TIMEZONE=UTC\n", "env")


def test_a_missing_or_unreadable_file_is_one_line(tmp_path):
    with pytest.raises(SettingsError, match=r"--env-file .*/nope: no such file"):
        envfile.read(tmp_path / "nope")
    with pytest.raises(SettingsError, match="cannot read it"):
        envfile.read(tmp_path)  # a directory


def test_the_example_env_file_parses_and_names_no_secret():
    values = envfile.read(REPO / "systemd" / "botan-line.env.example")
    assert values["BOTAN_DATA_DIR"] == "/var/lib/botan-line"
    for name in ("LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN", "OPENAI_API_KEY"):
        assert values[name] == ""


def test_the_file_wins_over_the_environment_and_says_which_names_it_shadowed():
    environ = {"BOTAN_TIMEZONE": "UTC", "BOTAN_LOG_LEVEL": "INFO", "HOME": "/root"}
    shadowed = envfile.apply({"BOTAN_TIMEZONE": "Asia/Tokyo", "BOTAN_LOG_LEVEL": "INFO"}, environ)
    assert environ["BOTAN_TIMEZONE"] == "Asia/Tokyo" and environ["HOME"] == "/root"
    assert shadowed == ["BOTAN_TIMEZONE"]  # the same value shadows nothing


# --- the command line ---------------------------------------------------------------------------
def test_terminal_commands_see_the_services_database_through_the_env_file(
    tmp_path, characters_dir, clean_environ, monkeypatch, capsys
):
    env_file = write_env(tmp_path, characters_dir)
    monkeypatch.setattr("sys.stdin", io.StringIO("おはよう\n"))
    assert main(["--env-file", env_file, "chat", "--json", "--now", "2026-11-28T07:30"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[0])["layer"] == "layer1"
    assert (tmp_path / "data" / "botan.db").is_file()

    assert main(["--env-file", env_file, "stats", "--month", "2026-11", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["overall"]["messages"] == 1 and report["overall"]["layers"]["layer1"]["count"] == 1


def test_without_the_env_file_a_report_refuses_instead_of_creating_an_empty_database(
    clean_environ, capsys, tmp_path
):
    assert main(["stats"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "no database at var/botan.db" in err and "--env-file /etc/botan-line/env" in err
    assert not (tmp_path / "elsewhere" / "var").exists()


def test_a_shadowed_variable_is_named_but_its_value_never_printed(
    tmp_path, characters_dir, clean_environ, capsys
):
    clean_environ["LINE_CHANNEL_SECRET"] = "the-secret-in-my-shell"
    env_file = write_env(tmp_path, characters_dir)
    assert main(["--env-file", env_file, "check"]) == 0
    err = capsys.readouterr().err
    assert "LINE_CHANNEL_SECRET is taken from" in err
    assert "the-secret-in-my-shell" not in err and SECRET not in err
    assert clean_environ["LINE_CHANNEL_SECRET"] == SECRET


def test_a_world_readable_env_file_with_secrets_gets_a_warning(
    tmp_path, characters_dir, clean_environ, capsys
):
    env_file = write_env(tmp_path, characters_dir)
    os.chmod(env_file, 0o644)
    assert main(["--env-file", env_file, "check"]) == 0
    assert f"chmod 640 {env_file}" in capsys.readouterr().err


@pytest.mark.parametrize(
    "content, expected",
    [
        ("BOTAN_TIMEZONE=Asia/Tokyo # JST\n", "env:1: put comments on their own line"),
        ("BOTAN_TIMEZONE=Mars/Olympus\n", "error: BOTAN_TIMEZONE: unknown time zone"),
        ("BOTAN_LOG_LEVEL=LOUD\n", "error: BOTAN_LOG_LEVEL must be one of"),
        ("WEB_CONCURRENCY=two\n", "error: WEB_CONCURRENCY must be a whole number"),
    ],
)
@pytest.mark.parametrize("subcommand", ["stats", "serve", "backup"])
def test_a_bad_env_file_stops_any_subcommand_with_status_2_and_one_line(
    tmp_path, clean_environ, capsys, content, expected, subcommand
):
    path = tmp_path / "env"
    path.write_text(content)
    args = [subcommand, str(tmp_path / "out.db")] if subcommand == "backup" else [subcommand]
    assert main(["--env-file", str(path), *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and expected in err[0]
