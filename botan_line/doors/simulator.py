"""The console's LINE simulator: a fan's text, tap or sticker through the real core, shown as LINE would.

A text goes through ``Conversation.on_text`` and ``Store.apply`` exactly as ``doors/chat.py`` does; a
quick-reply tap and a sticker go through the webhook's own event table (``core/events.py``) as the
postback or sticker event LINE would deliver. What LINE would receive is built by the LINE adapter's
``line_messages`` (sender, icon, quick reply, stickers, Flex), so the page shows the real payload. The
ledger entry says which layer and pattern answered, on which model and tier, for how many yen.

Nothing is sent to LINE: a decision's LINE-side actions (a rich-menu link) and admin notices are
listed on the exchange instead. The transcript lives in this process only (the database keeps the
conversation history the sisters read, as for any fan).
"""

from __future__ import annotations

import itertools
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

from botan_line.adapters.line_api import line_messages
from botan_line.characters.where import pattern_source
from botan_line.core import events
from botan_line.core.conversation import Deferred
from botan_line.core.inbound import parse
from botan_line.core.model import Decision, LinkMenu, Turn

KEEP = 200  # exchanges kept in memory per run


@dataclass(frozen=True)
class _FanProfile:
    """The display name the operator typed for the simulated fan, as LINE's profile would give it."""

    fan: Fan

    def display_name(self, user_id: str) -> str | None:
        return self.fan.display_name


@dataclass(frozen=True)
class Fan:
    """Who the operator talks as: a user ID (a new one is a new fan) and an optional LINE display name."""

    user_id: str
    display_name: str | None = None


@dataclass
class Exchange:
    """One thing a fan did and everything the bot answered, with where the answer came from."""

    id: int
    fan: Fan
    at: datetime
    kind: str  # text | tap | sticker | follow
    said: str  # what the fan's bubble shows
    messages: list[dict]  # LINE message objects as the Messaging API would receive them
    layer: str | None = None
    pattern: str | None = None
    source: str | None = None  # the pattern's file:line, relative to the characters folder
    model: str | None = None
    tier: str | None = None
    yen: float = 0.0
    guard: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    latency_ms: float = 0.0
    notices: list[str] = field(default_factory=list)  # what admins would have been pushed
    actions: list[str] = field(default_factory=list)  # what the worker would have done on LINE's side
    stickers: dict[str, str] = field(default_factory=dict)  # "package/sticker" -> what it shows

    @property
    def quick_reply(self) -> list[dict]:
        """The buttons under the last message (LINE shows them until the fan sends something)."""
        last = self.messages[-1] if self.messages else {}
        return [item["action"] for item in (last.get("quickReply") or {}).get("items", [])]


class Simulator:
    """Talk as any fan to any sister; every turn is decided by the real core and stored."""

    def __init__(self, services, keep: int = KEEP):
        self.s = services
        self._ids = itertools.count(1)
        self._lock = threading.Lock()  # one turn at a time: the page is one operator's
        self._log: deque[Exchange] = deque(maxlen=keep)

    # --- what the fan does ---------------------------------------------------------------------
    def say(self, fan: Fan, text: str, now: datetime) -> Exchange:
        """A text message, through ``on_text`` and ``store.apply`` as in the terminal chat."""
        with self._lock:
            turn = Turn(user_id=fan.user_id, text=text, now=now, display_name=fan.display_name)
            decision = self.s.conversation.on_text(turn, self.s.store)
            return self._record(fan, now, "text", text, decision)

    def follow(self, fan: Fan, now: datetime) -> Exchange:
        """Adding the bot as a friend: the follow event (LINE's profile gives the display name)."""
        event = self._event(fan, now, "follow", follow={"isUnblocked": False})
        with self._lock:
            return self._record(fan, now, "follow", "[友だち追加]", self._event_decision(event, now, fan))

    def tap(self, fan: Fan, data: str, display_text: str, now: datetime) -> Exchange:
        """A quick-reply or rich-menu button: the postback event LINE would deliver."""
        event = self._event(fan, now, "postback", postback={"data": data})
        with self._lock:
            return self._record(fan, now, "tap", display_text or data, self._event_decision(event, now))

    def sticker(
        self, fan: Fan, package_id: str, sticker_id: str, keywords: list[str], now: datetime
    ) -> Exchange:
        """A sticker message with LINE's keywords for it (her sticker line, or sometimes a sticker back)."""
        message = {"id": uuid.uuid4().hex[:16], "type": "sticker", "packageId": package_id,
                   "stickerId": sticker_id, "stickerResourceType": "STATIC", "keywords": keywords[:15],
                   "quoteToken": uuid.uuid4().hex}  # fmt: skip
        event = self._event(fan, now, "message", message=message)
        with self._lock:
            said = f"[sticker {package_id}/{sticker_id}]"
            return self._record(fan, now, "sticker", said, self._event_decision(event, now))

    # --- what the page reads ---------------------------------------------------------------------
    def transcript(self, user_id: str) -> list[Exchange]:
        with self._lock:
            return [x for x in self._log if x.fan.user_id == user_id]

    def exchange(self, exchange_id: int | None) -> Exchange | None:
        """One exchange of this run by its number (the review page shows a command's answer)."""
        with self._lock:
            return next((x for x in self._log if x.id == exchange_id), None)

    def fans(self) -> list[str]:
        """User IDs talked as in this run, most recent first."""
        with self._lock:
            return list(dict.fromkeys(x.fan.user_id for x in reversed(self._log)))

    # --- inside ----------------------------------------------------------------------------------
    @staticmethod
    def _event(fan: Fan, now: datetime, kind: str, **body) -> dict:
        return {
            "type": kind,
            "mode": "active",
            "timestamp": int(now.timestamp() * 1000),
            "source": {"type": "user", "userId": fan.user_id},
            "webhookEventId": uuid.uuid4().hex,
            "deliveryContext": {"isRedelivery": False},
            "replyToken": uuid.uuid4().hex,
            **body,
        }

    def _event_decision(self, event: dict, now: datetime, fan: Fan | None = None) -> Decision:
        profiles = _FanProfile(fan) if fan is not None else events.NoProfiles()
        ctx = events.EventContext(self.s.conversation, self.s.store, now, profiles=profiles)
        result = events.decide(
            parse(event), ctx
        )  # the event as LINE would send it, parsed as the worker does
        return self.s.conversation.complete(result) if isinstance(result, Deferred) else result

    def _record(self, fan: Fan, now: datetime, kind: str, said: str, decision: Decision) -> Exchange:
        notices = self.s.store.apply(decision, now)
        chars = self.s.characters.current
        entry = decision.ledger
        exchange = Exchange(
            id=next(self._ids),
            fan=fan,
            at=now,
            kind=kind,
            said=said,
            messages=[m.to_dict() for m in line_messages(decision.messages, chars)]
            if decision.messages
            else [],
            notices=[f"→ {n.to}: {n.text}" for n in notices],
            actions=[_action(a) for a in decision.actions],
            stickers=_stickers_shown(decision, chars),
        )
        if entry is not None:
            exchange.layer, exchange.pattern = entry.layer, entry.pattern
            exchange.source = pattern_source(chars, entry.pattern, self.s.characters.root)
            exchange.model, exchange.tier, exchange.guard = entry.model, entry.tier, entry.guard
            exchange.yen, exchange.latency_ms = entry.yen, entry.latency_ms
            exchange.prompt_tokens, exchange.completion_tokens = entry.prompt_tokens, entry.completion_tokens
            exchange.cached_tokens = entry.cached_tokens
        self._log.append(exchange)
        return exchange


def _stickers_shown(decision: Decision, chars) -> dict[str, str]:
    """What each sticker in the answer shows, from the sister's stickers.yaml (no image is fetched)."""
    shown = {}
    for message in decision.messages:
        kit = chars.sisters[message.sister].stickers if message.sister in chars.sisters else None
        if message.sticker is None or kit is None:
            continue
        for choice in kit.stickers:
            if (str(choice.package_id), str(choice.sticker_id)) == tuple(message.sticker):
                shown[f"{choice.package_id}/{choice.sticker_id}"] = choice.shows
    return shown


def _action(action) -> str:
    if isinstance(action, LinkMenu):
        return f"rich menu of {action.sister} linked to {action.user_id}"
    return type(action).__name__
