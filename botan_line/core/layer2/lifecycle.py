"""The watch on the configured models' shutdown dates: which model stops when, and what to say.

OpenAI announces a shutdown date per model (``GET /v1/models/{id}`` → ``shutdown_date``); at the
date the model stops answering. The worker reads the dates at start-up and once a day
(``doors/model_watch.py``) and keeps the reading in the shared state (``STATE_KEY``); everything
here is a pure function of the configuration, that reading and today's date, so ``/stats``, the
console's banner and ``botan-line check`` all say the same thing. Where the API gave no reading (a
local server, no network), the date in the model's profile (``botan_line/models.yaml``) is used.
A warning lasts until it is resolved: the model is no longer configured, or its date was withdrawn.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from botan_line.config import BotConfig

STATE_KEY = "models:lifecycle"


@dataclass(frozen=True)
class Watch:
    """One configured model and what it is used for ("cheap", "strong", "kasho:cheap", "moderation")."""

    model: str
    uses: tuple[str, ...]


@dataclass(frozen=True)
class Warning:
    model: str
    uses: tuple[str, ...]
    shutdown: date | None  # None with ``gone``: the API does not know the model (any more)
    days_left: int | None
    replacement: str | None
    gone: bool = False

    @property
    def where(self) -> str:
        return ", ".join(self.uses)

    def log_line(self) -> str:
        instead = f"; move to {self.replacement}" if self.replacement else ""
        if self.gone:
            return f"model {self.model} ({self.where}) is not available from the API{instead}"
        days = self.days_left or 0
        when = f"{days} days left" if days >= 0 else "already past"
        return f"model {self.model} ({self.where}) shuts down on {self.shutdown} ({when}){instead}"

    def notice(self) -> str:
        """The admins' LINE notice (Japanese)."""
        instead = f"後継は {self.replacement} です。" if self.replacement else ""
        if self.gone:
            return f"⚠️ モデル {self.model}（{self.where}）がAPIから見つかりません。{instead}BOTAN_CONFIG の設定を確認してください。"
        return (
            f"⚠️ モデル {self.model}（{self.where}）は {self.shutdown:%Y-%m-%d} に提供終了です（あと{self.days_left}日）。"
            f"{instead}BOTAN_CONFIG の tiers を変更し、botan-line eval で口調を確かめてください。"
        )

    def short(self) -> str:
        """One line for /stats and the console's banner (Japanese)."""
        if self.gone:
            return f"⚠️ {self.model}（{self.where}）: 提供終了（APIにありません）"
        return (
            f"⚠️ {self.model}（{self.where}）: {self.shutdown:%Y-%m-%d} に提供終了（あと{self.days_left}日）"
        )

    @property
    def key(self) -> str:
        """The once-only key of its notice: once per model and date."""
        return f"model_shutdown:{self.model}:{self.shutdown or 'gone'}"


def transcription_model(cfg: BotConfig) -> str | None:
    """The model voice notes are transcribed with, when they are (``media.voice``)."""
    return cfg.media.transcription_model if cfg.media.voice else None


def watched(cfg: BotConfig, transcription: str | None = None) -> list[Watch]:
    """Every model the configuration uses: each tier (the sisters' overrides too), moderation when
    it is on, and the transcription model when voice notes are answered (``transcription``, else
    the configured one)."""
    transcription = transcription or transcription_model(cfg)
    uses: dict[str, list[str]] = {}
    for who, name, tier in cfg.all_tiers():
        uses.setdefault(tier.model, []).append(name if who == "all" else f"{who}:{name}")
    if cfg.safety.moderation_enabled:
        uses.setdefault(cfg.safety.model, []).append("moderation")
    if transcription:
        uses.setdefault(transcription, []).append("transcription")
    return [Watch(model, tuple(dict.fromkeys(u))) for model, u in uses.items()]


def reading(checked_at: float, statuses) -> dict:
    """What the watch stores (as JSON): when it read, and per model the API's date (``statuses``,
    a list of ``ModelStatus``; None when the API could not be read)."""
    models = None
    if statuses is not None:
        models = {s.model: {"shutdown": s.shutdown, "gone": s.gone} for s in statuses}
    return {"checked_at": checked_at, "models": models}


def parse_reading(raw: str | None) -> dict:
    try:
        data = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _date(raw) -> date | None:
    try:
        return date.fromisoformat(raw) if isinstance(raw, str) and raw else None
    except ValueError:
        return None


def warnings(
    cfg: BotConfig, reading: dict | None, today: date, transcription: str | None = None
) -> list[Warning]:
    """The configured models that shut down within ``lifecycle.warn_days`` (or are past it, or gone)."""
    read = (reading or {}).get("models") or {}
    out = []
    for watch in watched(cfg, transcription):
        profile = cfg.profile(watch.model)
        replacement = profile.replacement if profile else None
        found = read.get(watch.model) if isinstance(read, dict) else None
        if isinstance(found, dict) and found.get("gone"):
            out.append(Warning(watch.model, watch.uses, None, None, replacement, gone=True))
            continue
        # the API's word when it answered for this model, else the date its profile knows
        if isinstance(found, dict):
            shutdown = _date(found.get("shutdown"))
        else:
            shutdown = profile.shutdown if profile is not None else None
        if shutdown is None:
            continue
        days = (shutdown - today).days
        if days <= cfg.lifecycle.warn_days:
            out.append(Warning(watch.model, watch.uses, shutdown, days, replacement))
    return out
