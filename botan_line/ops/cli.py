"""The `botan-line` command: a thin layer over the Python API."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from datetime import datetime
from pathlib import Path

from botan_line.errors import BotanError, CharacterError

log = logging.getLogger("botan_line")


def _setup_logging(verbose: bool = False, terminal: bool = False) -> None:
    """Services log with time, level and logger; terminal commands print warnings as plain lines."""
    level = "DEBUG" if verbose else os.environ.get("BOTAN_LOG_LEVEL", "WARNING" if terminal else "INFO")
    fmt = "%(levelname)s: %(message)s" if terminal else "%(asctime)s %(levelname)s %(name)s: %(message)s"
    logging.basicConfig(level=level, format=fmt, stream=sys.stderr)


def _settings():
    from botan_line.settings import Settings

    return Settings.from_env()


# --- subcommands ---------------------------------------------------------------------------------
def cmd_check(args) -> int:
    from botan_line.characters.loader import learned_from_files, load_characters

    root = Path(args.dir) if args.dir else _settings().characters_dir
    try:  # learned.yaml exports are checked as if imported (botan-line learned import)
        chars = load_characters(root, learned_from_files(root))
    except CharacterError as exc:
        for problem in exc.problems:
            print(problem)
        print(f"{len(exc.problems)} problem(s) found", file=sys.stderr)
        return 1
    for sid, sister in chars.sisters.items():
        print(
            f"{sid}: {len(sister.patterns)} patterns, "
            f"{sum(len(p.replies) for p in sister.patterns.values())} reply variations"
        )
    print("ok")
    return 0


def cmd_chat(args) -> int:
    from botan_line.doors.chat import run_chat

    return run_chat(
        _settings(), sister=args.sister, user_id=args.user, now=args.now, as_json=args.json, name=args.name
    )


def cmd_serve(args) -> int:
    """gunicorn with the project's config (the same as the systemd unit and the Procfile)."""
    from gunicorn.app.wsgiapp import run

    sys.argv = ["gunicorn", "--config", "python:botan_line.doors.gunicorn_conf", "--bind", args.bind]
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
    removed = inbox.prune(connect(settings.database_url), settings.retention_days)
    print(f"removed {removed} rows older than {settings.retention_days} days")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="botan-line", description="Three VTuber sisters on LINE.")
    parser.add_argument("-v", "--verbose", action="store_true")
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
    p.add_argument("--bind", default=os.environ.get("BOTAN_BIND", "127.0.0.1:8000"))
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("work", help="handle inbox events without serving the webhook")
    p.add_argument("--until-idle", action="store_true", help="stop when the inbox has nothing runnable")
    p.set_defaults(func=cmd_work)

    p = sub.add_parser("migrate", help="create or upgrade the database tables")
    p.set_defaults(func=cmd_migrate)
    p = sub.add_parser("prune", help="delete handled events and history past the retention")
    p.set_defaults(func=cmd_prune)

    from botan_line.ops import cli_admin

    cli_admin.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # terminal conversations and reports stay readable: only warnings unless asked
    _setup_logging(args.verbose, terminal=args.command not in ("serve", "work", "migrate", "prune"))
    try:
        return args.func(args)
    except CharacterError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print("character files are invalid: fix the lines above (botan-line check)", file=sys.stderr)
        return 2
    except BotanError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def print_json(obj) -> None:
    print(json.dumps(obj, ensure_ascii=False))
