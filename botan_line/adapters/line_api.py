"""The LINE edge: the one place that talks to the LINE Messaging API (line-bot-sdk v3).

Turns Outgoing messages into LINE messages (texts with sender per sister, quick-reply buttons,
UTF-16-aware splitting into ≤ 5 messages; stickers; Flex cards; quote tokens), and sends them with
explicit timeouts. Push, multicast and broadcast use a retry key, so a resend after a crash is
dropped by LINE instead of delivered twice. Also: a fan's photo or voice note (``content``, from the
api-data host, streamed under a size cap), rich menus (create, image upload on the api-data host,
default, per-user links), the monthly quota and the follower count, the channel's read mode and
read receipts (``markAsRead`` by token).
"""

from __future__ import annotations

import functools
import importlib.util
import io
import logging
import sys
import time
import types
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from botan_line.core.model import FLEX, STICKER, Outgoing
from botan_line.core.ports import ContentUnavailable

if TYPE_CHECKING:
    from botan_line.characters.loader import CharacterSet


def _skip_sdk_package_inits() -> None:
    """Import the v3 messaging client without running four package ``__init__`` files of the SDK.

    ``linebot/__init__`` and ``linebot/v3/__init__`` eagerly import the deprecated v2 SDK and the
    webhook models (about 8 MB per process), and ``linebot/v3/messaging/__init__`` and its
    ``api/__init__`` import the asyncio client with aiohttp (about 17 MB). We use none of them: the
    webhook verifies signatures with the standard library, and the worker uses the sync client.
    Package modules with the real search paths let the modules below import as usual; the first
    use of a name from a package itself (``from linebot.v3 import WebhookParser``) runs its real
    ``__init__`` then, so nothing else changes. A test pins the SDK layout this relies on.
    """
    for name in ("linebot", "linebot.v3", "linebot.v3.messaging", "linebot.v3.messaging.api"):
        if name in sys.modules:
            return
        spec = importlib.util.find_spec(name)
        if spec is None or spec.submodule_search_locations is None:
            raise ModuleNotFoundError(f"{name} is not an installed package (line-bot-sdk v3)", name=name)
        package = types.ModuleType(name)
        package.__path__ = list(spec.submodule_search_locations)
        package.__spec__ = spec
        package.__file__ = spec.origin

        def load_for_real(attr: str, package=package, spec=spec, name=name):
            if not attr.startswith("__") and importlib.util.find_spec(f"{name}.{attr}") is not None:
                return importlib.import_module(f"{name}.{attr}")  # ``from package import submodule``
            del package.__getattr__
            spec.loader.exec_module(package)
            try:
                return package.__dict__[attr]
            except KeyError:
                raise AttributeError(attr) from None

        vars(package)["__getattr__"] = load_for_real  # the module's own __getattr__ (PEP 562)
        sys.modules[name] = package
        parent, _, child = name.rpartition(".")
        if parent:
            setattr(sys.modules[parent], child, package)


_skip_sdk_package_inits()

from linebot.v3.messaging.api.messaging_api import MessagingApi  # noqa: E402
from linebot.v3.messaging.api.messaging_api_blob import MessagingApiBlob  # noqa: E402
from linebot.v3.messaging.api_client import ApiClient  # noqa: E402
from linebot.v3.messaging.configuration import Configuration  # noqa: E402
from linebot.v3.messaging.exceptions import ApiException  # noqa: E402
from linebot.v3.messaging.models import (  # noqa: E402
    BroadcastRequest,
    FlexContainer,
    FlexMessage,
    MarkMessagesAsReadByTokenRequest,
    MulticastRequest,
    PostbackAction,
    PushMessageRequest,
    QuickReply,
    QuickReplyItem,
    ReplyMessageRequest,
    RichMenuBulkLinkRequest,
    RichMenuRequest,
    Sender,
    ShowLoadingAnimationRequest,
    StickerMessage,
    TextMessage,
)

log = logging.getLogger(__name__)

MAX_TEXT_UTF16 = 5000
MAX_MESSAGES = 5
MAX_ALT_TEXT = 400  # LINE allows 1500; a notification shows far less
MULTICAST_MAX = 500
CHUNK = 64 * 1024  # a photo or voice note is read this much at a time, and never past its cap
NOT_READY_WAIT = 1.0  # LINE answers 202 while a voice note is still being prepared: ask again after this
RETRY_NAMESPACE = uuid.UUID("6f0a4f43-3a53-4c6e-9a59-0c1c2b8f7d11")


class ReplyTokenInvalid(Exception):
    """LINE answered 400 "Invalid reply token": used, expired, or never valid."""


class SendFailed(Exception):
    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MAX_TEXT_UTF16) -> list[str]:
    """Split into pieces of ≤ ``limit`` UTF-16 code units, preferring line breaks; never a broken surrogate."""
    pieces: list[str] = []
    while utf16_len(text) > limit:
        cut, units = 0, 0
        for i, ch in enumerate(text):
            units += 2 if ord(ch) > 0xFFFF else 1
            if units > limit:
                cut = i
                break
        nl = text.rfind("\n", 0, cut)
        if nl > cut // 2:
            cut = nl + 1
        pieces.append(text[:cut].rstrip("\n"))
        text = text[cut:]
    if text:
        pieces.append(text)
    return pieces


def _with(message: dict, sender: dict | None, quote_token: str | None) -> dict:
    if quote_token:
        message["quoteToken"] = quote_token
    if sender is not None:
        message["sender"] = sender
    return message


def retry_key(event_id: str, purpose: str = "push") -> str:
    return str(uuid.uuid5(RETRY_NAMESPACE, f"{purpose}:{event_id}"))


def quick_reply(chars) -> QuickReply:
    """One button per sister (postback ``sister=<id>``), as many as LINE allows."""
    items = [
        QuickReplyItem(
            action=PostbackAction(
                label=s.persona.display_name[:20],
                data=f"sister={sid}",
                display_text=s.persona.display_name,
            )
        )
        for sid, s in chars.sisters.items()
    ]
    return QuickReply(items=items[:13])


def _sticker(out: Outgoing) -> tuple[str, str]:
    if out.sticker is None:
        raise ValueError(f"a sticker from {out.sister} without its (packageId, stickerId)")
    return out.sticker


def line_messages(outgoing: list[Outgoing], chars) -> list:
    """The LINE message objects for ``outgoing`` (sender per sister, split texts, stickers, Flex, the
    quick reply on the last; at most five). No network: the console shows exactly what LINE would get."""
    messages: list = []
    for out in outgoing:
        persona = chars.sisters[out.sister].persona if out.sister in chars.sisters else None
        sender = Sender(name=persona.display_name, icon_url=persona.icon_url) if persona else None
        if out.kind == STICKER:
            package_id, sticker_id = _sticker(out)
            messages.append(StickerMessage(package_id=package_id, sticker_id=sticker_id, sender=sender,
                                           quote_token=out.quote_token))  # fmt: skip
        elif out.kind == FLEX:
            alt = " ".join(out.text.split())[:MAX_ALT_TEXT] or "📊"
            messages.append(
                FlexMessage(alt_text=alt, contents=FlexContainer.from_dict(out.flex), sender=sender)
            )
        else:
            for n, piece in enumerate(split_text(out.text)):
                quote = out.quote_token if n == 0 else None
                messages.append(TextMessage(text=piece, sender=sender, quote_token=quote))
    if len(messages) > MAX_MESSAGES:
        log.warning("reply cut from %d to %d messages", len(messages), MAX_MESSAGES)
        messages = messages[:MAX_MESSAGES]
    if messages and any(o.quick_reply for o in outgoing):
        messages[-1].quick_reply = quick_reply(chars)
    return messages


class LineEdge:
    def __init__(
        self,
        base_url: str,
        access_token: str,
        *,
        timeout: float = 5.0,
        personas: Callable[[], CharacterSet] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        push_retries: int = 3,
        data_url: str | None = None,
    ):
        self.client = ApiClient(Configuration(host=base_url, access_token=access_token))
        self.api = MessagingApi(self.client)
        # rich menu images go to the api-data host (a configured host wins over the SDK's per-call one)
        self._data = (data_url or base_url, access_token)
        self._blob: MessagingApiBlob | None = None
        self.timeout = timeout
        self.personas = personas  # () -> CharacterSet, for sender names, icons and quick-reply labels
        self.sleep = sleep
        self.push_retries = push_retries
        self._sender_cache: tuple[object, dict[str, dict]] = (None, {})

    # --- building messages ---------------------------------------------------------------------
    def _characters(self) -> CharacterSet:
        if self.personas is None:
            raise RuntimeError("this LineEdge was made without personas: it cannot name senders or sisters")
        return self.personas()

    def quick_reply(self) -> QuickReply:
        return quick_reply(self._characters())

    def build(self, outgoing: list[Outgoing]) -> list:
        """LINE message objects for these Outgoing, in order (at most five; the quick reply goes on the last)."""
        return line_messages(outgoing, self._characters())

    def as_json(self, outgoing: list[Outgoing]) -> list[dict]:
        """What ``build`` makes, as LINE's JSON, for texts and stickers — without building the SDK's
        models. The reply is the hot path (one per answer): the models' validation and ``to_dict``
        cost more than the rest of a Layer 1 answer. A test holds this equal to ``build``'s models."""
        chars = self._characters()
        senders = self._senders(chars)
        messages: list[dict] = []
        for out in outgoing:
            sender = senders.get(out.sister)
            if out.kind == STICKER:
                package_id, sticker_id = _sticker(out)
                message = {"type": "sticker", "packageId": package_id, "stickerId": sticker_id}
                messages.append(_with(message, sender, out.quote_token))
                continue
            for n, piece in enumerate(split_text(out.text)):
                messages.append(
                    _with({"type": "text", "text": piece}, sender, out.quote_token if n == 0 else None)
                )
        if len(messages) > MAX_MESSAGES:
            log.warning("reply cut from %d to %d messages", len(messages), MAX_MESSAGES)
            messages = messages[:MAX_MESSAGES]
        if messages and any(o.quick_reply for o in outgoing):
            messages[-1]["quickReply"] = self._quick_reply_json(chars)
        return messages

    def _senders(self, chars) -> dict[str, dict]:
        if self._sender_cache[0] is not chars:  # once per version of the character files
            senders = {
                sid: {"name": s.persona.display_name, "iconUrl": s.persona.icon_url}
                for sid, s in chars.sisters.items()
            }
            self._sender_cache = (chars, senders)
        return self._sender_cache[1]

    def _quick_reply_json(self, chars) -> dict:
        items = [
            {"type": "action", "action": {"type": "postback", "label": s.persona.display_name[:20],
                                          "data": f"sister={sid}", "displayText": s.persona.display_name}}
            for sid, s in chars.sisters.items()
        ]  # fmt: skip
        return {"items": items[:13]}

    # --- sending -------------------------------------------------------------------------------
    def reply(self, reply_token: str, outgoing: list[Outgoing]) -> None:
        try:
            if any(o.kind == FLEX for o in outgoing):  # rare (admin cards): the SDK's typed models
                self.api.reply_message_with_http_info(
                    ReplyMessageRequest(reply_token=reply_token, messages=self.build(outgoing)),
                    _request_timeout=self.timeout,
                    _preload_content=False,
                )
            else:  # the SDK's client (host, token, timeout, errors) with the body as LINE's JSON
                self.api.api_client.call_api(
                    "/v2/bot/message/reply",
                    "POST",
                    header_params={"Content-Type": "application/json"},
                    body={"replyToken": reply_token, "messages": self.as_json(outgoing)},
                    auth_settings=["Bearer"],
                    response_types_map={},
                    _preload_content=False,  # LINE's answer body is not needed: not parsed
                    _request_timeout=self.timeout,
                )
        except ApiException as exc:
            body = exc.body.decode("utf-8", "replace") if isinstance(exc.body, bytes) else str(exc.body or "")
            if exc.status == 400 and "reply token" in body.lower():
                raise ReplyTokenInvalid() from None
            raise SendFailed(f"reply_http_{exc.status}") from None
        except Exception as exc:  # connection refused, timeout: the SDK raises urllib3 errors
            raise SendFailed(f"reply_{type(exc).__name__}") from None

    def push(self, to: str, outgoing: list[Outgoing], key: str) -> None:
        """Push with bounded retries on 429/5xx and a retry key; 409 means LINE already has it."""
        request = PushMessageRequest(to=to, messages=self.build(outgoing))
        self._with_retry_key("push", lambda: self.api.push_message(request, x_line_retry_key=key,
                                                                   _request_timeout=self.timeout))  # fmt: skip

    def broadcast(self, outgoing: list[Outgoing], key: str) -> None:
        """Every friend of the account, once per retry key (each recipient counts against the quota)."""
        request = BroadcastRequest(messages=self.build(outgoing))
        self._with_retry_key("broadcast", lambda: self.api.broadcast(request, x_line_retry_key=key,
                                                                     _request_timeout=self.timeout))  # fmt: skip

    def multicast(self, to: list[str], outgoing: list[Outgoing], key: str) -> None:
        """Up to 500 users per request; the caller derives one retry key per chunk."""
        request = MulticastRequest(to=to[:MULTICAST_MAX], messages=self.build(outgoing))
        self._with_retry_key("multicast", lambda: self.api.multicast(request, x_line_retry_key=key,
                                                                     _request_timeout=self.timeout))  # fmt: skip

    def _with_retry_key(self, what: str, call: Callable[[], object]) -> None:
        """Bounded retries on 429/5xx (same retry key each time); 409: LINE accepted it already."""
        for attempt in range(self.push_retries + 1):
            try:
                call()
                return
            except ApiException as exc:
                if exc.status == 409:
                    return  # accepted earlier with this retry key: delivered once
                if exc.status != 429 and exc.status < 500:
                    raise SendFailed(f"{what}_http_{exc.status}") from None
                reason = f"{what}_http_{exc.status}"
            except Exception as exc:
                reason = f"{what}_{type(exc).__name__}"
            if attempt < self.push_retries:
                self.sleep(min(8.0, 0.5 * 2**attempt))
        raise SendFailed(reason)

    def loading(self, chat_id: str, seconds: int = 20) -> None:
        """Best effort: a failed loading animation never stops a reply."""
        seconds = max(5, min(60, 5 * round(seconds / 5)))
        try:
            self.api.show_loading_animation(
                ShowLoadingAnimationRequest(chat_id=chat_id, loading_seconds=seconds),
                _request_timeout=self.timeout,
            )
        except Exception as exc:
            log.info("loading animation not shown: %s", type(exc).__name__)

    def read_mode(self) -> str:
        """The channel's ``markAsReadMode`` (``GET /v2/bot/info``): ``manual`` when Chat is on in the
        Official Account Manager (LINE then shows 既読 only when the bot marks a message read), ``auto``
        otherwise. Raises SendFailed when LINE cannot be read."""
        info = self._call("bot_info", lambda: self.api.get_bot_info(_request_timeout=self.timeout))
        return str(info.mark_as_read_mode)

    def mark_read(self, token: str) -> None:
        """Mark a fan's message (and every earlier one in that chat) read with its ``markAsReadToken``."""
        request = MarkMessagesAsReadByTokenRequest(mark_as_read_token=token)
        self._call("mark_read", lambda: self.api.mark_messages_as_read_by_token(
            request, _request_timeout=self.timeout))  # fmt: skip

    def display_name(self, user_id: str) -> str | None:
        try:
            return self.api.get_profile(user_id, _request_timeout=self.timeout).display_name
        except Exception as exc:
            log.info("profile not available: %s", type(exc).__name__)
            return None

    # --- the monthly quota and the audience -----------------------------------------------------
    def quota(self) -> tuple[str, int | None, int]:
        """(type, limit, used this month): ``GET /v2/bot/message/quota`` and ``/quota/consumption``.
        type ``none`` means no limit (limit None). Raises SendFailed when LINE cannot be read."""
        try:
            q = self.api.get_message_quota(_request_timeout=self.timeout)
            used = self.api.get_message_quota_consumption(_request_timeout=self.timeout).total_usage
        except ApiException as exc:
            raise SendFailed(f"quota_http_{exc.status}") from None
        except Exception as exc:
            raise SendFailed(f"quota_{type(exc).__name__}") from None
        kind = str(getattr(q.type, "value", q.type))
        return kind, (int(q.value) if kind == "limited" and q.value is not None else None), int(used or 0)

    def followers(self, date: str) -> tuple[int, int] | None:
        """(followers, blocks) on ``date`` (yyyyMMdd, JST) from the Insight API, or None when LINE has
        no figure (not ready, not available for this account, or an error).

        Called through the messaging client's ApiClient instead of ``linebot.v3.insight``: that package
        costs about 2.8 MB in the process that loads it, for one GET."""
        try:
            response = self.client.call_api(
                "/v2/bot/insight/followers", "GET", {}, [("date", date)], {"Accept": "application/json"},
                response_types_map={"200": "object"}, auth_settings=["Bearer"], _request_timeout=self.timeout,
            )  # fmt: skip
        except Exception as exc:
            log.info("follower count not available: %s", type(exc).__name__)
            return None
        data = response.data if isinstance(response.data, dict) else {}
        if data.get("status") != "ready" or not isinstance(data.get("followers"), int):
            return None
        return int(data["followers"]), int(data.get("blocks") or 0)

    # --- a fan's photo or voice note -------------------------------------------------------------
    def open_content(
        self, message_id: str, *, url: str | None, max_bytes: int, timeout: float
    ) -> io.BufferedReader:
        """A fan's photo or voice note as it arrives: ``GET /v2/bot/message/{id}/content`` on the api-data
        host (the blob API's operation, through the SDK's own client: its host, token, connection pool
        and errors), or LINE's ``external`` URL without our token. Nothing is read yet: the caller reads
        the stream (a photo straight into the decoder, so the file is never in memory whole) and closes
        it. Past ``max_bytes`` or ``timeout`` the stream raises ContentUnavailable, as do the answers
        LINE gives instead of the content (``not_found``, ``expired``, ``not_ready``, ``http_<status>``)."""
        deadline = time.monotonic() + timeout
        if url is not None:
            return self._external(url, max_bytes, deadline)
        host = self._data[0].rstrip("/")
        path = f"{host}/v2/bot/message/{quote(message_id, safe='')}/content"
        api = self._blob_api().api_client
        headers = {**api.default_headers, "Accept": "*/*", "Authorization": f"Bearer {self._data[1]}"}
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ContentUnavailable("timeout")
            try:
                response = api.request(
                    "GET", path, headers=headers, _preload_content=False, _request_timeout=left
                )
            except ApiException as exc:
                raise ContentUnavailable(_content_error(exc.status)) from None
            except Exception as exc:
                raise ContentUnavailable(_transport_error(exc)) from None
            if response.status != 202:
                return io.BufferedReader(Incoming(response, max_bytes, deadline), CHUNK)
            response.close()  # still being prepared (audio, video): ask again while time allows
            if deadline - time.monotonic() < NOT_READY_WAIT * 2:
                raise ContentUnavailable("not_ready")
            self.sleep(NOT_READY_WAIT)

    def _external(self, url: str, max_bytes: int, deadline: float) -> io.BufferedReader:
        """``contentProvider.type: external``: the fan's content lives at ``url`` (https; plain http only
        when LINE itself is reached over http, i.e. a local fake). Our token is never sent there."""
        scheme = urlsplit(url).scheme
        allowed = ("https", "http") if self._data[0].startswith("http://") else ("https",)
        if scheme not in allowed:
            raise ContentUnavailable("external_scheme")
        pool = self._blob_api().api_client.rest_client.pool_manager
        try:
            response = pool.request(
                "GET", url, preload_content=False, redirect=False,
                timeout=max(0.1, deadline - time.monotonic()),
            )  # fmt: skip
        except Exception as exc:
            raise ContentUnavailable(_transport_error(exc)) from None
        if response.status != 200:
            response.close()
            raise ContentUnavailable(_content_error(response.status))
        return io.BufferedReader(Incoming(response, max_bytes, deadline), CHUNK)

    # --- rich menus ------------------------------------------------------------------------------
    def _blob_api(self) -> MessagingApiBlob:
        if self._blob is None:
            url, token = self._data
            self._blob = MessagingApiBlob(ApiClient(Configuration(host=url, access_token=token)))
        return self._blob

    def _call(self, what: str, call: Callable[[], object]):
        try:
            return call()
        except ApiException as exc:
            raise SendFailed(f"{what}_http_{exc.status}") from None
        except Exception as exc:
            raise SendFailed(f"{what}_{type(exc).__name__}") from None

    def rich_menus(self) -> list[tuple[str, str]]:
        """(richMenuId, name) of every rich menu this channel made through the API."""
        found = self._call(
            "richmenu_list", lambda: self.api.get_rich_menu_list(_request_timeout=self.timeout)
        )
        return [(m.rich_menu_id, m.name) for m in found.richmenus]

    def create_rich_menu(self, menu: dict, image: bytes, content_type: str) -> str:
        """Create a rich menu from its JSON (``RichMenuRequest``), upload its image; return its id."""
        request = RichMenuRequest.from_dict(menu)
        made = self._call(
            "richmenu_create", lambda: self.api.create_rich_menu(request, _request_timeout=self.timeout)
        )
        menu_id = made.rich_menu_id
        try:
            self._call("richmenu_image", lambda: self._blob_api().set_rich_menu_image(
                menu_id, bytearray(image), _headers={"Content-Type": content_type}, _request_timeout=self.timeout))  # fmt: skip
        except SendFailed:
            self.delete_rich_menu(menu_id)  # a menu without an image cannot be shown: never leave one behind
            raise
        return menu_id

    def delete_rich_menu(self, menu_id: str) -> None:
        self._call(
            "richmenu_delete", lambda: self.api.delete_rich_menu(menu_id, _request_timeout=self.timeout)
        )

    def default_rich_menu(self) -> str | None:
        try:
            return self.api.get_default_rich_menu_id(_request_timeout=self.timeout).rich_menu_id
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise SendFailed(f"richmenu_default_http_{exc.status}") from None

    def set_default_rich_menu(self, menu_id: str) -> None:
        self._call(
            "richmenu_default", lambda: self.api.set_default_rich_menu(menu_id, _request_timeout=self.timeout)
        )

    def link_rich_menu(self, user_id: str, menu_id: str) -> None:
        """Show this user this menu (a per-user link wins over the default)."""
        self._call("richmenu_link", lambda: self.api.link_rich_menu_id_to_user(
            user_id, menu_id, _request_timeout=self.timeout))  # fmt: skip

    def link_rich_menu_bulk(self, user_ids: list[str], menu_id: str) -> None:
        for i in range(0, len(user_ids), MULTICAST_MAX):
            request = RichMenuBulkLinkRequest(rich_menu_id=menu_id, user_ids=user_ids[i : i + MULTICAST_MAX])
            self._call("richmenu_bulk", functools.partial(self.api.link_rich_menu_id_to_users, request,
                                                          _request_timeout=self.timeout))  # fmt: skip


def _content_error(status: int | None) -> str:
    return {404: "not_found", 410: "expired", 413: "too_large"}.get(status or 0, f"http_{status}")


def _transport_error(exc: Exception) -> str:
    name = type(exc).__name__
    return "timeout" if "Timeout" in name else name[:30]


class Incoming(io.RawIOBase):
    """A fan's content as it arrives over HTTP (read through an ``io.BufferedReader``): forward, never
    more than ``max_bytes`` (LINE's ``Content-Length`` is checked first), never past the deadline. Its
    first ``KEEP`` bytes stay, so a reader may seek back into them (Pillow reads a photo's first bytes
    again once it knows the format, and its header up to the pixels); seeking forward reads on.
    Anything else raises OSError. Closing it returns the connection to the pool when the body was read
    to its end, else drops it."""

    KEEP = 1 << 20  # a JPEG's headers (EXIF, an ICC profile) fit well within this

    def __init__(self, response, max_bytes: int, deadline: float):
        super().__init__()
        declared = int(response.headers.get("Content-Length") or 0)
        if declared > max_bytes:
            response.close()
            raise ContentUnavailable("too_large")
        self._response, self._max, self._deadline = response, max_bytes, deadline
        self._head = bytearray()  # the first KEEP bytes
        self._got = 0  # bytes taken from the network
        self._at = 0  # where the reader is
        self._ended = False

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._at

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_CUR:
            offset += self._at
        elif whence != io.SEEK_SET:
            raise OSError("a fan's content is read forward: its end is not known")
        if offset < 0 or (len(self._head) <= offset < self._got):
            raise OSError("cannot seek back that far into a fan's content")
        self._at = offset
        return offset

    def readinto(self, buffer) -> int:
        view = memoryview(buffer).cast("B")
        if self._at < len(self._head):  # again, from what was kept
            n = min(len(view), len(self._head) - self._at)
            view[:n] = self._head[self._at : self._at + n]
            self._at += n
            return n
        while self._got < self._at:  # a seek forward: read on and let it go
            if not self._pull(memoryview(bytearray(min(CHUNK, self._at - self._got)))):
                return 0
        return self._pull(view)

    def _pull(self, view: memoryview) -> int:
        if self._ended or not len(view):
            return 0
        if time.monotonic() > self._deadline:
            raise ContentUnavailable("timeout")
        try:
            n = self._response.readinto(view)
        except Exception as exc:  # the connection broke or timed out mid-body
            raise ContentUnavailable(_transport_error(exc)) from None
        if not n:
            self._ended = True
            return 0
        if self._got + n > self._max:
            raise ContentUnavailable("too_large")
        if self._got < self.KEEP:
            self._head += view[: min(n, self.KEEP - self._got)]
        self._got += n
        self._at = self._got
        return n

    def close(self) -> None:
        if not self.closed:
            if self._ended:
                self._response.release_conn()
            else:
                self._response.close()
            self._head = bytearray()
        super().close()
