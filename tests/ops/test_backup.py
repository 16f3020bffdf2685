"""Backup and restore: an online snapshot (a file copy of a WAL database is not a backup), learned
patterns included, and a restore that refuses anything that is not a botan-line database."""

from __future__ import annotations

import fcntl
import hashlib
import io
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from conftest import write_env
from sqlalchemy import insert, text

from botan_line.ops import backup
from botan_line.ops.cli import main
from botan_line.storage import db as dbmod
from botan_line.storage.db import connect, ledger
from botan_line.storage.migrations import MIGRATIONS, m0001_initial

KNOWN = [name for name, _ in MIGRATIONS]
LEARNED = """patterns:
  - id: learned_7
    category: learned
    triggers:
      - exact: [ラーメンってどこのが好き？]
    replies: [ラーメンは豚骨一択じゃん！替え玉までいっちゃうよ〜！]
"""


def ledger_row(i: int) -> dict:
    return dict(
        created_at=1_764_000_000.0 + i, user_id=f"U{i}", sister="botan", layer="layer1", pattern="greet"
    )


def count(path: Path, table: str = "ledger") -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    except sqlite3.OperationalError:  # no such table: it is still in the write-ahead log
        return 0
    finally:
        conn.close()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def live(tmp_path, characters_dir, clean_environ):
    """A configured installation: env file, data folder with a database holding 3 ledger rows."""
    env_file = write_env(tmp_path, characters_dir)
    database = tmp_path / "data" / "botan.db"
    engine = connect(f"sqlite:///{database}")
    with engine.begin() as conn:
        conn.execute(insert(ledger), [ledger_row(i) for i in range(3)])
    engine.dispose()
    return env_file, database


def cli(env_file: str, *args: str) -> int:
    return main(["--env-file", env_file, *args])


# --- why a copy is not enough -----------------------------------------------------------------
def test_a_file_copy_of_the_live_wal_database_misses_recent_writes_and_the_backup_does_not(tmp_path):
    database = tmp_path / "botan.db"
    engine = connect(f"sqlite:///{database}")  # the service's engine: WAL, checkpoints left to the worker
    try:
        with engine.begin() as conn:
            conn.execute(insert(ledger), [ledger_row(i) for i in range(50)])
        assert (tmp_path / "botan.db-wal").stat().st_size > 0  # the rows are in the write-ahead log
        shutil.copy(database, tmp_path / "copy.db")
        out = backup.write_backup(database, tmp_path / "backup.db", {}, version="test")
        with engine.begin() as conn:  # the service keeps writing during and after the backup
            conn.execute(insert(ledger), [ledger_row(100)])
    finally:
        engine.dispose()
    assert count(tmp_path / "copy.db") < 50  # what `cp botan.db` would have kept
    assert count(out) == 50
    conn = sqlite3.connect(out)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one self-contained file
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    assert not list(tmp_path.glob("*.partial"))


# --- the commands ------------------------------------------------------------------------------
def test_backup_then_restore_brings_back_the_database_and_the_learned_patterns(
    live, characters_dir, capsys, tmp_path
):
    env_file, database = live
    learned = characters_dir / "botan" / "learned.yaml"
    learned.write_text(LEARNED, encoding="utf-8")
    out = tmp_path / "backups" / "nightly.db"
    assert cli(env_file, "backup", str(out)) == 0
    said = capsys.readouterr().out
    assert f"backup written: {out}" in said and "3 ledger rows" in said and "1 learned file(s)" in said

    info = backup.inspect(out, KNOWN)
    assert info.files == {"botan/learned.yaml": LEARNED.encode()}
    assert info.meta["format"] == backup.FORMAT and info.migrations == sorted(KNOWN)

    engine = connect(f"sqlite:///{database}")  # life goes on, then something goes wrong
    with engine.begin() as conn:
        conn.execute(insert(ledger), [ledger_row(i) for i in range(10, 20)])
        conn.execute(text("DELETE FROM ledger WHERE id = 1"))
    engine.dispose()
    learned.unlink()

    assert cli(env_file, "restore", str(out), "--force") == 0
    said = capsys.readouterr().out
    assert "restored" in said and "3 ledger rows" in said
    assert count(database) == 3
    assert learned.read_text(encoding="utf-8") == LEARNED
    tables = {r[0] for r in sqlite3.connect(database).execute("SELECT name FROM sqlite_master")}
    assert backup.FILES_TABLE not in tables and backup.META_TABLE not in tables
    (saved,) = database.parent.glob("botan-before-restore-*.db")  # the database it replaced
    assert count(saved) == 12 and backup.inspect(saved, KNOWN)


def test_a_folder_gets_dated_backups_and_keep_prunes_the_oldest(live, tmp_path, capsys):
    env_file, _ = live
    folder = tmp_path / "backups"
    folder.mkdir()
    old = [folder / f"botan-2026110{d}-043000.db" for d in range(1, 5)]
    for path in old:
        path.write_bytes(b"old")
    (folder / "keep-me.txt").write_text("not a backup")
    assert cli(env_file, "backup", str(folder), "--keep", "3") == 0
    said = capsys.readouterr().out
    (new,) = [p for p in folder.glob("botan-*.db") if p not in old]
    assert backup.inspect(new, KNOWN).rows["ledger"] == 3
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [old[2].name, old[3].name, new.name, "keep-me.txt"]
    )
    assert f"removed old backup {old[0]}" in said


def test_a_new_folder_written_with_a_trailing_slash_is_created(live, tmp_path, capsys):
    env_file, _ = live
    assert cli(env_file, "backup", f"{tmp_path}/nightly/", "--keep", "14") == 0
    (made,) = (tmp_path / "nightly").iterdir()
    assert made.name.startswith("botan-") and backup.inspect(made, KNOWN).rows["ledger"] == 3


def test_keep_with_a_file_is_refused(live, tmp_path, capsys):
    env_file, _ = live
    assert cli(env_file, "backup", str(tmp_path / "one.db"), "--keep", "3") == 2
    assert "--keep needs OUT to be a folder" in capsys.readouterr().err


def test_backup_without_a_database_says_where_it_looked(tmp_path, characters_dir, clean_environ, capsys):
    env_file = write_env(tmp_path, characters_dir)
    assert cli(env_file, "backup", str(tmp_path / "b.db")) == 2
    err = capsys.readouterr().err
    assert f"no database at {tmp_path / 'data' / 'botan.db'}" in err
    assert not (tmp_path / "b.db").exists() and not (tmp_path / "data" / "botan.db").exists()


def make_sqlite(path: Path, *statements: str) -> Path:
    conn = sqlite3.connect(path)
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()
    return path


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: p.write_text("LINE_CHANNEL_SECRET=abc\n") and p, "not a SQLite database"),
        (lambda p: p.write_bytes(b"PGDMP\x01\x0e\x00" + b"\x00" * 100) and p, "restored with pg_restore"),
        (
            lambda p: make_sqlite(p, "CREATE TABLE notes (t TEXT)"),
            "not a botan-line one (no schema_migrations table)",
        ),
        (
            lambda p: make_sqlite(p, "CREATE TABLE schema_migrations (name TEXT, applied_at REAL)"),
            "schema_migrations has no 0001_initial",
        ),
        (
            lambda p: make_sqlite(
                p,
                "CREATE TABLE schema_migrations (name TEXT, applied_at REAL)",
                "INSERT INTO schema_migrations VALUES ('0001_initial', 0), ('0099_from_the_future', 0)",
            ),
            "made by a newer botan-line (migration 0099_from_the_future)",
        ),
        (lambda p: p, "no such file"),
    ],
)
def test_restore_refuses_what_is_not_a_botan_line_database_and_leaves_the_live_one_alone(
    live, tmp_path, capsys, make, message
):
    env_file, database = live
    before = digest(database)
    candidate = make(tmp_path / "suspicious.db")
    assert cli(env_file, "restore", str(candidate), "--force") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
    assert digest(database) == before and not list(database.parent.glob("botan-before-restore-*"))


def test_restore_over_an_existing_database_needs_force(live, tmp_path, capsys):
    env_file, database = live
    out = backup.write_backup(database, tmp_path / "b.db", {}, version="test")
    assert cli(env_file, "restore", str(out)) == 2
    assert "exists: run again with --force" in capsys.readouterr().err


def test_restore_refuses_while_the_service_holds_the_worker_lock(live, tmp_path, capsys):
    env_file, database = live
    out = backup.write_backup(database, tmp_path / "b.db", {}, version="test")
    with open(database.parent / "worker.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # what the elected worker holds
        assert cli(env_file, "restore", str(out), "--force") == 2
    assert "the service is running: stop it first" in capsys.readouterr().err


def test_restore_onto_a_new_machine_needs_no_force_and_migrates_an_older_backup(
    tmp_path, characters_dir, clean_environ, capsys
):
    old = tmp_path / "old.db"
    engine = dbmod.make_engine(f"sqlite:///{old}")
    with engine.begin() as conn:  # a database from before 0002_ledger_reply: the first schema, frozen
        dbmod.migrations_table.create(conn)
        m0001_initial(conn)
        conn.exec_driver_sql("INSERT INTO schema_migrations VALUES ('0001_initial', 0)")
        conn.exec_driver_sql(
            "INSERT INTO ledger (id, created_at, user_id, sister, layer, prompt_tokens, completion_tokens, yen, "
            "strong_yen, latency_ms) VALUES (1, 1764000000, 'U1', 'botan', 'layer1', 0, 0, 0, 0, 0)"
        )
    engine.dispose()
    env_file = write_env(tmp_path, characters_dir)
    assert cli(env_file, "restore", str(old)) == 0  # a plain database file is accepted too
    database = tmp_path / "data" / "botan.db"
    conn = sqlite3.connect(database)
    assert "reply" in {r[1] for r in conn.execute("PRAGMA table_info(ledger)")}
    assert {r[0] for r in conn.execute("SELECT name FROM schema_migrations")} >= set(KNOWN)
    conn.close()


def test_learned_files_that_cannot_be_written_stop_the_restore_before_it_starts(
    live, tmp_path, capsys, monkeypatch
):
    env_file, database = live
    out = backup.write_backup(
        database, tmp_path / "b.db", {"botan/learned.yaml": LEARNED.encode()}, version="t"
    )
    before = digest(database)
    monkeypatch.setattr(backup, "writable_folder", lambda path: False)  # root writes anywhere; pretend not
    assert cli(env_file, "restore", str(out), "--force") == 2
    assert "is not writable" in capsys.readouterr().err and digest(database) == before
    assert cli(env_file, "restore", str(out), "--force", "--skip-learned-files") == 0
    assert "left out (--skip-learned-files): botan/learned.yaml" in capsys.readouterr().out


def test_a_backup_holding_a_path_outside_the_characters_folder_is_refused(live, tmp_path, capsys):
    env_file, database = live
    out = backup.write_backup(database, tmp_path / "b.db", {"../../etc/cron.d/x": b"boom"}, version="t")
    assert cli(env_file, "restore", str(out), "--force") == 2
    assert "unexpected file" in capsys.readouterr().err


def test_postgresql_gets_the_pg_dump_line_without_its_password(
    tmp_path, characters_dir, clean_environ, capsys
):
    (characters_dir / "yuri" / "learned.yaml").write_text(LEARNED, encoding="utf-8")
    env_file = write_env(
        tmp_path, characters_dir, BOTAN_DATABASE_URL="postgresql://botan:s3cret@db.example:5433/botan"
    )
    assert cli(env_file, "backup", "/var/backups/botan.dump") == 2
    err = capsys.readouterr().err
    assert (
        "pg_dump --format=custom --file=/var/backups/botan.dump 'postgresql://botan@db.example:5433/botan'"
        in err
    )
    assert "pg_restore --clean --if-exists" in err and "yuri/learned.yaml" in err
    assert "s3cret" not in err


def test_the_chat_console_and_a_restored_backup_agree(live, capsys, monkeypatch, tmp_path):
    """A conversation after the backup is gone after the restore: the backup is the state it says."""
    env_file, database = live
    out = tmp_path / "b.db"
    assert cli(env_file, "backup", str(out)) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("おはよう\nおやすみ\n"))
    assert cli(env_file, "chat", "--json", "--now", "2026-11-28T07:30") == 0
    assert count(database) == 5
    assert cli(env_file, "restore", str(out), "--force") == 0
    capsys.readouterr()
    assert cli(env_file, "stats", "--month", "2025-11", "--json") == 0
    assert json.loads(capsys.readouterr().out)["overall"]["messages"] == 3
