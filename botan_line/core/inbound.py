"""One LINE webhook event, parsed once and checked against LINE's own webhook schema.

The worker claims an event from the inbox as the JSON LINE sent; ``parse`` turns it into a frozen
:class:`Inbound` the moment it is claimed, and every later step (the fast lane, the Layer 2 lane, the
sender) reads its fields instead of the dict. Before that, the event is checked against LINE's
``webhook.yml`` (``line_webhook.yml``, a verbatim copy of line/line-openapi): a signed event whose
fields have the wrong JSON type (a ``replyToken`` that is a number, a ``message`` that is a list, a
``source`` without its id) raises :class:`InvalidEvent` and is finished as refused: never decided,
never answered. Unknown event and message types pass as their base schema (LINE adds types; the
event table gives them nothing).
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SCHEMA_FILE = Path(__file__).with_name("line_webhook.yml")
MEDIA = ("image", "video", "audio", "file", "location")


class InvalidEvent(ValueError):
    """An event LINE's schema does not allow; the message names the field, never its content."""


@dataclass(frozen=True, slots=True)
class Source:
    user_id: str  # whose state this is (the chat itself when LINE gives no user)
    chat_id: str  # where a push goes
    kind: str  # one_on_one | group

    @property
    def one_on_one(self) -> bool:
        return self.kind == "one_on_one"


@dataclass(frozen=True, slots=True)
class Content:
    """Where a fan's photo, video or voice note is: on LINE's data host, or at an external URL."""

    provider: str  # line | external
    url: str | None = None  # external only
    duration_ms: int | None = None  # audio and video
    image_set: tuple[str, int, int] | None = None  # (set id, index, total): photos sent together


@dataclass(frozen=True, slots=True)
class Inbound:
    """What the worker and the core read of one webhook event."""

    event_id: str
    type: str  # message | follow | unfollow | postback | unsend | … (or a type LINE added since)
    time: float  # when it happened (epoch seconds)
    mode: str = "active"  # standby: another channel answers, send nothing
    redelivery: bool = False
    source: Source | None = None  # None: LINE gave no usable source (PNP delivery events …)
    reply_token: str | None = None
    message_kind: str | None = None  # text | image | video | audio | file | location | sticker | …
    message_id: str | None = None
    text: str | None = None  # a text message's text, the bot's own @mentions taken out
    mentioned: bool = False  # the bot was @-mentioned
    quote_token: str | None = None
    read_token: str | None = None  # markAsReadToken (manual read receipts)
    keywords: tuple[str, ...] = ()  # a sticker's keywords, folded
    content: Content | None = None  # media
    postback: str | None = None  # postback data
    unblocked: bool = False  # a follow after a block
    unsent_id: str | None = None  # unsend: the message the fan took back

    @property
    def command(self) -> bool:
        """A text that starts with / (or ／, as a Japanese IME types it)."""
        if self.text is None:
            return False
        return unicodedata.normalize("NFKC", self.text.lstrip()[:1]) == "/"


# --- LINE's schema, as a small validator of the OpenAPI subset webhook.yml uses --------------------
@functools.cache
def _schemas() -> dict[str, Any]:
    return yaml.safe_load(SCHEMA_FILE.read_text(encoding="utf-8"))["components"]["schemas"]


_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,), "object": (dict,),
    "array": (list,),
}  # fmt: skip


_INT_BITS = {"int32": 32, "int64": 64}


def _resolve(schema: dict) -> dict:
    ref = schema.get("$ref")
    return _schemas()[ref.rsplit("/", 1)[1]] if ref else schema


def check(value: Any, schema: dict, where: str = "event", seen: frozenset = frozenset()) -> None:
    """Raise InvalidEvent at the first place ``value`` breaks ``schema`` (types, required fields,
    enums, lengths; allOf; a discriminator's mapping for the values it knows)."""
    ref = schema.get("$ref")
    schema = _resolve(schema)
    for part in schema.get("allOf", ()):
        part_ref = part.get("$ref")
        if part_ref and part_ref in seen:
            continue  # the base schema of a mapped subtype: checked already
        check(value, part, where, seen | ({ref} if ref else frozenset()))
    kind = schema.get("type")
    if kind:
        wanted = _TYPES[kind]
        if not isinstance(value, wanted) or (kind in ("integer", "number") and isinstance(value, bool)):
            raise InvalidEvent(f"{where}: expected {kind}, got {type(value).__name__}")
    bits = _INT_BITS.get(schema.get("format", ""))
    if bits and isinstance(value, int) and not -(2 ** (bits - 1)) <= value < 2 ** (bits - 1):
        raise InvalidEvent(f"{where}: out of range for {schema['format']}")
    if "enum" in schema and value not in schema["enum"]:
        raise InvalidEvent(f"{where}: not one of {', '.join(map(str, schema['enum']))}")
    if isinstance(value, str) and len(value) > schema.get("maxLength", len(value)):
        raise InvalidEvent(f"{where}: longer than {schema['maxLength']}")
    if isinstance(value, list):
        if len(value) > schema.get("maxItems", len(value)):
            raise InvalidEvent(f"{where}: more than {schema['maxItems']} items")
        items = schema.get("items")
        if items is not None:
            for i, item in enumerate(value):
                check(item, items, f"{where}[{i}]")
    if not isinstance(value, dict):
        return
    for name in schema.get("required", ()):
        if name not in value:
            raise InvalidEvent(f"{where}: {name} is missing")
    for name, sub in schema.get("properties", {}).items():
        if name in value:
            check(value[name], sub, f"{where}.{name}")
    mapping = (schema.get("discriminator") or {}).get("mapping", {})
    target = mapping.get(value.get(schema["discriminator"]["propertyName"])) if mapping else None
    if target and target != ref:
        check(value, {"$ref": target}, where, seen | ({ref} if ref else frozenset()))


# --- parsing -------------------------------------------------------------------------------------
def _source(raw: dict | None) -> Source | None:
    if raw is None:
        return None
    chat_id = raw.get("groupId") or raw.get("roomId") or raw.get("userId") or ""
    if not chat_id:
        return None
    kind = "one_on_one" if raw.get("type") == "user" else "group"
    return Source(raw.get("userId") or chat_id, chat_id, kind)


def _utf16_cut(text: str, start: int, length: int) -> str:
    """``text`` without the span LINE gives in UTF-16 code units (mention index/length)."""
    units = text.encode("utf-16-le")
    a, b = 2 * start, 2 * (start + length)
    if not 0 <= a <= b <= len(units):
        return text
    return (units[:a] + units[b:]).decode("utf-16-le", "replace")


def _text(message: dict) -> tuple[str, bool]:
    """A text message's text with the bot's own @mentions taken out, and whether it mentioned the bot."""
    text = message["text"]
    mine = [m for m in (message.get("mention") or {}).get("mentionees", []) if m.get("isSelf")]
    for m in sorted(mine, key=lambda m: m["index"], reverse=True):  # "@牡丹bot おはよう" → "おはよう"
        text = _utf16_cut(text, m["index"], m["length"])
    return (text.strip() or text), bool(mine)


def _content(message: dict) -> Content | None:
    provider = message.get("contentProvider")
    if provider is None:
        return None
    image_set = message.get("imageSet")
    return Content(
        provider["type"],
        provider.get("originalContentUrl"),
        message.get("duration"),
        (image_set["id"], image_set.get("index", 1), image_set.get("total", 1)) if image_set else None,
    )


def parse(event: dict) -> Inbound:
    """The event as the worker and the core read it; InvalidEvent when LINE's schema refuses it."""
    if not isinstance(event, dict):
        raise InvalidEvent("event: expected object")
    check(event, {"$ref": "#/components/schemas/Event"})
    message = event.get("message") if event["type"] == "message" else None
    text, mentioned = _text(message) if message and message["type"] == "text" else (None, False)
    return Inbound(
        event_id=event["webhookEventId"],
        type=event["type"],
        time=event["timestamp"] / 1000.0,
        mode=event["mode"],
        redelivery=event["deliveryContext"]["isRedelivery"],
        source=_source(event.get("source")),
        reply_token=event.get("replyToken") or None,
        message_kind=message["type"] if message else None,
        message_id=message["id"] if message else None,
        text=text,
        mentioned=mentioned,
        quote_token=(message or {}).get("quoteToken") or None,
        read_token=(message or {}).get("markAsReadToken") or None,
        keywords=tuple(w.casefold().strip() for w in (message or {}).get("keywords", ()) if w.strip()),
        content=_content(message) if message and message["type"] in MEDIA else None,
        postback=(event.get("postback") or {}).get("data") if event["type"] == "postback" else None,
        unblocked=bool((event.get("follow") or {}).get("isUnblocked"))
        if event["type"] == "follow"
        else False,
        unsent_id=(event.get("unsend") or {}).get("messageId") if event["type"] == "unsend" else None,
    )
