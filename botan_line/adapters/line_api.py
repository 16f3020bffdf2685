"""The LINE edge: the one place that talks to the LINE Messaging API (line-bot-sdk v3).

Turns Outgoing texts into LINE messages (sender per sister, quick-reply buttons, UTF-16-aware
splitting into ≤ 5 messages), and sends them with explicit timeouts. Push uses a retry key
derived from the event, so a resend after a crash is dropped by LINE instead of delivered twice.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
import time
import types
import uuid
from collections.abc import Callable

from botan_line.core.model import Outgoing


def _skip_legacy_sdk_init() -> None:
    """Import linebot.v3.messaging without running ``linebot/__init__`` and ``linebot/v3/__init__``.

    Those two files eagerly import the deprecated v2 SDK and the webhook models (about 8 MB per
    process, and we use neither: the webhook verifies signatures with the standard library). Package
    modules with the real search paths let the v3 messaging client import as usual; the first use
    of a name from the packages themselves (``from linebot.v3 import WebhookParser``) runs their real
    ``__init__`` then, so nothing else changes.
    """
    for name in ("linebot", "linebot.v3"):
        if name in sys.modules:
            return
        spec = importlib.util.find_spec(name)
        package = types.ModuleType(name)
        package.__path__ = list(spec.submodule_search_locations)
        package.__spec__ = spec
        package.__file__ = spec.origin

        def load_for_real(attr: str, package=package, spec=spec):
            del package.__getattr__
            spec.loader.exec_module(package)
            try:
                return package.__dict__[attr]
            except KeyError:
                raise AttributeError(attr) from None

        package.__getattr__ = load_for_real
        sys.modules[name] = package
        parent, _, child = name.rpartition(".")
        if parent:
            setattr(sys.modules[parent], child, package)


_skip_legacy_sdk_init()

from linebot.v3.messaging import (  # noqa: E402
    ApiClient,
    ApiException,
    Configuration,
    MessagingApi,
    PostbackAction,
    PushMessageRequest,
    QuickReply,
    QuickReplyItem,
    ReplyMessageRequest,
    Sender,
    ShowLoadingAnimationRequest,
    TextMessage,
)

log = logging.getLogger(__name__)

MAX_TEXT_UTF16 = 5000
MAX_MESSAGES = 5
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


def retry_key(event_id: str, purpose: str = "push") -> str:
    return str(uuid.uuid5(RETRY_NAMESPACE, f"{purpose}:{event_id}"))


class LineEdge:
    def __init__(
        self,
        base_url: str,
        access_token: str,
        *,
        timeout: float = 5.0,
        personas: Callable | None = None,
        sleep: Callable[[float], None] = time.sleep,
        push_retries: int = 3,
    ):
        self.api = MessagingApi(ApiClient(Configuration(host=base_url, access_token=access_token)))
        self.timeout = timeout
        self.personas = personas  # () -> CharacterSet, for sender names, icons and quick-reply labels
        self.sleep = sleep
        self.push_retries = push_retries

    # --- building messages ---------------------------------------------------------------------
    def quick_reply(self) -> QuickReply:
        chars = self.personas()
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

    def build(self, outgoing: list[Outgoing]) -> list[TextMessage]:
        chars = self.personas()
        messages: list[TextMessage] = []
        for out in outgoing:
            persona = chars.sisters[out.sister].persona if out.sister in chars.sisters else None
            sender = Sender(name=persona.display_name, icon_url=persona.icon_url) if persona else None
            for piece in split_text(out.text):
                messages.append(TextMessage(text=piece, sender=sender))
        if len(messages) > MAX_MESSAGES:
            log.warning("reply cut from %d to %d messages", len(messages), MAX_MESSAGES)
            messages = messages[:MAX_MESSAGES]
        if messages and any(o.quick_reply for o in outgoing):
            messages[-1].quick_reply = self.quick_reply()
        return messages

    # --- sending -------------------------------------------------------------------------------
    def reply(self, reply_token: str, outgoing: list[Outgoing]) -> None:
        try:
            self.api.reply_message_with_http_info(  # the body of LINE's answer is not needed: not parsed
                ReplyMessageRequest(reply_token=reply_token, messages=self.build(outgoing)),
                _request_timeout=self.timeout,
                _preload_content=False,
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
        messages = self.build(outgoing)
        for attempt in range(self.push_retries + 1):
            try:
                self.api.push_message(
                    PushMessageRequest(to=to, messages=messages),
                    x_line_retry_key=key,
                    _request_timeout=self.timeout,
                )
                return
            except ApiException as exc:
                if exc.status == 409:
                    return  # accepted earlier with this retry key: delivered once
                if exc.status != 429 and exc.status < 500:
                    raise SendFailed(f"push_http_{exc.status}") from None
                reason = f"push_http_{exc.status}"
            except Exception as exc:
                reason = f"push_{type(exc).__name__}"
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

    def display_name(self, user_id: str) -> str | None:
        try:
            return self.api.get_profile(user_id, _request_timeout=self.timeout).display_name
        except Exception as exc:
            log.info("profile not available: %s", type(exc).__name__)
            return None
