"""LINE webhook events → Decisions, dispatched through a table. Handlers return messages; the worker
sends them. Unknown and uninteresting event types are logged and answered with nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qs

from botan_line.characters.loader import DEFAULT_SISTER
from botan_line.core.model import Decision, Turn

log = logging.getLogger(__name__)

MEDIA = {"image", "video", "audio", "file", "location"}


@dataclass
class EventContext:
    pipeline: object
    store: object
    now: datetime
    on_slow: Callable[[], None]
    display_name: Callable[[str], str | None]  # LINE profile lookup (best effort)
    time_left: float | None = None  # seconds of reply-token life left


def source_of(event: dict) -> tuple[str, str, str]:
    """(user id for state, chat id to push to, chat kind one_on_one|group)."""
    src = event.get("source")
    if not isinstance(src, dict):
        raise ValueError("event has no usable source")
    chat_id = src.get("groupId") or src.get("roomId") or src.get("userId") or ""
    kind = "one_on_one" if src.get("type", "user") == "user" else "group"
    return src.get("userId") or chat_id, chat_id, kind


def _turn(event: dict, ctx: EventContext, text: str = "") -> Turn:
    user_id, _chat, kind = source_of(event)
    mentions = ((event.get("message") or {}).get("mention") or {}).get("mentionees") or []
    mine = [m for m in mentions if isinstance(m, dict) and m.get("isSelf")]
    for m in sorted(mine, key=lambda m: m.get("index", 0), reverse=True):  # "@牡丹bot おはよう" → "おはよう"
        start, length = m.get("index"), m.get("length")
        if isinstance(start, int) and isinstance(length, int):
            text = text[:start] + text[start + length :]
    return Turn(
        user_id=user_id,
        text=text.strip() or text,
        now=ctx.now,
        chat=kind,
        mentioned=bool(mine),
        time_left=ctx.time_left,
    )


HANDLERS: dict[str, Callable[[dict, EventContext], Decision]] = {}


def on(event_type: str):
    def register(func):
        HANDLERS[event_type] = func
        return func

    return register


@on("message")
def _message(event: dict, ctx: EventContext) -> Decision:
    message = event.get("message") or {}
    kind = message.get("type")
    _user, _chat, chat_kind = source_of(event)
    if kind == "text" and isinstance(message.get("text"), str):
        return ctx.pipeline.on_text(_turn(event, ctx, message["text"]), on_slow=ctx.on_slow)
    if chat_kind == "group":
        return Decision()  # stickers and media in groups are not addressed to the sisters
    if kind == "sticker":
        return ctx.pipeline.fixed_line(_turn(event, ctx), "sticker")
    if kind in MEDIA:
        return ctx.pipeline.fixed_line(_turn(event, ctx), "media")
    log.info("message type %r ignored", kind)
    return Decision()


@on("follow")
def _follow(event: dict, ctx: EventContext) -> Decision:
    user_id, _chat, _kind = source_of(event)
    ctx.store.set_active(user_id, True, ctx.now.timestamp())
    name = ctx.display_name(user_id)
    if name:
        ctx.store.set_display_name(user_id, name)
    return ctx.pipeline.fixed_line(_turn(event, ctx), "welcome", quick_reply=True, sister=DEFAULT_SISTER)


@on("unfollow")
def _unfollow(event: dict, ctx: EventContext) -> Decision:
    user_id, _chat, _kind = source_of(event)
    ctx.store.set_active(user_id, False, ctx.now.timestamp())
    return Decision()


@on("join")
def _join(event: dict, ctx: EventContext) -> Decision:
    return ctx.pipeline.fixed_line(_turn(event, ctx), "join", sister=DEFAULT_SISTER)


@on("postback")
def _postback(event: dict, ctx: EventContext) -> Decision:
    data = parse_qs(str((event.get("postback") or {}).get("data", "")))
    sister = (data.get("sister") or [""])[0]
    if sister in ctx.pipeline.characters.current.sisters:
        return ctx.pipeline.switch(_turn(event, ctx), sister)
    log.info("postback without a known action ignored")
    return Decision()


def decide(event: dict, ctx: EventContext) -> Decision:
    handler = HANDLERS.get(str(event.get("type")))
    if handler is None:
        log.info("event type %r ignored", event.get("type"))
        return Decision()
    return handler(event, ctx)
