"""Start-up checks: configuration errors are exit status 2 with one line; passing faults are 1."""

from __future__ import annotations

import os

import pytest
from conftest import SECRET, TOKEN

from botan_line.doors import preflight


@pytest.fixture
def service_env(clean_environ, tmp_path, characters_dir):
    clean_environ.update(
        LINE_CHANNEL_SECRET=SECRET,
        LINE_CHANNEL_ACCESS_TOKEN=TOKEN,
        BOTAN_DATA_DIR=str(tmp_path / "data"),
        BOTAN_CHARACTERS_DIR=str(characters_dir),
    )
    return clean_environ


def test_a_good_configuration_passes_and_migrates(service_env, tmp_path):
    assert preflight.check() == (0, [])
    assert (tmp_path / "data" / "botan.db").is_file()


def test_a_missing_secret_is_a_configuration_error(service_env):
    del service_env["LINE_CHANNEL_SECRET"]
    code, lines = preflight.check()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: LINE_CHANNEL_SECRET is not set")


def test_broken_character_files_list_every_problem_as_file_line(service_env, characters_dir):
    (characters_dir / "yuri" / "stickers.yaml").write_text("stickers: [{id: broken}]\n", encoding="utf-8")
    code, lines = preflight.check()
    assert code == 2 and lines[-1] == preflight.CHARACTERS_INVALID
    assert all(":1: " in line for line in lines[:-1]) and "yuri/stickers.yaml:1:" in lines[0]


def test_a_sqlite_path_that_cannot_be_used_is_a_configuration_error(service_env):
    service_env["BOTAN_DATA_DIR"] = "/etc/passwd/data"  # a folder inside a file: never usable
    code, lines = preflight.check()
    assert code == 2 and len(lines) == 1
    assert lines[0].startswith("error: cannot open the SQLite database /etc/passwd/data/botan.db")
    assert "BOTAN_DATA_DIR" in lines[0]


def test_an_unreachable_postgresql_is_a_passing_fault(service_env):
    service_env["BOTAN_DATABASE_URL"] = "postgresql://botan@127.0.0.1:1/botan"
    code, lines = preflight.check()
    assert code == 1 and lines[0].startswith("error: start-up check failed: OperationalError")


def test_a_missing_postgresql_driver_says_what_to_install():
    line = preflight.missing_driver(ModuleNotFoundError("No module named 'psycopg'", name="psycopg"))
    assert "pip install 'botan-line[postgres]'" in line
    assert preflight.missing_driver(ModuleNotFoundError("x", name="yaml")) is None
    assert preflight.missing_driver(ValueError("psycopg")) is None


def test_nothing_here_leaks_into_the_real_environment(service_env):
    assert os.environ is service_env  # the fixture's private copy


def test_a_terminal_command_against_an_unreachable_database_says_so_in_one_line(clean_environ, capsys):
    from botan_line.ops.cli import main

    clean_environ["BOTAN_DATABASE_URL"] = "postgresql://botan:s3cretpw@127.0.0.1:1/botan"
    assert main(["migrate"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: the database is unreachable: ")
    assert "s3cretpw" not in err[0]
