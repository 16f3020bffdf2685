"""Wiring: build every adapter from the settings once, and the core on top of them.

Nothing is created at import time. ``build`` is what the worker process, the chat console and the
operator commands call; the lean web processes only need the engine (``doors/webhook.py``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from botan_line.adapters.images import release_large_blocks, shrink
from botan_line.adapters.openai_api import LLM
from botan_line.characters.loader import CharacterStore
from botan_line.core.commands import commands
from botan_line.core.conversation import Conversation
from botan_line.core.layer2 import Layer2
from botan_line.core.layers import default_layers
from botan_line.core.media import MediaLayer
from botan_line.core.nickname import NicknameLayer
from botan_line.settings import Settings
from botan_line.storage.admin import AdminTools
from botan_line.storage.db import connect
from botan_line.storage.learned import LearnedSource
from botan_line.storage.store import Store

if TYPE_CHECKING:  # the LINE SDK loads only where it is used (the elected worker, operator commands)
    from botan_line.adapters.line_api import LineEdge

log = logging.getLogger(__name__)
CHECK_SECONDS = 2.0  # how often a process looks for changed character files and learned patterns


@dataclass
class Services:
    settings: Settings
    engine: Engine
    store: Store
    characters: CharacterStore
    layer2: Layer2
    conversation: Conversation
    edge: LineEdge | None  # when built with_line
    admin: AdminTools | None = None  # what the admin commands are bound to (the console reads through it)


def build(
    settings: Settings, *, with_line: bool = False, sleep=None, llm=None, check_clock=None, content=None
) -> Services:
    """Raises SettingsError / CharacterError with a message fit for one line of start-up output.

    ``sleep`` replaces time.sleep for retry backoffs (tests pass a no-op); ``llm`` replaces the
    OpenAI adapter (in-process core tests pass a model fed from a queue); ``check_clock`` the
    monotonic clock that paces the character store's checks for changed files and learned patterns
    (every ``CHECK_SECONDS``); ``content`` where fans' photos and voice notes are fetched from (the
    LINE edge when built ``with_line``; in-process core tests pass a dictionary of bytes).
    """
    if with_line:
        settings.require_line()
    engine = connect(settings.database_url)  # first: the learned patterns live in the database
    characters = CharacterStore(settings.characters_dir, check_every=CHECK_SECONDS, learned=LearnedSource(engine),
                                **({"clock": check_clock} if check_clock else {}))  # fmt: skip
    store = Store(engine)
    cfg = settings.config
    if llm is None and settings.llm_enabled:
        llm = LLM(settings.openai_api_key, settings.openai_base_url, timeout=cfg.llm.timeout_seconds,
                  max_retries=cfg.llm.max_retries, **({"sleep": sleep} if sleep else {}))  # fmt: skip
    elif llm is None:
        log.warning("Layer 2 is off: set OPENAI_API_KEY (or OPENAI_BASE_URL for a local server) to enable it")
    layer2 = Layer2(llm, cfg)
    admin = AdminTools(engine, characters, cfg, layer2.enabled)
    nickname = NicknameLayer(cfg.nickname.max_chars, cfg.nickname.refused_words)
    edge = line_edge(settings, lambda: characters.current, sleep) if with_line else None
    if edge is not None:  # the process that fetches fans' photos: freed buffers go back at once
        release_large_blocks()
    media = MediaLayer(layer2, content if content is not None else edge, shrink, cfg)
    conversation = Conversation(
        characters,
        default_layers(commands.bind(admin), layer2, nickname),
        admins=settings.admin_user_ids,
        media=media,
    )
    return Services(settings, engine, store, characters, layer2, conversation, edge, admin)


def line_edge(settings: Settings, personas, sleep=None):
    """The LINE adapter (imports the LINE SDK: only the elected worker and operator commands call this)."""
    from botan_line.adapters.line_api import LineEdge

    return LineEdge(settings.line_api_base_url, settings.line_channel_access_token,
                    timeout=settings.line_timeout_seconds, personas=personas, data_url=settings.line_api_data_url,
                    **({"sleep": sleep} if sleep else {}))  # fmt: skip
