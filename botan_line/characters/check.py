"""``botan-line check``: validate every character file, as data the terminal and the console both show.

Each problem is one ``file:line: message`` line, exactly as the loader reports it; ``where`` splits
one for a page that shows the place and the message apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from botan_line.errors import CharacterError

_PLACE = re.compile(r"^(?P<file>.+?):(?P<line>\d+): (?P<message>.*)$", re.S)


@dataclass(frozen=True)
class CheckResult:
    problems: list[str] = field(default_factory=list)  # file:line: message
    summary: list[str] = field(default_factory=list)  # one line per sister when the set loads

    @property
    def ok(self) -> bool:
        return not self.problems


def check_characters(root: Path) -> CheckResult:
    """Load the character set at ``root`` the way the service does — learned.yaml exports checked as
    if imported (``botan-line learned import``) — and say its problems, or what it holds."""
    from botan_line.characters.loader import learned_from_files, load_characters

    try:
        chars = load_characters(root, learned_from_files(root))
    except CharacterError as exc:
        return CheckResult(problems=list(exc.problems))
    summary = []
    for sid, sister in chars.sisters.items():
        stickers = f", {len(sister.stickers.stickers)} stickers" if sister.stickers else ""
        summary.append(
            f"{sid}: {len(sister.patterns)} patterns, "
            f"{sum(len(p.replies) for p in sister.patterns.values())} reply variations{stickers}"
        )
    return CheckResult(summary=summary)


def retiring_models(settings, today: date) -> list[str]:
    """The configured models that shut down within ``lifecycle.warn_days`` (or are gone), one line
    each: read from the API when Layer 2 is configured (an unreachable API, as a local server's, is
    not an error), else from the service's last reading in the database, else from the profiles."""
    from botan_line.core.layer2 import lifecycle

    cfg = settings.config
    reading = None
    if settings.llm_enabled:
        from botan_line.adapters.openai_api import LLM

        llm = LLM(settings.openai_api_key, settings.openai_base_url, timeout=5, max_retries=0)
        statuses = llm.model_status([w.model for w in lifecycle.watched(cfg)])
        if statuses is not None:
            reading = lifecycle.reading(0.0, statuses)
    if reading is None:
        reading = _stored_reading(settings)
    return [w.log_line() for w in lifecycle.warnings(cfg, reading, today)]


def _stored_reading(settings) -> dict | None:
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from botan_line.core.layer2 import lifecycle
    from botan_line.doors.preflight import existing_database
    from botan_line.errors import SettingsError
    from botan_line.storage.db import make_engine, state

    try:
        engine = make_engine(existing_database(settings))
        with engine.connect() as conn:
            raw = conn.scalar(select(state.c.value).where(state.c.key == lifecycle.STATE_KEY))
        engine.dispose()
    except (SettingsError, SQLAlchemyError, ImportError):
        return None  # no database yet, or not reachable: the profiles' dates decide
    return lifecycle.parse_reading(raw)


def where(problem: str) -> tuple[str, int | None, str]:
    """``"botan/patterns.yaml:12: unknown field"`` → (file, 12, message); (``""``, None, problem) otherwise."""
    found = _PLACE.match(problem)
    if found is None:
        return "", None, problem
    return found["file"], int(found["line"]), found["message"]
