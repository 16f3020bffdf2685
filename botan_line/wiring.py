"""Wiring: build every adapter from the settings once. Nothing is created at import time."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import Engine

from botan_line.adapters.line_api import LineEdge
from botan_line.adapters.openai_api import LLM
from botan_line.characters.loader import CharacterStore
from botan_line.core.commands import commands
from botan_line.core.conversation import Pipeline
from botan_line.core.layer2 import Layer2
from botan_line.ops.learning import LearnedSource
from botan_line.settings import Settings
from botan_line.storage.db import connect
from botan_line.storage.store import Store

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    engine: Engine
    store: Store
    characters: CharacterStore
    layer2: Layer2
    pipeline: Pipeline
    edge: LineEdge | None


def build(settings: Settings, *, with_line: bool = False, sleep=None, check_clock=None) -> Services:
    """Raises SettingsError / CharacterError with a message fit for one line of start-up output.

    ``sleep`` replaces time.sleep for retry backoffs (tests pass a no-op); ``check_clock`` the
    monotonic clock that paces the character store's checks for changed files and learned patterns.
    """
    if with_line:
        settings.require_line()
    engine = connect(settings.database_url)
    characters = CharacterStore(
        settings.characters_dir,
        learned=LearnedSource(engine),
        **({"clock": check_clock} if check_clock else {}),
    )
    store = Store(engine)
    cfg = settings.config
    llm = None
    if settings.llm_enabled:
        llm = LLM(
            settings.openai_api_key,
            settings.openai_base_url,
            timeout=cfg.llm.timeout_seconds,
            max_retries=cfg.llm.max_retries,
            **({"sleep": sleep} if sleep else {}),
        )
    else:
        log.warning("Layer 2 is off: set OPENAI_API_KEY (or OPENAI_BASE_URL for a local server) to enable it")
    layer2 = Layer2(llm, cfg, store)
    pipeline = Pipeline(
        characters, store, layer2, admins=settings.admin_user_ids, commands=commands, tz=settings.tz
    )
    edge = None
    if with_line:
        edge = LineEdge(
            settings.line_api_base_url,
            settings.line_channel_access_token,
            timeout=settings.line_timeout_seconds,
            personas=lambda: characters.current,
            **({"sleep": sleep} if sleep else {}),
        )
    return Services(settings, engine, store, characters, layer2, pipeline, edge)
