"""Backup and restore: the database and the learned patterns, in one SQLite file.

The live SQLite database runs in WAL mode: recent writes sit in ``botan.db-wal`` until a
checkpoint, so copying ``botan.db`` alone loses them and copying the files while the service
writes can tear them. ``backup`` uses SQLite's online backup API instead: one consistent
snapshot, taken while the service keeps running, written to ``OUT.partial`` and renamed into
place only once it passed an integrity check, so a backup file is always whole.

The backup is itself a botan-line database (``sqlite3 OUT`` opens it) with two extra tables:
``botan_backup_files`` holds every ``<sister>/learned.yaml`` found in the characters folder
(approved patterns written there by versions that keep them in files; versions that keep
them in the database carry them in its tables anyway), ``botan_backup_meta`` says what made it.

``restore`` refuses anything that is not a botan-line database (no ``schema_migrations`` with
``0001_initial``, or migrations from a newer version), saves the current database first, copies
the backup into the live file with the same API (other connections see the old data or the new,
never a mix), drops the extra tables, applies any newer migrations and puts the learned files back.

PostgreSQL is backed up with ``pg_dump`` (``postgres_instructions`` prints the exact lines).
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from botan_line.errors import BotanError

FILES_TABLE = "botan_backup_files"
META_TABLE = "botan_backup_meta"
FORMAT = "botan-line-backup-1"
SQLITE_MAGIC = b"SQLite format 3\x00"
LEARNED = "learned.yaml"


class BackupError(BotanError):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class BackupInfo:
    """What a checked backup (or plain botan-line database file) holds."""

    path: Path
    migrations: list[str]
    rows: dict[str, int]
    files: dict[str, bytes] = field(repr=False)
    meta: dict[str, str]


def sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL; None for other databases."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    if parsed.database in (None, "", ":memory:"):
        raise BackupError("the database is in memory: there is nothing on disk to back up")
    return Path(parsed.database)


def postgres_instructions(url: str, out: str, characters_dir: Path) -> list[str]:
    """The lines that say how to back up a PostgreSQL database instead (no password in them)."""
    parsed = make_url(url)
    bare = URL.create(
        "postgresql", parsed.username, None, parsed.host, parsed.port, parsed.database, parsed.query
    )
    libpq = bare.render_as_string(hide_password=False)
    lines = [
        "botan-line backup copies SQLite databases; BOTAN_DATABASE_URL is PostgreSQL. Back it up with pg_dump:",
        f"  pg_dump --format=custom --file={out} '{libpq}'",
        "and restore it (service stopped) with:",
        f"  pg_restore --clean --if-exists --no-owner --dbname='{libpq}' {out}",
        "(a password comes from ~/.pgpass or PGPASSWORD, never from the command line)",
    ]
    learned = sorted(p.relative_to(characters_dir).as_posix() for p in characters_dir.glob(f"*/{LEARNED}"))
    if learned:
        lines.append(
            f"and keep the learned patterns too: tar czf learned.tar.gz -C {characters_dir} {' '.join(learned)}"
        )
    return lines


def learned_files(characters_dir: Path) -> dict[str, bytes]:
    """``<sister>/learned.yaml`` → content, for every sister folder that has one."""
    return {
        p.relative_to(characters_dir).as_posix(): p.read_bytes()
        for p in sorted(Path(characters_dir).glob(f"*/{LEARNED}"))
        if p.is_file()
    }


def is_folder(out: str) -> bool:
    """OUT names a folder: an existing one, or any path written with a trailing slash."""
    return out.endswith("/") or Path(out).is_dir()


def target_for(out: str, now: datetime) -> Path:
    """``OUT`` itself, or a dated file inside it when ``OUT`` is a folder (the daily timer's form)."""
    if is_folder(out):
        Path(out).mkdir(parents=True, exist_ok=True)
        return Path(out) / f"botan-{now:%Y%m%d-%H%M%S}.db"
    return Path(out)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_only(path: Path) -> str:
    """A read-only SQLite URI for ``path`` (percent-encoded, so any file name works)."""
    return Path(path).resolve().as_uri() + "?mode=ro"


def _open(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=30)
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


def write_backup(
    db: Path, out: Path, files: dict[str, bytes], *, version: str, clock: Callable[[], float] = time.time
) -> Path:
    """Snapshot ``db`` (online) plus ``files`` into ``out``, atomically. Returns ``out``."""
    if not db.is_file():
        raise BackupError(f"no database at {db} (on the server, run with --env-file /etc/botan-line/env)")
    if out.resolve() == db.resolve():
        raise BackupError("the backup file cannot be the database itself")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        source = _open(db)
        target = sqlite3.connect(partial)
        try:
            source.backup(target)  # one step: a consistent snapshot, writers carry on (WAL)
        finally:
            source.close()
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        with target:
            target.execute(f"CREATE TABLE {FILES_TABLE} (path TEXT PRIMARY KEY, content BLOB NOT NULL)")
            target.execute(f"CREATE TABLE {META_TABLE} (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            target.executemany(f"INSERT INTO {FILES_TABLE} VALUES (?, ?)", sorted(files.items()))
            meta = {
                "format": FORMAT,
                "created_at": str(clock()),
                "botan_line_version": version,
                "source": str(db),
            }
            target.executemany(f"INSERT INTO {META_TABLE} VALUES (?, ?)", sorted(meta.items()))
        problem = target.execute("PRAGMA integrity_check").fetchone()[0]
        target.close()
        if problem != "ok":
            raise BackupError(
                f"the snapshot failed its integrity check ({problem}); the database may be damaged"
            )
        with open(partial, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(partial, out)
        _fsync_dir(out.parent)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return out


def prune(folder: Path, keep: int) -> list[Path]:
    """Keep the newest ``keep`` dated backups (``botan-*.db``) in ``folder``; return those removed."""
    dated = sorted(folder.glob("botan-????????-??????.db"))
    removed = dated[:-keep] if keep > 0 else []
    for old in removed:
        old.unlink()
    return removed


def inspect(path: Path, known: list[str]) -> BackupInfo:
    """Check that ``path`` is a botan-line database this version can restore; say why not otherwise."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"no such file {path}")
    with open(path, "rb") as fh:
        if fh.read(16) != SQLITE_MAGIC:
            raise BackupError(
                f"{path} is not a botan-line backup (not a SQLite database; a pg_dump file is restored with pg_restore)"
            )
    conn = sqlite3.connect(_read_only(path), uri=True)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "schema_migrations" not in tables:
            raise BackupError(
                f"{path} is a SQLite database but not a botan-line one (no schema_migrations table)"
            )
        migrations = [r[0] for r in conn.execute("SELECT name FROM schema_migrations ORDER BY name")]
        if "0001_initial" not in migrations:
            raise BackupError(f"{path} is not a botan-line database (schema_migrations has no 0001_initial)")
        newer = [m for m in migrations if m not in known]
        if newer:
            raise BackupError(
                f"{path} was made by a newer botan-line (migration {newer[0]}): upgrade botan-line before restoring it"
            )
        problem = conn.execute("PRAGMA quick_check").fetchone()[0]
        if problem != "ok":
            raise BackupError(f"{path} is damaged ({problem})")
        counted = sorted(
            t for t in tables if t not in (FILES_TABLE, META_TABLE) and not t.startswith("sqlite_")
        )
        rows = {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in counted}
        files = (
            dict(conn.execute(f"SELECT path, content FROM {FILES_TABLE}")) if FILES_TABLE in tables else {}
        )
        meta = dict(conn.execute(f"SELECT key, value FROM {META_TABLE}")) if META_TABLE in tables else {}
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} cannot be read as a database ({exc})") from None
    finally:
        conn.close()
    for name in files:
        parts = Path(name).parts
        if len(parts) != 2 or parts[1] != LEARNED or parts[0] in ("..", "."):
            raise BackupError(f"{path} holds an unexpected file {name!r}; refusing to restore it")
    return BackupInfo(path, migrations, rows, files, meta)


def copy_into(backup: Path, db: Path) -> None:
    """Replace the content of the live database ``db`` with ``backup``, then drop the backup's own tables."""
    db.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(_read_only(backup), uri=True)
    target = _open(db)
    try:
        source.backup(target)
        with target:
            target.execute(f"DROP TABLE IF EXISTS {FILES_TABLE}")
            target.execute(f"DROP TABLE IF EXISTS {META_TABLE}")
        target.execute("PRAGMA journal_mode=WAL")
    finally:
        source.close()
        target.close()


def writable_folder(path: Path) -> bool:
    probe = Path(path)
    while not probe.exists():
        probe = probe.parent
    return os.access(probe, os.W_OK)
