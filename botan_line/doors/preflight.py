"""Start-up checks, run before the service forks anything, with exit statuses systemd acts on.

- ``0``: settings, character files and database are fine (pending migrations are applied).
- ``2`` (``CONFIG_ERROR``): a configuration problem — a bad or missing setting, an invalid
  character file, an env file that does not parse, a SQLite path the service cannot use. It
  prints one clear line (character files: one ``file:line`` line per problem) and the unit's
  ``RestartPreventExitStatus=2`` keeps it stopped: restarting cannot fix a typo.
- ``1``: anything else, such as a PostgreSQL server that is not up yet; systemd restarts it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from botan_line.errors import BotanError, CharacterError, SettingsError

CONFIG_ERROR = 2
CHARACTERS_INVALID = "character files are invalid: fix the lines above (botan-line check)"


def sqlite_problem(url: str, exc: BaseException) -> str | None:
    """A one-line reason when a SQLite database cannot be opened or created (a configuration error)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    cause = exc.orig if isinstance(exc, OperationalError) else exc
    if isinstance(cause, OSError | sqlite3.OperationalError):
        reason = cause.strerror if isinstance(cause, OSError) and cause.strerror else str(cause)
        return (
            f"cannot open the SQLite database {parsed.database} ({reason}): check BOTAN_DATA_DIR or "
            "BOTAN_DATABASE_URL, and that the service user may write that folder"
        )
    return None


def missing_driver(exc: BaseException) -> str | None:
    """A PostgreSQL URL without the PostgreSQL driver installed: an installation to fix, not to retry."""
    if isinstance(exc, ModuleNotFoundError) and (exc.name or "").split(".")[0] in ("psycopg", "psycopg2"):
        return (
            "BOTAN_DATABASE_URL is PostgreSQL but its driver is not installed: "
            "pip install 'botan-line[postgres]' into the service's venv"
        )
    return None


def check() -> tuple[int, list[str]]:
    """Check what the service needs from the environment; return (exit status, lines for stderr)."""
    from botan_line.characters.loader import load_characters
    from botan_line.settings import Settings
    from botan_line.storage.db import connect

    try:
        settings = Settings.from_env()
        settings.require_line()
        load_characters(settings.characters_dir)
    except CharacterError as exc:
        return CONFIG_ERROR, [*exc.problems, CHARACTERS_INVALID]
    except BotanError as exc:
        return CONFIG_ERROR, [f"error: {exc}"]
    try:
        connect(settings.database_url).dispose()
    except Exception as exc:  # noqa: BLE001 - classified below, never a traceback at start-up
        problem = sqlite_problem(settings.database_url, exc) or missing_driver(exc)
        if problem:
            return CONFIG_ERROR, [f"error: {problem}"]
        return 1, [f"error: start-up check failed: {type(exc).__name__}: {exc}"]
    return 0, []


def existing_database(settings) -> str:
    """The database URL, for commands that read what the service wrote: a SQLite file must exist.

    Without this, ``botan-line stats`` run with the wrong settings (on the server: without
    ``--env-file``) would create an empty database and report zero messages.
    """
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        if not Path(url.database).is_file():
            raise SettingsError(
                f"no database at {url.database}; on the server, run the command with "
                "--env-file /etc/botan-line/env (or set BOTAN_DATA_DIR / BOTAN_DATABASE_URL)"
            )
    return settings.database_url
