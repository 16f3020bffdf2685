"""The `botan-line` command: a thin layer over the Python API."""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import sys
from datetime import datetime
from pathlib import Path

from botan_line.doors.preflight import existing_database
from botan_line.errors import BotanError, CharacterError

log = logging.getLogger("botan_line")


SERVICE_COMMANDS = ("serve", "work", "migrate", "prune")


def _setup_logging(verbose: bool = False, terminal: bool = False) -> None:
    """Services log with time, level and logger; terminal commands print warnings as plain lines."""
    from botan_line.settings import log_level

    level = (
        "DEBUG"
        if verbose
        else log_level(os.environ.get("BOTAN_LOG_LEVEL", ""), "WARNING" if terminal else "INFO")
    )
    fmt = "%(levelname)s: %(message)s" if terminal else "%(asctime)s %(levelname)s %(name)s: %(message)s"
    logging.basicConfig(level=level, format=fmt, stream=sys.stderr)


def _settings():
    from botan_line.settings import Settings

    return Settings.from_env()


def load_env_file(path: str) -> None:
    """``--env-file``: the file's values go into this process's environment, over what was there."""
    from botan_line import envfile

    values = envfile.read(Path(path))
    for name in envfile.apply(values):
        print(f"note: {name} is taken from {path}; the value in your environment is ignored", file=sys.stderr)
    if envfile.world_readable(Path(path)) and any(
        "SECRET" in n or "TOKEN" in n or "KEY" in n for n in values
    ):
        print(f"warning: {path} holds secrets and every user can read it: chmod 640 {path}", file=sys.stderr)


# --- subcommands ---------------------------------------------------------------------------------
def cmd_check(args) -> int:
    """The character files, then the configured models: one line per problem, exit status 1."""
    from datetime import datetime

    from botan_line.characters.check import check_characters
    from botan_line.ops.cli_models import retiring_models

    settings = _settings()
    root = Path(args.dir) if args.dir else settings.characters_dir
    result = check_characters(root)
    retiring = retiring_models(settings, datetime.now(settings.tz).date())
    problems = [*result.problems, *retiring]
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) found", file=sys.stderr)
        return 1
    for line in result.summary:
        print(line)
    print("ok")
    return 0


def cmd_chat(args) -> int:
    from botan_line.doors.chat import run_chat

    return run_chat(
        _settings(), sister=args.sister, user_id=args.user, now=args.now, as_json=args.json, name=args.name
    )


def cmd_serve(args) -> int:
    """gunicorn with the project's config (the same as the systemd unit and the Procfile).

    A configuration error exits with status 2 and one line (see ``ops/preflight.py``).
    """
    settings = _settings()  # before gunicorn is imported: it reads WEB_CONCURRENCY at import
    from gunicorn.app.wsgiapp import run

    if isinstance(sys.stdout, io.TextIOWrapper):  # access-log lines reach journald as they happen
        sys.stdout.reconfigure(line_buffering=True)
    sys.argv = ["gunicorn", "--config", "python:botan_line.doors.gunicorn_conf"]
    sys.argv += ["--bind", args.bind or settings.bind, "--access-logfile", "-"]
    run()
    return 0


def cmd_work(args) -> int:
    """Run inbox workers without the webhook (a separate worker process, or draining after an outage)."""
    import time

    from botan_line.doors.worker import Worker
    from botan_line.wiring import build

    services = build(_settings(), with_line=True)
    worker = Worker(services)
    if args.until_idle:
        worker.drain(merges=True)
        worker.stop()
        return 0
    worker.start()
    try:
        while True:
            time.sleep(3600)
    finally:
        worker.stop()


def cmd_migrate(args) -> int:
    from botan_line.storage.db import connect

    settings = _settings()
    connect(settings.database_url)
    print("database is up to date")
    return 0


def cmd_prune(args) -> int:
    from botan_line.storage import inbox
    from botan_line.storage.db import connect

    settings = _settings()
    removed = inbox.prune(connect(existing_database(settings)), settings.retention_days)
    print(f"removed {removed} rows older than {settings.retention_days} days")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="botan-line", description="Three VTuber sisters on LINE.")
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument(
        "--env-file",
        metavar="PATH",
        help="read settings from this file first, as the service does (its values win over the environment)",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("chat", help="talk to the sisters in the terminal (the same pipeline LINE uses)")
    p.add_argument("--sister", choices=None, help="start with this sister (botan, kasho, yuri)")
    p.add_argument("--user", default="Uconsole", help="user ID to chat as (default Uconsole)")
    p.add_argument("--name", help="your display name ({name} in replies)")
    p.add_argument(
        "--now", type=datetime.fromisoformat, help="fix the clock, ISO-8601 (e.g. 2026-11-28T07:30)"
    )
    p.add_argument("--json", action="store_true", help="one JSON object per reply")
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("check", help="validate every character YAML file")
    p.add_argument("dir", nargs="?", help="characters folder (default BOTAN_CHARACTERS_DIR)")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("serve", help="serve the webhook with gunicorn (workers from WEB_CONCURRENCY)")
    p.add_argument("--bind", help="HOST:PORT (default BOTAN_BIND, else 127.0.0.1:$PORT, else 127.0.0.1:8000)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("work", help="handle inbox events without serving the webhook")
    p.add_argument("--until-idle", action="store_true", help="stop when the inbox has nothing runnable")
    p.set_defaults(func=cmd_work)

    p = sub.add_parser("migrate", help="create or upgrade the database tables")
    p.set_defaults(func=cmd_migrate)
    p = sub.add_parser("prune", help="delete handled events and history past the retention")
    p.set_defaults(func=cmd_prune)

    from botan_line.ops import cli_admin, cli_backup, cli_console, cli_models

    cli_admin.register(sub)
    cli_models.register(sub)
    cli_backup.register(sub)
    cli_console.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """The command line. Exit status 2 is a configuration error, printed as one line."""
    from botan_line.doors.preflight import CHARACTERS_INVALID, CONFIG_ERROR, missing_driver

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.env_file:
            load_env_file(args.env_file)
        # terminal conversations and reports stay readable: only warnings unless asked;
        # `serve` leaves logging to the gunicorn config (journald adds the time itself)
        if args.command != "serve":
            _setup_logging(args.verbose, terminal=args.command not in SERVICE_COMMANDS)
        return args.func(args)
    except CharacterError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(CHARACTERS_INVALID, file=sys.stderr)
        return CONFIG_ERROR
    except BotanError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return CONFIG_ERROR
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # an unusable SQLite path or a missing driver: settings to fix, not tracebacks
        cause = missing_driver(exc) or _sqlite_problem(exc)
        if cause is None:
            if _unreachable(exc):  # a passing fault, not a configuration error: status 1
                print(f"error: the database is unreachable: {_unreachable(exc)}", file=sys.stderr)
                return 1
            raise
        print(f"error: {cause}", file=sys.stderr)
        return CONFIG_ERROR


def _unreachable(exc: Exception) -> str | None:
    """The driver's first line when the database could not be reached (never the URL or a password)."""
    from sqlalchemy.exc import OperationalError

    if isinstance(exc, OperationalError):
        return (str(exc.orig).strip().splitlines() or [type(exc.orig).__name__])[0]
    return None


def _sqlite_problem(exc: Exception) -> str | None:
    from botan_line.doors.preflight import sqlite_problem

    try:
        return sqlite_problem(_settings().database_url, exc)
    except BotanError:
        return None


def print_json(obj) -> None:
    print(json.dumps(obj, ensure_ascii=False))
