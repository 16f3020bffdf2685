"""LINE webhook events → Decisions, dispatched through a table (``@on("message")``).

Handlers read the event as the worker parsed it once (``core/inbound.Inbound``) and return a Decision
(or the Deferred Layer 2 call of a text message, a photo or a voice note: ``core/media.py``); the
worker saves and sends it. Unknown and uninteresting event types, and events without a source, get
nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import parse_qs

from botan_line.characters.loader import DEFAULT_SISTER
from botan_line.core import media, native, optin
from botan_line.core.conversation import Conversation, Deferred
from botan_line.core.inbound import MEDIA, Inbound
from botan_line.core.model import Decision, LinkMenu, SetActive, Turn, Unsend
from botan_line.core.ports import Profiles, Reads

log = logging.getLogger(__name__)


class NoProfiles:
    """No LINE to ask (the terminal, tests): nobody's display name is known."""

    def display_name(self, user_id: str) -> str | None:
        return None


@dataclass(frozen=True)
class EventContext:
    """What an event handler reads."""

    conversation: Conversation
    reads: Reads
    now: datetime
    time_left: float | None = None  # seconds of reply-token life left
    profiles: Profiles = NoProfiles()  # LINE display names (best effort)


def turn_of(event: Inbound, ctx: EventContext, text: str = "", mentioned: bool = False) -> Turn:
    assert event.source is not None  # decide() answers source-less events with nothing
    return Turn(
        user_id=event.source.user_id,
        text=text,
        now=ctx.now,
        chat=event.source.kind,
        mentioned=mentioned,
        time_left=ctx.time_left,
        quote_token=event.quote_token,
        message_ids=(event.message_id,) if event.message_id else (),
    )


Handler = Callable[[Inbound, EventContext], Decision | Deferred]
HANDLERS: dict[str, Handler] = {}


def on(event_type: str):
    def register(func: Handler) -> Handler:
        HANDLERS[event_type] = func
        return func

    return register


@on("message")
def _message(event: Inbound, ctx: EventContext) -> Decision | Deferred:
    if event.text is not None:
        return ctx.conversation.decide(turn_of(event, ctx, event.text, event.mentioned), ctx.reads)
    if event.message_kind in media.KINDS and ctx.conversation.media is not None:  # photos, voice notes
        return media.media_turn(ctx.conversation, [event], turn_of(event, ctx), ctx.reads)
    if event.source is None or not event.source.one_on_one:
        return Decision()  # stickers and other media in groups are not addressed to the sisters
    if event.message_kind == "sticker":  # her line, or sometimes a sticker back (core/native.py)
        turn = turn_of(event, ctx)
        return native.sticker_answer(ctx.conversation.event_context(turn, ctx.reads), event.keywords)
    if event.message_kind in MEDIA:
        return ctx.conversation.fixed_line(turn_of(event, ctx), ctx.reads, "media")
    log.info("message type %r ignored", str(event.message_kind)[:20])
    return Decision()


@on("follow")
def _follow(event: Inbound, ctx: EventContext) -> Decision:
    user_id = turn_of(event, ctx).user_id
    name = ctx.profiles.display_name(user_id)
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
def _unfollow(event: Inbound, ctx: EventContext) -> Decision:
    """Blocked: nothing more is sent to this fan (their notices end too)."""
    return Decision(effects=[SetActive(turn_of(event, ctx).user_id, False)])


@on("unsend")
def _unsend(event: Inbound, ctx: EventContext) -> Decision:
    """送信取消: the message's words leave what she keeps; her reply, already sent, stays sent."""
    if not event.unsent_id or event.source is None:
        return Decision()
    return Decision(effects=[Unsend(event.source.user_id, event.unsent_id, event.source.chat_id)])


@on("join")
def _join(event: Inbound, ctx: EventContext) -> Decision:
    return ctx.conversation.fixed_line(turn_of(event, ctx), ctx.reads, "join", sister=DEFAULT_SISTER)


@on("postback")
def _postback(event: Inbound, ctx: EventContext) -> Decision:
    data = parse_qs(event.postback or "")
    sister = (data.get("sister") or [""])[0]
    if sister in ctx.conversation.characters.current.sisters:
        return ctx.conversation.switch(turn_of(event, ctx), ctx.reads, sister)
    notify = (data.get("notify") or [""])[0]
    if notify in ("on", "off", "toggle") and event.source is not None and event.source.one_on_one:
        # the rich menu's 配信通知 button: notify=on|off, or toggle (one button that flips it)
        turn_ctx = ctx.conversation.event_context(turn_of(event, ctx), ctx.reads)
        on = not turn_ctx.user.notify if notify == "toggle" else notify == "on"
        return optin.confirm(turn_ctx, on, "event")
    log.info("postback without a known action ignored")
    return Decision()


def decide(event: Inbound, ctx: EventContext) -> Decision | Deferred:
    """The Decision for one event (nothing for unknown types and events without a source)."""
    if event.source is None:
        return Decision()
    handler = HANDLERS.get(event.type)
    if handler is None:
        log.info("event type %r ignored", event.type[:40])
        return Decision()
    return handler(event, ctx)
