"""LINE webhook events → Decisions, dispatched through a table (``@on("message")``).

Handlers return a Decision (or the Deferred Layer 2 call of a text message); the worker saves and
sends it. Unknown and uninteresting event types, and events without a source, get nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import parse_qs

from botan_line.characters.loader import DEFAULT_SISTER
from botan_line.core import native
from botan_line.core.conversation import Conversation, Deferred
from botan_line.core.model import Decision, LinkMenu, SetActive, Turn
from botan_line.core.ports import Reads

log = logging.getLogger(__name__)

MEDIA = {"image", "video", "audio", "file", "location"}


@dataclass(frozen=True)
class Source:
    user_id: str  # whose state this is (the chat itself when LINE gives no user)
    chat_id: str  # where a push goes
    kind: str  # one_on_one | group

    @property
    def one_on_one(self) -> bool:
        return self.kind == "one_on_one"


def source_of(event: dict) -> Source | None:
    """Who sent the event, or None when LINE gave no usable source (PNP delivery events …)."""
    src = event.get("source")
    if not isinstance(src, dict):
        return None
    chat_id = src.get("groupId") or src.get("roomId") or src.get("userId") or ""
    if not isinstance(chat_id, str) or not chat_id:
        return None
    kind = "one_on_one" if src.get("type", "user") == "user" else "group"
    user_id = src.get("userId") if isinstance(src.get("userId"), str) and src.get("userId") else chat_id
    return Source(user_id, chat_id, kind)


@dataclass(frozen=True)
class EventContext:
    """What an event handler reads."""

    conversation: Conversation
    reads: Reads
    now: datetime
    time_left: float | None = None  # seconds of reply-token life left
    profile: Callable[[str], str | None] = lambda _uid: None  # LINE display name (best effort)


def _utf16_cut(text: str, start: int, length: int) -> str:
    """``text`` without the span LINE gives in UTF-16 code units (mention index/length)."""
    units = text.encode("utf-16-le")
    a, b = 2 * start, 2 * (start + length)
    if not 0 <= a <= b <= len(units):
        return text
    return (units[:a] + units[b:]).decode("utf-16-le", "replace")


def text_of(event: dict) -> tuple[str, bool] | None:
    """A text message's text with the bot's own @mentions taken out, and whether it mentioned the bot."""
    message = event.get("message") or {}
    if (
        not isinstance(message, dict)
        or message.get("type") != "text"
        or not isinstance(message.get("text"), str)
    ):
        return None
    text = message["text"]
    mention = message.get("mention") if isinstance(message.get("mention"), dict) else {}
    mentions = mention.get("mentionees") if isinstance(mention.get("mentionees"), list) else []
    mine = [m for m in mentions if isinstance(m, dict) and m.get("isSelf")]
    for m in sorted(
        mine, key=lambda m: m.get("index", 0) if isinstance(m.get("index"), int) else 0, reverse=True
    ):
        start, length = m.get("index"), m.get("length")  # "@牡丹bot おはよう" → "おはよう"
        if isinstance(start, int) and isinstance(length, int) and not isinstance(start, bool):
            text = _utf16_cut(text, start, length)
    return (text.strip() or text), bool(mine)


def turn_of(event: dict, ctx: EventContext, text: str = "", mentioned: bool = False) -> Turn:
    source = source_of(event)
    return Turn(
        user_id=source.user_id,
        text=text,
        now=ctx.now,
        chat=source.kind,
        mentioned=mentioned,
        time_left=ctx.time_left,
        quote_token=native.quote_token_of(event),
    )


HANDLERS: dict[str, Callable[[dict, EventContext], Decision | Deferred]] = {}


def on(event_type: str):
    def register(func):
        HANDLERS[event_type] = func
        return func

    return register


@on("message")
def _message(event: dict, ctx: EventContext) -> Decision | Deferred:
    found = text_of(event)
    if found is not None:
        text, mentioned = found
        return ctx.conversation.decide(turn_of(event, ctx, text, mentioned), ctx.reads)
    kind = (event.get("message") or {}).get("type")
    if not source_of(event).one_on_one:
        return Decision()  # stickers and media in groups are not addressed to the sisters
    if kind == "sticker":  # her line, or sometimes a sticker back (core/native.py)
        turn = turn_of(event, ctx)
        return native.sticker_answer(
            ctx.conversation.event_context(turn, ctx.reads), native.sticker_keywords(event)
        )
    if kind in MEDIA:
        return ctx.conversation.fixed_line(turn_of(event, ctx), ctx.reads, "media")
    log.info("message type %r ignored", str(kind)[:20])
    return Decision()


@on("follow")
def _follow(event: dict, ctx: EventContext) -> Decision:
    user_id = source_of(event).user_id
    name = ctx.profile(user_id)
    turn = replace(turn_of(event, ctx), display_name=name)
    decision = ctx.conversation.fixed_line(
        turn, ctx.reads, "welcome", quick_reply=True, sister=DEFAULT_SISTER
    )
    decision.effects.insert(0, SetActive(user_id, True, name))
    # a fan who unfollowed and follows again gets the rich menu of the sister they talk to
    sister = ctx.reads.user(user_id).sister
    if sister in ctx.conversation.characters.current.sisters:
        decision.actions.append(LinkMenu(user_id, sister))
    return decision


@on("unfollow")
def _unfollow(event: dict, ctx: EventContext) -> Decision:
    return Decision(effects=[SetActive(source_of(event).user_id, False)])


@on("join")
def _join(event: dict, ctx: EventContext) -> Decision:
    return ctx.conversation.fixed_line(turn_of(event, ctx), ctx.reads, "join", sister=DEFAULT_SISTER)


@on("postback")
def _postback(event: dict, ctx: EventContext) -> Decision:
    data = parse_qs(str((event.get("postback") or {}).get("data", "")))
    sister = (data.get("sister") or [""])[0]
    if sister in ctx.conversation.characters.current.sisters:
        return ctx.conversation.switch(turn_of(event, ctx), ctx.reads, sister)
    log.info("postback without a known action ignored")
    return Decision()


def decide(event: dict, ctx: EventContext) -> Decision | Deferred:
    """The Decision for one event (nothing for unknown types and events without a source)."""
    if source_of(event) is None:
        return Decision()
    handler = HANDLERS.get(str(event.get("type")))
    if handler is None:
        log.info("event type %r ignored", str(event.get("type"))[:40])
        return Decision()
    return handler(event, ctx)
