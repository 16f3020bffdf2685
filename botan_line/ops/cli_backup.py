"""``botan-line backup`` and ``botan-line restore``: thin commands over ``ops/backup.py``."""

from __future__ import annotations

import fcntl
import sys
from datetime import datetime
from pathlib import Path

from botan_line import __version__
from botan_line.ops import backup
from botan_line.ops.backup import BackupError


def _settings():
    from botan_line.settings import Settings

    return Settings.from_env()


def _known_migrations() -> list[str]:
    from botan_line.storage.migrations import MIGRATIONS

    return [name for name, _ in MIGRATIONS]


def _size(path: Path) -> str:
    size = path.stat().st_size
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} kB"


def service_running(data_dir: Path) -> bool:
    """True while a botan-line process holds the worker lock in ``data_dir`` (the service is up)."""
    lock = Path(data_dir) / "worker.lock"
    if not lock.exists():
        return False
    with open(lock, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


def cmd_backup(args) -> int:
    """Snapshot the live database and the learned patterns into OUT (a file, or a folder for dated files)."""
    settings = _settings()
    db = backup.sqlite_path(settings.database_url)
    if db is None:
        for line in backup.postgres_instructions(settings.database_url, args.out, settings.characters_dir):
            print(line, file=sys.stderr)
        return 2
    if args.keep is not None and not backup.is_folder(args.out):
        raise BackupError("--keep needs OUT to be a folder (the dated files in it are pruned)")
    path = backup.target_for(args.out, datetime.now(settings.tz))
    files = backup.learned_files(settings.characters_dir)
    backup.write_backup(db, path, files, version=__version__)
    info = backup.inspect(path, _known_migrations())  # read it back: a backup nobody checked is a hope
    print(
        f"backup written: {path} ({_size(path)}; {info.rows.get('ledger', 0)} ledger rows, "
        f"{info.rows.get('users', 0)} users, {len(files)} learned file(s))"
    )
    if args.keep is not None:
        for old in backup.prune(path.parent, args.keep):
            print(f"removed old backup {old}")
    return 0


def cmd_restore(args) -> int:
    """Replace the database (and learned files) with a backup, after checking it is a botan-line one."""
    from botan_line.characters.loader import load_characters
    from botan_line.errors import CharacterError
    from botan_line.storage.db import connect
    from botan_line.yamlio import atomic_write

    settings = _settings()
    info = backup.inspect(Path(args.file), _known_migrations())  # first: refuse what is not ours
    db = backup.sqlite_path(settings.database_url)
    if db is None:
        for line in backup.postgres_instructions(
            settings.database_url, "BACKUP.dump", settings.characters_dir
        ):
            print(line, file=sys.stderr)
        print(
            f"({args.file} is a SQLite backup: restore it with BOTAN_DATABASE_URL pointing at SQLite)",
            file=sys.stderr,
        )
        return 2
    chars = Path(settings.characters_dir)
    if info.files and not args.skip_learned_files and not backup.writable_folder(chars):
        raise BackupError(
            f"the backup holds {', '.join(sorted(info.files))} but {chars} is not writable: run as a user who "
            "may write it, or pass --skip-learned-files"
        )
    if service_running(settings.data_dir):
        raise BackupError("the service is running: stop it first (sudo systemctl stop botan-line)")
    now = datetime.now(settings.tz)
    if db.exists():
        if not args.force:
            raise BackupError(f"{db} exists: run again with --force to replace it (it is saved first)")
        saved = db.with_name(f"botan-before-restore-{now:%Y%m%d-%H%M%S}.db")
        backup.write_backup(db, saved, backup.learned_files(chars), version=__version__)
        print(f"the current database was saved as {saved}")
    backup.copy_into(info.path, db)
    connect(settings.database_url).dispose()  # an older backup gets this version's migrations
    made = info.meta.get("created_at")
    when = f" (made {datetime.fromtimestamp(float(made), settings.tz):%Y-%m-%d %H:%M})" if made else ""
    print(
        f"restored {info.path}{when} into {db}: {info.rows.get('ledger', 0)} ledger rows, {info.rows.get('users', 0)} users"
    )
    if info.files and not args.skip_learned_files:
        for name, content in sorted(info.files.items()):
            atomic_write(chars / name, content.decode("utf-8"))
            print(f"restored {chars / name}")
        try:
            load_characters(chars)
        except CharacterError as exc:
            for problem in exc.problems:
                print(problem, file=sys.stderr)
            print(
                "the restored learned files do not fit the current character files: fix the lines above",
                file=sys.stderr,
            )
            return 1
    elif info.files:
        print(f"left out (--skip-learned-files): {', '.join(sorted(info.files))}")
    return 0


def register(sub) -> None:
    p = sub.add_parser(
        "backup",
        help="consistent snapshot of the live SQLite database and the learned patterns (PostgreSQL: says how)",
    )
    p.add_argument("out", help="backup file, or a folder to write botan-YYYYmmdd-HHMMSS.db into")
    p.add_argument(
        "--keep", type=int, metavar="N", help="with a folder: keep only the newest N dated backups"
    )
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser(
        "restore", help="replace the database with a backup (refuses files that are not botan-line's)"
    )
    p.add_argument("file", help="a file written by botan-line backup (or a botan-line SQLite database)")
    p.add_argument("--force", action="store_true", help="replace an existing database (it is saved first)")
    p.add_argument("--skip-learned-files", action="store_true", help="restore the database only")
    p.set_defaults(func=cmd_restore)
