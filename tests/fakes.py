"""Local fake LINE and OpenAI servers, plus webhook event builders.

Point the real SDKs at them::

    with FakeLine() as line, FakeOpenAI() as ai:
        api = MessagingApi(ApiClient(Configuration(host=line.url, access_token="test-token")))
        client = OpenAI(api_key="k", base_url=ai.url + "/v1", max_retries=0, timeout=5)

Stdlib only. Each fake is a ThreadingHTTPServer on 127.0.0.1, port 0, served from a daemon
thread. Nothing sleeps except a scripted delay, and that wakes up as soon as the fake stops.
"""

from __future__ import annotations

import base64
import binascii
import copy
import email.parser
import email.policy
import hashlib
import hmac
import itertools
import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

Reply = tuple[int, Any, dict[str, str]]  # status, body (dict/list -> JSON, str/bytes -> as is), headers


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]  # lower-case keys
    json: Any | None
    at: float = 0.0  # when it arrived (time.time(); benchmarks read it)
    query: dict[str, str] = field(default_factory=dict)
    raw: bytes = b""


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that timed out or a fake that stopped mid-answer is not a test failure.
        pass


class _Handler(BaseHTTPRequestHandler):
    fake: _FakeServer  # set on the per-fake subclass
    # Keep-alive, as api.line.me and api.openai.com do: a client that keeps its connection pool
    # (the bot's LINE edge, the openai client) reuses connections; one that builds a new client per
    # request (line-bot-sdk's flask-echo example) opens a new one each time, as it would against LINE.
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall between them

    def _dispatch(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        headers = {k.lower(): v for k, v in self.headers.items()}
        url = urlsplit(self.path)
        req = Request(self.command, url.path, headers, body, time.time(), dict(parse_qsl(url.query)), raw)
        self.fake._record(req)
        status, payload, extra_headers = self.fake._handle(req)
        self.fake._answered(req, status, payload)
        if self.fake._stopped.is_set():
            return
        if isinstance(payload, str):
            payload = payload.encode()
        elif payload is None:
            payload = b""
        elif not isinstance(payload, bytes):
            payload = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        kind = next((v for k, v in extra_headers.items() if k.lower() == "content-type"), None)
        self.send_header("Content-Type", kind or "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in extra_headers.items():
            if name.lower() != "content-type":
                self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = _dispatch

    def log_message(self, format, *args):
        pass


class _FakeServer:
    """Server lifecycle, request log and wait_for shared by both fakes."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.url = ""
        self._cond = threading.Condition(threading.RLock())
        self._stopped = threading.Event()
        self._httpd: _QuietServer | None = None
        self._thread: threading.Thread | None = None

    def start(self):
        handler = type("Handler", (_Handler,), {"fake": self})
        self._stopped.clear()
        self._httpd = _QuietServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()  # wakes delayed handlers; they then drop their answer
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join()
            self._httpd = self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Block until predicate() is true; False on timeout.

        The predicate is re-checked whenever a request arrives or is delivered, so it should
        look at this fake's state (replies(), calls(), ...)."""
        with self._cond:
            return self._cond.wait_for(predicate, timeout)

    def _record(self, req: Request) -> None:
        with self._cond:
            self.requests.append(req)
            self._cond.notify_all()

    def _pause(self, seconds: float) -> None:
        if seconds > 0:
            self._stopped.wait(seconds)

    def _handle(self, req: Request) -> Reply:
        raise NotImplementedError

    def _answered(self, req: Request, status: int, payload: Any) -> None:
        pass


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


RICH_MENU_SIZES = ({"width": 2500, "height": 1686}, {"width": 2500, "height": 843})


class FakeLine(_FakeServer):
    """The parts of the LINE Messaging API that botan-line calls, with LINE's checks and answers.

    ``check``: an optional ``(request) -> list[str]`` (tests pass LINE's OpenAPI documents, see
    ``tests/line_spec.py``) whose problems are kept in ``violations``; ``check_answer`` the same for
    what the fake answers. Messages sent by push, multicast and broadcast count against ``quota``
    (one per recipient, as LINE counts them); a broadcast reaches ``followers - blocks``.
    """

    def __init__(
        self,
        token: str = "test-token",
        profiles: dict[str, dict] | None = None,
        *,
        check: Callable[[Request], list[str]] | None = None,
        check_answer: Callable[[Request, int, Any], list[str]] | None = None,
    ) -> None:
        super().__init__()
        self.token = token
        self.profiles: dict[str, dict] = profiles if profiles is not None else {}
        self.check, self.check_answer = check, check_answer
        self.violations: list[str] = []
        self.quota: int | None = 200  # None: no limit (quota type "none")
        self.usage = 0  # messages counted this month
        self.followers: int | None = 10  # None: insight has no figure ("unready")
        self.blocks = 1
        self.menus: dict[str, dict] = {}  # richMenuId -> the menu as created
        self.images: dict[str, tuple[str, bytes]] = {}  # richMenuId -> (content type, bytes)
        self.default_menu: str | None = None
        self.user_menus: dict[str, str] = {}  # userId -> richMenuId
        self.read_mode = "auto"  # markAsReadMode: "manual" when Chat is on in the Official Account Manager
        self.issued_read_tokens: set[str] | None = None  # tokens webhooks carried; None: accept any
        self.contents: dict[str, tuple[str, bytes]] = {}  # messageId -> (content type, bytes) a fan sent
        self._expired_contents: set[str] = set()
        self._preparing: dict[str, int] = {}  # messageId -> 202 answers left before the content is ready
        self._delivered: list[Request] = []
        self._used_tokens: set[str] = set()
        self._expired_tokens: set[str] = set()
        self._retry_keys: dict[str, tuple[str, list[dict]]] = {}  # key -> (request id, sentMessages)
        self._failures: list[list] = []  # [suffix, status, body, headers, remaining]
        self._delays: dict[str, float] = {}
        self._ids = itertools.count(1)
        self._routes: dict[tuple[str, str], Callable[[Request, str], Reply]] = {
            ("POST", "/v2/bot/message/reply"): self._reply,
            ("POST", "/v2/bot/message/push"): self._push,
            ("POST", "/v2/bot/message/multicast"): self._multicast,
            ("POST", "/v2/bot/message/broadcast"): self._broadcast,
            ("POST", "/v2/bot/chat/loading/start"): self._loading,
            ("POST", "/v2/bot/chat/markAsRead"): self._mark_read,
            ("POST", "/v2/bot/richmenu"): self._create_menu,
            ("POST", "/v2/bot/richmenu/bulk/link"): self._bulk_link,
        }
        self._gets: dict[str, Callable[[Request], Reply]] = {
            "/v2/bot/message/quota": lambda r: (
                200,
                {"type": "limited", "value": self.quota} if self.quota is not None else {"type": "none"},
                {},
            ),
            "/v2/bot/message/quota/consumption": lambda r: (200, {"totalUsage": self.usage}, {}),
            "/v2/bot/insight/followers": self._followers,
            "/v2/bot/info": self._bot_info,
            "/v2/bot/richmenu/list": lambda r: (200, {"richmenus": [self._menu(m) for m in self.menus]}, {}),
            "/v2/bot/user/all/richmenu": lambda r: (
                (200, {"richMenuId": self.default_menu}, {})
                if self.default_menu
                else (404, {"message": "no default richmenu"}, {})
            ),
        }
        # templated paths: (method, regex) -> handler(request, *groups)
        self._templated: list[tuple[str, re.Pattern, Callable]] = [
            ("POST", re.compile(r"^/v2/bot/richmenu/([^/]+)/content$"), self._upload_image),
            ("GET", re.compile(r"^/v2/bot/message/([^/]+)/content$"), self._content),
            ("GET", re.compile(r"^/v2/bot/richmenu/([^/]+)$"), self._get_menu),
            ("DELETE", re.compile(r"^/v2/bot/richmenu/([^/]+)$"), self._delete_menu),
            ("POST", re.compile(r"^/v2/bot/user/all/richmenu/([^/]+)$"), self._set_default),
            ("DELETE", re.compile(r"^/v2/bot/user/all/richmenu$"), self._cancel_default),
            ("POST", re.compile(r"^/v2/bot/user/([^/]+)/richmenu/([^/]+)$"), self._link),
        ]

    # --- what tests read -------------------------------------------------------------
    def replies(self) -> list[dict]:
        return self._bodies("/v2/bot/message/reply")

    def pushes(self) -> list[dict]:
        return self._bodies("/v2/bot/message/push")

    def loadings(self) -> list[dict]:
        return self._bodies("/v2/bot/chat/loading/start")

    def multicasts(self) -> list[dict]:
        return self._bodies("/v2/bot/message/multicast")

    def broadcasts(self) -> list[dict]:
        return self._bodies("/v2/bot/message/broadcast")

    def read_tokens(self) -> list[str]:
        """Every markAsReadToken the bot marked read, in order."""
        return [b["markAsReadToken"] for b in self._bodies("/v2/bot/chat/markAsRead")]

    def menu_of(self, user_id: str) -> str | None:
        """The rich menu this user sees: their own link, else the default."""
        with self._cond:
            return self.user_menus.get(user_id, self.default_menu)

    def links(self) -> list[str]:
        """Paths of every accepted per-user link, in order."""
        with self._cond:
            return [r.path for r in self._delivered if r.path.startswith("/v2/bot/user/U")]

    def sent_texts(self) -> list[str]:
        """Texts of every message delivered by reply or push, in arrival order."""
        with self._cond:
            return [
                m["text"]
                for r in self._delivered
                if r.path in ("/v2/bot/message/reply", "/v2/bot/message/push")
                for m in r.json["messages"]
                if "text" in m
            ]

    def attempts(self, path_suffix: str) -> int:
        """All requests to paths ending with path_suffix, failed ones included."""
        with self._cond:
            return sum(r.path.endswith(path_suffix) for r in self.requests)

    # --- what tests arrange ----------------------------------------------------------
    def fail_next(
        self,
        path_suffix: str,
        status: int,
        body: Any = None,
        count: int = 1,
        headers: dict[str, str] | None = None,
    ) -> None:
        """The next `count` requests to paths ending with path_suffix get this answer instead.

        body: dict -> JSON, str/bytes -> sent as is, None -> {"message": <status phrase>}.
        Failed requests show up in requests/attempts() but never in replies()/pushes().
        """
        if body is None:
            body = {"message": HTTPStatus(status).phrase}
        with self._cond:
            self._failures.append([path_suffix, status, body, dict(headers or {}), count])

    def expire_token(self, token: str) -> None:
        with self._cond:
            self._expired_tokens.add(token)

    def add_content(self, message_id: str, data: bytes, content_type: str = "image/jpeg", *,
                    preparing: int = 0) -> None:  # fmt: skip
        """What a fan sent: ``GET /v2/bot/message/{message_id}/content`` on the data host answers it
        (after ``preparing`` answers of 202, as LINE gives while a voice note is still being prepared)."""
        with self._cond:
            self.contents[message_id] = (content_type, data)
            self._preparing[message_id] = preparing

    def expire_content(self, message_id: str) -> None:
        """LINE no longer keeps it: 410 Gone (a message id LINE never had: 404)."""
        with self._cond:
            self._expired_contents.add(message_id)

    def content_fetches(self) -> list[str]:
        """Message ids whose content was asked for, in order (failed attempts too)."""
        with self._cond:
            return [
                r.path.split("/")[4]
                for r in self.requests
                if re.match(r"^/v2/bot/message/[^/]+/content$", r.path)
            ]

    def delay(self, path_suffix: str, seconds: float) -> None:
        """Answer paths ending with path_suffix `seconds` late, from now on (0 turns it off)."""
        with self._cond:
            self._delays[path_suffix] = seconds

    # --- the server side -------------------------------------------------------------
    def _bodies(self, path: str) -> list[dict]:
        with self._cond:
            return [r.json for r in self._delivered if r.path == path]

    def _deliver(self, req: Request) -> None:
        with self._cond:
            self._delivered.append(req)
            self._cond.notify_all()

    def _handle(self, req: Request) -> Reply:
        with self._cond:
            seconds = max((s for sfx, s in self._delays.items() if req.path.endswith(sfx)), default=0)
        self._pause(seconds)
        request_id = str(uuid.uuid4())
        status, body, headers = self._answer(req, request_id)
        return status, body, {"x-line-request-id": request_id, **headers}

    def _answer(self, req: Request, request_id: str) -> Reply:
        with self._cond:
            for failure in self._failures:
                suffix, status, body, headers, remaining = failure
                if remaining > 0 and req.path.endswith(suffix):
                    failure[4] -= 1
                    return status, body, headers
        if req.headers.get("authorization") != f"Bearer {self.token}":
            return (
                401,
                {
                    "message": "Authentication failed. Confirm that the access token in the "
                    "authorization header is valid."
                },
                {},
            )
        if req.method == "GET" and req.path.startswith("/v2/bot/profile/"):
            return self._profile(req.path.rsplit("/", 1)[1])
        if req.method == "GET" and req.path in self._gets:
            return self._gets[req.path](req)
        for method, regex, handler in self._templated:
            found = regex.match(req.path)
            if method == req.method and found:
                with self._cond:
                    answer = handler(req, *found.groups())
                if answer[0] < 300:
                    self._deliver(req)
                return answer
        route = self._routes.get((req.method, req.path))
        if route is None:
            return 404, {"message": "Not found"}, {}
        if not isinstance(req.json, dict):
            return 400, {"message": "The request body could not be parsed as JSON"}, {}
        return route(req, request_id)

    def _record(self, req: Request) -> None:
        if self.check is not None:
            problems = self.check(req)
            with self._cond:
                self.violations += problems
        super()._record(req)

    def _answered(self, req: Request, status: int, payload: Any) -> None:
        if self.check_answer is not None and isinstance(payload, (dict, list)):
            problems = self.check_answer(req, status, payload)
            with self._cond:
                self.violations += problems

    def _message_errors(self, messages: Any) -> list[dict]:
        if not isinstance(messages, list) or not 1 <= len(messages) <= 5:
            return [{"message": "Size must be between 1 and 5", "property": "messages"}]
        errors = []
        for i, m in enumerate(messages):
            if m.get("type") != "text":
                continue
            text = m.get("text")
            if not text:
                errors.append({"message": "must be specified", "property": f"messages[{i}].text"})
            elif _utf16_len(text) > 5000:
                errors.append(
                    {"message": "Length must be between 0 and 5000", "property": f"messages[{i}].text"}
                )
        return errors

    @staticmethod
    def _bad_request(errors: list[dict]) -> Reply:
        return 400, {"message": f"The request body has {len(errors)} error(s)", "details": errors}, {}

    def _sent(self, messages: list[dict]) -> list[dict]:
        ids = [next(self._ids) for _ in messages]
        return [{"id": str(n), "quoteToken": f"q{n}"} for n in ids]

    def _reply(self, req: Request, request_id: str) -> Reply:
        errors = self._message_errors(req.json.get("messages"))
        if errors:
            return self._bad_request(errors)
        token = req.json.get("replyToken")
        with self._cond:
            if not token or token in self._used_tokens or token in self._expired_tokens:
                return 400, {"message": "Invalid reply token"}, {}
            self._used_tokens.add(token)
            sent = self._sent(req.json["messages"])
        self._deliver(req)
        return 200, {"sentMessages": sent}, {}

    def _push(self, req: Request, request_id: str) -> Reply:
        errors = self._message_errors(req.json.get("messages"))
        if not req.json.get("to"):
            errors.insert(0, {"message": "must be specified", "property": "to"})
        if errors:
            return self._bad_request(errors)
        return self._counted(req, request_id, 1, lambda: {"sentMessages": self._sent(req.json["messages"])})

    def _multicast(self, req: Request, request_id: str) -> Reply:
        errors = self._message_errors(req.json.get("messages"))
        to = req.json.get("to")
        if not isinstance(to, list) or not 1 <= len(to) <= 500:
            errors.insert(0, {"message": "Size must be between 1 and 500", "property": "to"})
        if errors:
            return self._bad_request(errors)
        return self._counted(req, request_id, len(to), lambda: {})

    def _broadcast(self, req: Request, request_id: str) -> Reply:
        errors = self._message_errors(req.json.get("messages"))
        if errors:
            return self._bad_request(errors)
        return self._counted(req, request_id, max(0, (self.followers or 0) - self.blocks), lambda: {})

    def _counted(self, req: Request, request_id: str, recipients: int, body: Callable[[], dict]) -> Reply:
        """A message that counts against the quota: the retry key (409 for one already accepted),
        the monthly limit (429), then acceptance."""
        key = req.headers.get("x-line-retry-key")
        with self._cond:
            if key is not None:
                try:
                    uuid.UUID(key)
                except ValueError:
                    return 400, {"message": "The value for the 'X-Line-Retry-Key' header is invalid"}, {}
                if key in self._retry_keys:
                    accepted_id, answer = self._retry_keys[key]
                    return (
                        409,
                        {"message": "The retry key is already accepted", **answer},
                        {"x-line-accepted-request-id": accepted_id},
                    )
            if self.quota is not None and self.usage + recipients > self.quota:
                return 429, {"message": "You have reached your monthly limit."}, {}
            answer = body()
            self.usage += recipients
            if key is not None:
                self._retry_keys[key] = (request_id, answer)
        self._deliver(req)
        return 200, answer, {}

    # --- insight and rich menus ------------------------------------------------------------------
    def _followers(self, req: Request) -> Reply:
        if self.followers is None:
            return 200, {"status": "unready"}, {}
        return 200, {"status": "ready", "followers": self.followers, "targetedReaches": self.followers // 2,
                     "blocks": self.blocks}, {}  # fmt: skip

    def _menu(self, menu_id: str) -> dict:
        return {"richMenuId": menu_id, **self.menus[menu_id]}

    def _create_menu(self, req: Request, request_id: str) -> Reply:
        menu = req.json
        errors = []
        if menu.get("size") not in RICH_MENU_SIZES:
            errors.append({"message": "size must be 2500x1686 or 2500x843", "property": "size"})
        areas = menu.get("areas") or []
        if not 1 <= len(areas) <= 20:
            errors.append({"message": "Size must be between 1 and 20", "property": "areas"})
        size = menu.get("size") or {}
        for i, area in enumerate(areas):
            b = area.get("bounds") or {}
            if b.get("x", 0) + b.get("width", 0) > size.get("width", 0) or b.get("y", 0) + b.get(
                "height", 0
            ) > size.get("height", 0):
                errors.append({"message": "area out of the menu", "property": f"areas[{i}].bounds"})
        for key in ("name", "chatBarText"):
            if not menu.get(key):
                errors.append({"message": "must be specified", "property": key})
        if errors:
            return self._bad_request(errors)
        menu_id = f"richmenu-{uuid.uuid4().hex}"
        with self._cond:
            self.menus[menu_id] = copy.deepcopy(menu)
        self._deliver(req)
        return 200, {"richMenuId": menu_id}, {}

    def _upload_image(self, req: Request, menu_id: str) -> Reply:
        if menu_id not in self.menus:
            return 404, {"message": "Not found"}, {}
        if menu_id in self.images:
            return 400, {"message": "An image has already been uploaded to the richmenu"}, {}
        kind = req.headers.get("content-type", "")
        if kind not in ("image/png", "image/jpeg") or not req.raw or len(req.raw) > 1024 * 1024:
            return 400, {"message": "invalid image"}, {}
        self.images[menu_id] = (kind, req.raw)
        return 200, {}, {}

    def _content(self, req: Request, message_id: str) -> Reply:
        if message_id in self._expired_contents:
            return 410, {"message": "Gone"}, {}
        if message_id not in self.contents:
            return 404, {"message": "Not found"}, {}
        if self._preparing.get(message_id, 0) > 0:
            self._preparing[message_id] -= 1
            return 202, b"", {}
        kind, data = self.contents[message_id]
        return 200, data, {"Content-Type": kind}

    def _get_menu(self, req: Request, menu_id: str) -> Reply:
        if menu_id not in self.menus:
            return 404, {"message": "Not found"}, {}
        return 200, self._menu(menu_id), {}

    def _delete_menu(self, req: Request, menu_id: str) -> Reply:
        if self.menus.pop(menu_id, None) is None:
            return 404, {"message": "Not found"}, {}
        self.images.pop(menu_id, None)
        self.user_menus = {u: m for u, m in self.user_menus.items() if m != menu_id}
        if self.default_menu == menu_id:
            self.default_menu = None
        return 200, {}, {}

    def _usable(self, menu_id: str) -> Reply | None:
        if menu_id not in self.menus:
            return 404, {"message": "richmenu not found"}, {}
        if menu_id not in self.images:
            return 400, {"message": "must upload richmenu image before applying it to user"}, {}
        return None

    def _set_default(self, req: Request, menu_id: str) -> Reply:
        problem = self._usable(menu_id)
        if problem:
            return problem
        self.default_menu = menu_id
        return 200, {}, {}

    def _cancel_default(self, req: Request) -> Reply:
        self.default_menu = None
        return 200, {}, {}

    def _link(self, req: Request, user_id: str, menu_id: str) -> Reply:
        problem = self._usable(menu_id)
        if problem:
            return problem
        self.user_menus[user_id] = menu_id
        return 200, {}, {}

    def _bulk_link(self, req: Request, request_id: str) -> Reply:
        menu_id, users = req.json.get("richMenuId"), req.json.get("userIds") or []
        with self._cond:
            problem = self._usable(menu_id)
            if problem:
                return problem
            if not 1 <= len(users) <= 500:
                return self._bad_request(
                    [{"message": "Size must be between 1 and 500", "property": "userIds"}]
                )
            for user in users:
                self.user_menus[user] = menu_id
        self._deliver(req)
        return 202, {}, {}

    def _loading(self, req: Request, request_id: str) -> Reply:
        seconds = req.json.get("loadingSeconds", 20)
        errors = []
        if not req.json.get("chatId"):
            errors.append({"message": "must be specified", "property": "chatId"})
        if not isinstance(seconds, int) or seconds % 5 or not 5 <= seconds <= 60:
            errors.append(
                {"message": "must be a multiple of 5 between 5 and 60", "property": "loadingSeconds"}
            )
        if errors:
            return self._bad_request(errors)
        self._deliver(req)
        return 202, {}, {}

    def _bot_info(self, req: Request) -> Reply:
        """LINE answers ``manual`` exactly when Chat is on in the Official Account Manager."""
        chat = "chat" if self.read_mode == "manual" else "bot"
        return 200, {"userId": "Ubot0000000000000000000000000000", "basicId": "@botan", "displayName": "botan-line",
                     "chatMode": chat, "markAsReadMode": self.read_mode}, {}  # fmt: skip

    def _mark_read(self, req: Request, request_id: str) -> Reply:
        token = req.json.get("markAsReadToken")
        if not isinstance(token, str) or not token:
            return self._bad_request([{"message": "must be specified", "property": "markAsReadToken"}])
        with self._cond:
            known = self.issued_read_tokens
        if known is not None and token not in known:
            return 400, {"message": "Invalid markAsReadToken"}, {}
        self._deliver(req)
        return 200, {}, {}

    def _profile(self, user_id: str) -> Reply:
        with self._cond:
            profile = self.profiles.get(user_id)
        if profile is None:
            profile = {"displayName": "テスト太郎", "userId": user_id, "language": "ja"}
        return 200, profile, {}


def _default_line(body: dict) -> str:
    return "そうなんだ、もっと聞かせて！"


_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    404: "invalid_request_error",
    429: "rate_limit_exceeded",
    500: "server_error",
    503: "server_error",
}


@dataclass(frozen=True)
class FakeModelSpec:
    """How one model of FakeOpenAI behaves, written from OpenAI's model pages (December 2026), not
    from the bot's own profiles: what it refuses, what it spends reasoning, when it shuts down."""

    reasoning: bool = False
    efforts: tuple[str, ...] = ()  # accepted reasoning_effort values; () = the parameter is refused
    default_effort: str | None = None
    sampling: str = "always"  # always | at_none | never (temperature/top_p other than 1)
    shutdown_date: str | None = None
    cache_writes: bool = False  # bills prompt tokens written to the cache (the gpt-6 generation)
    images: bool = True  # takes image parts (every chat model listed here does)
    image_tokens: int | None = None  # per image at detail low where OpenAI gives a fixed figure; else patches
    structured: bool = True  # keeps to a JSON schema (response_format json_schema): every model listed here


_GPT6 = ("none", "low", "medium", "high", "xhigh", "max")
FAKE_MODELS: dict[str, FakeModelSpec] = {
    "gpt-6-luna": FakeModelSpec(True, _GPT6, "medium", "at_none", None, True),
    "gpt-6-sol": FakeModelSpec(True, _GPT6, "medium", "at_none", None, True),
    "gpt-6.1-sol": FakeModelSpec(True, _GPT6[1:], "medium", "never", None, True),
    "gpt-6.2-sol": FakeModelSpec(True, _GPT6[1:], "medium", "never", None, True),
    "gpt-5": FakeModelSpec(True, ("minimal", "low", "medium", "high"), "medium", "never", "2026-12-11"),
    "gpt-5-mini": FakeModelSpec(True, ("minimal", "low", "medium", "high"), "medium", "never", "2026-12-11"),
    "gpt-4o": FakeModelSpec(shutdown_date="2027-01-14", image_tokens=85),
    "gpt-4o-mini": FakeModelSpec(shutdown_date="2027-01-14", image_tokens=2833),
    "gpt-4.1": FakeModelSpec(shutdown_date="2027-01-14"),
    "gpt-4.1-mini": FakeModelSpec(shutdown_date="2027-01-14"),
    "omni-moderation-latest": FakeModelSpec(),
    "gpt-transcribe": FakeModelSpec(),
    "whisper-1": FakeModelSpec(shutdown_date="2027-02-26"),
    "gpt-4o-transcribe": FakeModelSpec(shutdown_date="2027-02-26"),
    "gpt-4o-mini-transcribe": FakeModelSpec(shutdown_date="2027-02-26"),
}
# Reasoning tokens the fake spends per reply at each effort (our assumption; OpenAI says a one-line
# reply can spend hundreds at the default, medium)
REASONING_SPENT = {
    "none": 0,
    "minimal": 12,
    "low": 90,
    "medium": 420,
    "high": 1400,
    "xhigh": 2800,
    "max": 5600,
}


def _spec_of(model: str, catalogue: dict[str, FakeModelSpec]) -> FakeModelSpec | None:
    """A model's spec: its own or a dated snapshot's (gpt-4o-mini-2024-07-18); None: unknown, lenient."""
    if model in catalogue:
        return catalogue[model]
    known = [m for m in catalogue if model.startswith(m + "-")]
    return catalogue[max(known, key=len)] if known else None


def refusal(body: dict, spec: FakeModelSpec | None) -> tuple[str, str, str] | None:
    """(code, param, message) of the 400 OpenAI answers to this request, or None: as the reasoning
    models answer (their error shapes as the API gives them)."""
    if spec is None:
        return None  # a model the fake does not know: a lenient local server
    effort = body.get("reasoning_effort")
    if effort is not None and not spec.efforts:
        return ("unsupported_parameter", "reasoning_effort",
                "Unsupported parameter: 'reasoning_effort' is not supported with this model.")  # fmt: skip
    if effort is not None and effort not in spec.efforts:
        listed = ", ".join(f"'{e}'" for e in spec.efforts[:-1]) + f", and '{spec.efforts[-1]}'"
        return ("unsupported_value", "reasoning_effort",
                f"Unsupported value: 'reasoning_effort' does not support '{effort}' with this model. "
                f"Supported values are: {listed}.")  # fmt: skip
    if spec.reasoning and "max_tokens" in body:
        return ("unsupported_parameter", "max_tokens",
                "Unsupported parameter: 'max_tokens' is not supported with this model. "
                "Use 'max_completion_tokens' instead.")  # fmt: skip
    problem = _schema_problem(body.get("response_format"), spec)
    if problem is not None:
        return problem
    effort = effort or spec.default_effort
    sampled = spec.sampling == "always" or (spec.sampling == "at_none" and effort == "none")
    for param in ("temperature", "top_p"):
        value = body.get(param)
        if value is not None and value != 1 and not sampled:
            return ("unsupported_value", param,
                    f"Unsupported value: '{param}' does not support {value} with this model. "
                    "Only the default (1) value is supported.")  # fmt: skip
    return None


def _schema_problem(fmt: object, spec: FakeModelSpec) -> tuple[str, str, str] | None:
    """The 400 a ``response_format`` earns: a model that does not keep to schemas, or a strict schema
    OpenAI would refuse (every property required, no others allowed)."""
    if fmt is None:
        return None
    if not spec.structured:
        return ("unsupported_parameter", "response_format",
                "Unsupported parameter: 'response_format' of type 'json_schema' is not supported with this model.")  # fmt: skip
    if not isinstance(fmt, dict) or fmt.get("type") != "json_schema":
        return ("invalid_value", "response_format.type", "Invalid value: only 'json_schema' is simulated.")
    spec_ = fmt.get("json_schema") or {}
    schema = spec_.get("schema") or {}
    props = set((schema.get("properties") or {}).keys())
    if spec_.get("strict") and (
        set(schema.get("required") or ()) != props or schema.get("additionalProperties") is not False
    ):
        return ("invalid_json_schema", "response_format",
                "Invalid schema for response_format: In context=(), 'required' is required to be supplied and "
                "to be an array including every key in properties; 'additionalProperties' must be false.")  # fmt: skip
    return None


@dataclass
class Scripted:
    """One answer of FakeOpenAI; see FakeOpenAI.queue."""

    content: str = ""
    prompt_tokens: int | None = None  # None: counted (prompt_cache on) or 100
    completion_tokens: int = 20
    status: int = 200
    delay: float = 0.0
    raw: str | None = None
    model: str | None = None
    finish_reason: str = "stop"
    headers: dict[str, str] = field(default_factory=dict)
    gate: threading.Event | None = None
    cached_tokens: int | None = None  # None: simulated (prompt_cache on) or 0
    cache_write_tokens: int | None = None  # None: simulated (prompt_cache on, a model that bills writes) or 0
    reasoning_tokens: int | None = None  # None: what the model's effort spends (REASONING_SPENT)
    error_code: str | None = None  # with status >= 400: the error's code and param
    error_param: str | None = None
    risk: str = "none"  # the model's reading, when the request asked for a structured reply


CACHE_MIN_TOKENS, CACHE_STEP = 1024, 128  # OpenAI's automatic prompt caching (DESIGN §8)


def prompt_tokens_of(body: dict, spec: FakeModelSpec | None = None) -> str:
    """The fake's tokenizer, as a string with one character per token: two tokens open each
    message (a marker and its role), then one token per character of its content; an image part
    counts what the model bills for it (:func:`image_tokens`)."""
    parts = []
    for m in body.get("messages") or []:
        if isinstance(m, dict):
            content = m.get("content") or ""
            if isinstance(content, list):
                text = "".join(
                    p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text"
                )
                text += "".join("\ue002" * image_tokens(p, spec) for p in content
                                if isinstance(p, dict) and p.get("type") == "image_url")  # fmt: skip
                content = text
            parts.append(f"\ue001{str(m.get('role'))[:1]}{content}")
    return "".join(parts)


def jpeg_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a JPEG's frame header, or None when ``data`` is not a JPEG."""
    if data[:2] != b"\xff\xd8":
        return None
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:
            i += 1
            continue
        if marker in (0x01, 0xD8) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            return int.from_bytes(data[i + 7 : i + 9], "big"), int.from_bytes(data[i + 5 : i + 7], "big")
        i += 2 + int.from_bytes(data[i + 2 : i + 4], "big")
    return None


def decode_image_url(url: str) -> tuple[int, int] | None:
    """The size of the JPEG in a ``data:image/jpeg;base64,…`` URL (None: not one)."""
    prefix = "data:image/jpeg;base64,"
    if not isinstance(url, str) or not url.startswith(prefix):
        return None
    try:
        return jpeg_size(base64.b64decode(url[len(prefix) :], validate=True))
    except (binascii.Error, ValueError):
        return None


def image_tokens(part: dict, spec: FakeModelSpec | None) -> int:
    """What one image part costs: the model's fixed figure at detail low, else one token per 32×32
    patch (at most 1,536), as OpenAI's vision guide gives them."""
    if (
        spec is not None
        and spec.image_tokens is not None
        and (part.get("image_url") or {}).get("detail") == "low"
    ):
        return spec.image_tokens
    size = decode_image_url((part.get("image_url") or {}).get("url", "")) or (512, 512)
    return min(1536, -(-size[0] // 32) * -(-size[1] // 32))


def _common(a: str, b: str) -> int:
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:  # the longest k with a[:k] == b[:k]: slices compare in C
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def cached_prefix(tokens: str, earlier: list[str]) -> int:
    """What the provider would serve from its cache: the longest prefix shared with an earlier
    prompt, counted from 1,024 tokens in 128-token steps (0 below 1,024)."""
    best = max((_common(tokens, seen) for seen in earlier), default=0)
    if best < CACHE_MIN_TOKENS:
        return 0
    return CACHE_MIN_TOKENS + (best - CACHE_MIN_TOKENS) // CACHE_STEP * CACHE_STEP


MODERATION_CATEGORIES = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/instructions",
    "self-harm/intent",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)


IMAGE_CATEGORIES = ("self-harm", "self-harm/instructions", "self-harm/intent", "sexual", "violence",
                    "violence/graphic")  # fmt: skip
TRANSCRIPTION_FORMATS = ("flac", "mp3", "mp4", "mpeg", "mpga", "m4a", "ogg", "wav", "webm")
VOICE_MARK = b"\x00botan-voice:"  # what the fake transcription "hears" follows this in the audio


def voice(words: str, seconds: float = 8.0) -> bytes:
    """A voice note as LINE serves it (an m4a's first box) carrying ``words`` for the fake to hear."""
    header = b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00M4A mp42isom\x00\x00\x00\x00"
    return header + b"\x00" * int(seconds * 100) + VOICE_MARK + words.encode("utf-8")


@dataclass
class ScriptedTranscript:
    """One answer of FakeOpenAI's transcription endpoint; see FakeOpenAI.queue_transcript."""

    text: str = ""
    status: int = 200
    delay: float = 0.0
    message: str = ""
    param: str | None = None


@dataclass
class ScriptedModeration:
    """One answer of FakeOpenAI's moderation endpoint; see FakeOpenAI.queue_moderation."""

    scores: dict[str, float] = field(default_factory=dict)
    status: int = 200
    delay: float = 0.0
    raw: str | None = None
    message: str = ""


class FakeOpenAI(_FakeServer):
    """POST {base}/chat/completions and {base}/moderations, each answered from its own script queue,
    then from a default (``default(body)`` for chat; near-zero scores for moderation). With
    ``prompt_cache`` it reports ``cached_tokens`` the way the provider's prompt cache would.

    ``prompt_cache=True`` behaves like OpenAI's automatic prompt caching: prompt tokens are counted
    by the fake's tokenizer (:func:`prompt_tokens_of`, one per character) and
    ``usage.prompt_tokens_details.cached_tokens`` is the prefix shared with one of the last 256
    requests to the same model (:func:`cached_prefix`). A scripted ``prompt_tokens``/``cached_tokens`` wins."""

    def __init__(
        self,
        default: Callable[[dict], str] = _default_line,
        api_key: str | None = None,
        prompt_cache: bool = False,
        models: dict[str, FakeModelSpec] | None = None,
    ) -> None:
        super().__init__()
        self.default = default
        self.api_key = api_key  # None: accept any key
        self.prompt_cache = prompt_cache
        self.models = dict(FAKE_MODELS if models is None else models)  # what the API knows of each model
        self.retired: set[str] = set()  # 404 model_not_found for these (chat and /v1/models/{id})
        self._script: list[Scripted] = []
        self._moderation_script: list[ScriptedModeration] = []
        self._ids = itertools.count(1)
        self._prompts: dict[str, list[str]] = {}  # model → prompts the simulated cache has seen
        self._statuses: list[tuple[Request, int]] = []  # each request with the status it was answered
        self._transcript_script: list[ScriptedTranscript] = []
        self.images_seen: list[tuple[int, int]] = []  # (width, height) of every image part in a chat request

    def queue_moderation(
        self,
        scores: dict[str, float] | None = None,
        *,
        status: int = 200,
        delay: float = 0.0,
        raw: str | None = None,
        message: str = "",
    ) -> None:
        """Script the next moderation answer: scores by category as the API names them ("self-harm/intent");
        unnamed categories score near zero. status >= 400: an OpenAI error JSON; raw: the exact body."""
        unknown = set(scores or {}) - set(MODERATION_CATEGORIES)
        if unknown:
            raise ValueError(f"not moderation categories: {sorted(unknown)}")
        with self._cond:
            self._moderation_script.append(
                ScriptedModeration(dict(scores or {}), status, delay, raw, message)
            )

    def moderations(self) -> list[dict]:
        """Parsed bodies of the moderation requests (model, input)."""
        with self._cond:
            return [r.json for r in self.requests if r.path.endswith("/moderations")]

    def image_moderations(self) -> list[dict]:
        """The moderation requests whose input holds an image."""
        return [b for b in self.moderations() if isinstance(b.get("input"), list)
                and any(isinstance(i, dict) and i.get("type") == "image_url" for i in b["input"])]  # fmt: skip

    def queue_transcript(
        self,
        text: str = "",
        *,
        status: int = 200,
        delay: float = 0.0,
        message: str = "",
        param: str | None = None,
    ) -> None:
        """Script the next transcription: what it heard (``text``), or an OpenAI error (status >= 400,
        naming ``param``). Unscripted, the fake hears what :func:`voice` wrote into the audio."""
        with self._cond:
            self._transcript_script.append(ScriptedTranscript(text, status, delay, message, param))

    def transcriptions(self) -> list[dict]:
        """Each transcription upload as the fake read it: model, language, filename, size in bytes."""
        with self._cond:
            found = [r for r in self.requests if r.path.endswith("/audio/transcriptions")]
        return [self._form(r)[0] for r in found]

    def queue(
        self,
        content: str = "",
        *,
        prompt_tokens: int | None = None,
        completion_tokens: int = 20,
        status: int = 200,
        delay: float = 0.0,
        raw: str | None = None,
        model: str | None = None,
        finish_reason: str = "stop",
        headers: dict[str, str] | None = None,
        gate: threading.Event | None = None,
        cached_tokens: int | None = None,
        error_code: str | None = None,
        error_param: str | None = None,
        risk: str = "none",
    ) -> None:
        """Script the next answer. risk: the model's reading when the request asks for a structured
        reply (its ``content`` then goes out as ``{"reply": content, "risk": risk}``). raw: a str sent as the exact body; model: None echoes the
        request's; status >= 400: an OpenAI error JSON whose message is `content` (headers given
        here replace the default 429 retry hints); gate: the answer waits until the test sets this
        event (no sleeping in tests); cached_tokens: reported as
        usage.prompt_tokens_details.cached_tokens (None: simulated when prompt_cache is on, else 0)."""
        step = Scripted(
            content,
            prompt_tokens,
            completion_tokens,
            status,
            delay,
            raw,
            model,
            finish_reason,
            gate=gate,
            cached_tokens=cached_tokens,
            error_code=error_code,
            error_param=error_param,
            risk=risk,
        )
        step.headers.update(headers or {})
        with self._cond:
            self._script.append(step)

    def calls(self) -> list[dict]:
        """Parsed bodies of the chat completion requests (model, messages, temperature, ...)."""
        with self._cond:
            return [r.json for r in self.requests if r.path.endswith("/chat/completions")]

    def answered_calls(self) -> list[dict]:
        """The chat requests the fake answered with a completion (not refused with a 400 or 404)."""
        with self._cond:
            return [
                r.json
                for r, status in self._statuses
                if r.path.endswith("/chat/completions") and status == 200
            ]

    def retire(self, model: str) -> None:
        """The model is shut down: chat and ``/v1/models/{id}`` answer 404 ``model_not_found``."""
        with self._cond:
            self.retired.add(model)

    def set_shutdown(self, model: str, date: str | None) -> None:
        """Announce (or withdraw) a model's shutdown date in ``/v1/models``."""
        with self._cond:
            spec = _spec_of(model, self.models) or FakeModelSpec()
            self.models[model] = replace(spec, shutdown_date=date)

    def _answered(self, req: Request, status: int, payload: Any) -> None:
        with self._cond:
            self._statuses.append((req, status))

    def _handle(self, req: Request) -> Reply:
        routes = ("/v1/chat/completions", "/chat/completions", "/v1/moderations", "/moderations",
                  "/v1/audio/transcriptions", "/audio/transcriptions")  # fmt: skip
        if self.api_key is not None and req.headers.get("authorization") != f"Bearer {self.api_key}":
            return self._error(401, "Incorrect API key provided.")
        if req.method == "GET" and re.fullmatch(r"(/v1)?/models(/[^/]+)?", req.path):
            return self._models(req.path.split("/models", 1)[1].lstrip("/"))
        if req.method != "POST" or req.path not in routes:
            return self._error(404, f"Unknown request URL: {req.method} {req.path}.")
        body = req.json if isinstance(req.json, dict) else {}
        if req.path.endswith("/moderations"):
            return self._moderate(body)
        if req.path.endswith("/audio/transcriptions"):
            return self._transcribe(req)
        model = str(body.get("model"))
        if model in self.retired:
            return self._error(404, f"The model `{model}` does not exist or you do not have access to it.",
                               code="model_not_found")  # fmt: skip
        spec = _spec_of(model, self.models)
        refused = refusal(body, spec)
        if refused is not None:
            code, param, message = refused
            return self._error(400, message, code=code, param=param)
        problem = self._images(body, spec)
        if problem is not None:
            return self._error(400, problem, code="invalid_image", param="messages")
        with self._cond:
            step = self._script.pop(0) if self._script else None
        if step is None:
            content = self.default(body)
            if self.prompt_cache:  # the fake's tokenizer: one token per character
                step = Scripted(content, prompt_tokens=None, completion_tokens=len(content))
            else:
                prompt_tokens = self._plain_prompt_tokens(body, spec)
                step = Scripted(content, prompt_tokens=prompt_tokens, completion_tokens=len(content) // 2)
        self._pause(step.delay)
        while step.gate is not None and not step.gate.wait(0.05) and not self._stopped.is_set():
            pass
        if step.raw is not None:
            return step.status, step.raw, step.headers
        if step.status >= 400:
            status, payload, headers = self._error(
                step.status, step.content or None, step.error_code, step.error_param
            )
            if any(k.lower().startswith("retry-after") for k in step.headers):
                headers = {k: v for k, v in headers.items() if not k.startswith("retry-after")}
            return status, payload, {**headers, **step.headers}
        prompt_tokens, cached, written = self._usage(body, step, spec)
        reasoning = step.reasoning_tokens
        if reasoning is None:
            effort = body.get("reasoning_effort") or (spec.default_effort if spec else None)
            reasoning = REASONING_SPENT.get(effort, 0) if spec and spec.reasoning else 0
        content, finish = step.content, step.finish_reason
        if spec is not None and body.get("response_format") is not None:  # a local server ignores it
            content = json.dumps({"reply": content, "risk": step.risk}, ensure_ascii=False)
        cap = body.get("max_completion_tokens") or body.get("max_tokens")
        completion_tokens = step.completion_tokens + reasoning
        if isinstance(cap, int) and completion_tokens > cap:  # the cap ran out, reasoning first
            content = "" if reasoning >= cap else content
            completion_tokens, finish = cap, "length"
        n = next(self._ids)
        message = {"role": "assistant", "content": content}
        completion = {
            "id": f"chatcmpl-fake{n}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": step.model or body.get("model", "gpt-fake"),
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
                "prompt_tokens_details": {
                    "cached_tokens": cached,
                    "cache_write_tokens": written,
                    "audio_tokens": 0,
                },
                "completion_tokens_details": {"reasoning_tokens": min(reasoning, completion_tokens)},
            },
        }
        return 200, completion, {"x-request-id": f"req_fake{n}", **step.headers}

    def _usage(self, body: dict, step: Scripted, spec: FakeModelSpec | None) -> tuple[int, int, int]:
        """(prompt_tokens, cached_tokens, cache_write_tokens) for this answer; the simulated cache
        learns the prompt (a model that bills writes reports what it wrote: the cacheable part of a
        prompt it had not cached)."""
        written = step.cache_write_tokens or 0
        if not self.prompt_cache:
            return (
                (100 if step.prompt_tokens is None else step.prompt_tokens),
                step.cached_tokens or 0,
                written,
            )
        tokens = prompt_tokens_of(body, spec)
        with self._cond:  # a cache per model, as the provider keeps
            seen = self._prompts.setdefault(str(body.get("model")), [])
            cached = cached_prefix(tokens, seen)
            seen[:] = [*seen[-255:], tokens]
        prompt_tokens = len(tokens) if step.prompt_tokens is None else step.prompt_tokens
        cached = min(cached if step.cached_tokens is None else step.cached_tokens, prompt_tokens)
        if step.cache_write_tokens is None and spec is not None and spec.cache_writes:
            written = max(0, cached_prefix(tokens, [tokens]) - cached)
        return prompt_tokens, cached, min(written, prompt_tokens - cached)

    def _images(self, body: dict, spec: FakeModelSpec | None) -> str | None:
        """Image parts as the chat API checks them (the message of its 400, or None): a model that
        takes images, a ``data:image/jpeg;base64`` URL of a real JPEG, a known detail."""
        for m in body.get("messages") or []:
            content = m.get("content") if isinstance(m, dict) else None
            if not isinstance(content, list):
                continue
            for part in content:
                kind = part.get("type") if isinstance(part, dict) else None
                if kind == "text" and isinstance(part.get("text"), str):
                    continue
                if kind != "image_url":
                    return f"Invalid content part type: {kind!r}"
                if spec is not None and not spec.images:
                    return "Invalid content type. image_url is only supported by certain models."
                image = part.get("image_url") or {}
                size = decode_image_url(image.get("url", ""))
                if size is None:
                    return "You uploaded an unsupported image. Please make sure your image is valid."
                if image.get("detail", "auto") not in ("low", "high", "auto"):
                    return "Invalid value for detail"
                with self._cond:
                    self.images_seen.append(size)
        return None

    @staticmethod
    def _plain_prompt_tokens(body: dict, spec: FakeModelSpec | None) -> int:
        """Without the simulated cache: a quarter of the messages' JSON, image parts at their price."""
        plain, images = [], 0
        for m in body.get("messages") or []:
            content = m.get("content") if isinstance(m, dict) else None
            if isinstance(content, list):
                images += sum(image_tokens(p, spec) for p in content if p.get("type") == "image_url")
                m = {**m, "content": "".join(p.get("text", "") for p in content if p.get("type") == "text")}
            plain.append(m)
        return len(json.dumps(plain)) // 4 + images

    @staticmethod
    def _form(req: Request) -> tuple[dict, bytes]:
        """A multipart upload's fields (and its file's bytes): what the transcription endpoint reads."""
        head = f"Content-Type: {req.headers.get('content-type', '')}\r\n\r\n".encode()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + req.raw)
        fields: dict = {}
        data = b""
        if message.is_multipart():
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                payload = part.get_payload(decode=True) or b""
                if part.get_filename() is not None:
                    fields["filename"], fields["size"], data = part.get_filename(), len(payload), payload
                elif name:
                    fields[name] = payload.decode("utf-8", "replace")
        return fields, data

    def _transcribe(self, req: Request) -> Reply:
        """``POST /v1/audio/transcriptions`` as OpenAI answers it: a known transcription model, a file
        in a format it takes, at most 25 MB; the text it heard."""
        fields, data = self._form(req)
        model = fields.get("model", "")
        with self._cond:
            step = self._transcript_script.pop(0) if self._transcript_script else None
        if model in self.retired or model not in self.models:
            return self._error(404, f"The model `{model}` does not exist or you do not have access to it.",
                               code="model_not_found")  # fmt: skip
        name = fields.get("filename") or ""
        if not data:
            return self._error(400, "[] is too short - 'file'", param="file")
        if len(data) > 25 * 1024 * 1024:
            return self._error(400, "Maximum content size limit (26214400) exceeded.", param="file")
        if name.rsplit(".", 1)[-1].lower() not in TRANSCRIPTION_FORMATS:
            return self._error(400, f"Invalid file format. Supported formats: {list(TRANSCRIPTION_FORMATS)}",
                               param="file")  # fmt: skip
        if step is not None:
            self._pause(step.delay)
            if step.status >= 400:
                return self._error(step.status, step.message or None, param=step.param)
            text = step.text
        else:
            text = data.split(VOICE_MARK, 1)[1].decode("utf-8", "replace") if VOICE_MARK in data else ""
        n = next(self._ids)
        return (
            200,
            {"text": text, "usage": {"type": "duration", "seconds": 8}},
            {"x-request-id": f"req_fake{n}"},
        )

    def _models(self, model_id: str) -> Reply:
        """``GET /v1/models`` and ``/v1/models/{id}``, with each model's ``shutdown_date``."""

        def card(name: str, spec: FakeModelSpec | None) -> dict:
            date = spec.shutdown_date if spec else None
            return {"id": name, "object": "model", "created": 1_750_000_000, "owned_by": "system",
                    "shutdown_date": date}  # fmt: skip

        with self._cond:
            if not model_id:
                cards = [card(m, spec) for m, spec in self.models.items() if m not in self.retired]
                return 200, {"object": "list", "data": cards}, {}
            if model_id in self.retired:
                return self._error(404, f"The model `{model_id}` does not exist or you do not have access to it.",
                                   code="model_not_found")  # fmt: skip
            return 200, card(model_id, _spec_of(model_id, self.models)), {}

    def _moderate(self, body: dict) -> Reply:
        with self._cond:
            step = self._moderation_script.pop(0) if self._moderation_script else ScriptedModeration()
        self._pause(step.delay)
        if step.raw is not None:
            return step.status, step.raw, {}
        if step.status >= 400:
            return self._error(step.status, step.message or None)
        inputs = body.get("input")
        if not inputs:
            return self._error(400, "[] is too short - 'input'")
        n = next(self._ids)
        parts = inputs if isinstance(inputs, list) else [inputs]
        image = any(isinstance(p, dict) and p.get("type") == "image_url" for p in parts)
        text = any(isinstance(p, str) or (isinstance(p, dict) and p.get("type") == "text") for p in parts)
        for p in parts:
            if isinstance(p, dict) and p.get("type") == "image_url":
                if decode_image_url((p.get("image_url") or {}).get("url", "")) is None:
                    return self._error(400, "Invalid image.", param="input")
        # an image is scored for the image categories only; sexual/minors and the rest read text
        scores = {c: (step.scores.get(c, 1e-5) if text or c in IMAGE_CATEGORIES else 0.0)
                  for c in MODERATION_CATEGORIES}  # fmt: skip
        categories = {c: s >= 0.5 for c, s in scores.items()}
        applied = {c: (["text"] if text else []) + (["image"] if image and c in IMAGE_CATEGORIES else [])
                   for c in MODERATION_CATEGORIES}  # fmt: skip
        result = {
            "flagged": any(categories.values()),
            "categories": categories,
            "category_scores": scores,
            "category_applied_input_types": applied,
        }
        count = 1 if image else len(inputs) if isinstance(inputs, list) else 1
        model = body.get("model") or "omni-moderation-latest"
        if model == "omni-moderation-latest":
            model = "omni-moderation-2024-09-26"  # the API answers with the dated snapshot
        return (
            200,
            {"id": f"modr-fake{n}", "model": model, "results": [result] * count},
            {"x-request-id": f"req_fake{n}"},
        )

    @staticmethod
    def _error(
        status: int, message: str | None = None, code: str | None = None, param: str | None = None
    ) -> Reply:
        err_type = _ERROR_TYPES.get(status, "api_error")
        body = {
            "error": {
                "message": message or HTTPStatus(status).phrase,
                "type": err_type,
                "param": param,
                "code": code or (err_type if status == 429 else None),
            }
        }
        # retry-after-ms wins over retry-after in the openai client: a retrying client waits 1 ms.
        headers = {"retry-after": "0", "retry-after-ms": "1"} if status == 429 else {}
        return status, body, headers


# --- webhook side: signatures and event builders ---------------------------------------


def sign(body: bytes, secret: str) -> str:
    """The X-Line-Signature LINE would send: base64(HMAC-SHA256(channel secret, raw body))."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _new_id() -> str:
    return uuid.uuid4().hex.upper()[:26]


def _event(
    type_: str,
    user_id: str,
    *,
    event_id: str | None = None,
    timestamp_ms: int | None = None,
    reply_token: str | None = None,
    redelivery: bool = False,
    mode: str = "active",
    source_type: str = "user",
    group_id: str | None = None,
    replyable: bool = True,
    **fields: Any,
) -> dict:
    if source_type == "user":
        source = {"type": "user", "userId": user_id}
    elif source_type == "group":
        source = {"type": "group", "groupId": group_id or "Cgroup1", "userId": user_id}
    elif source_type == "room":
        source = {"type": "room", "roomId": group_id or "Rroom1", "userId": user_id}
    else:
        raise ValueError(f"source_type must be user, group or room, not {source_type!r}")
    event = {
        "type": type_,
        "mode": mode,
        "timestamp": timestamp_ms if timestamp_ms is not None else int(time.time() * 1000),
        "source": source,
        "webhookEventId": event_id or _new_id(),
        "deliveryContext": {"isRedelivery": redelivery},
    }
    if replyable:
        event["replyToken"] = reply_token or uuid.uuid4().hex
    event.update(fields)
    return event


def _message_id() -> str:
    return str(uuid.uuid4().int % 10**18)


def text_event(text: str, user_id: str = "Utest1", *, mentioned_self: bool = False, **common: Any) -> dict:
    """common: event_id, timestamp_ms, reply_token, redelivery, mode, source_type, group_id."""
    message = {"id": _message_id(), "type": "text", "text": text, "quoteToken": "q" + _new_id(),
               "markAsReadToken": "r" + _new_id()}  # fmt: skip
    if mentioned_self:
        message["mention"] = {
            "mentionees": [{"index": 0, "length": 4, "type": "user", "userId": "Ubot", "isSelf": True}]
        }
    return _event("message", user_id, message=message, **common)


def sticker_event(
    user_id: str = "Utest1", *, package_id: str = "446", sticker_id: str = "1988", **common: Any
) -> dict:
    message = {
        "id": _message_id(),
        "type": "sticker",
        "packageId": package_id,
        "stickerId": sticker_id,
        "stickerResourceType": "STATIC",
        "keywords": ["happy"],
        "quoteToken": "q" + _new_id(),
        "markAsReadToken": "r" + _new_id(),
    }
    return _event("message", user_id, message=message, **common)


_MEDIA = {
    "image": {"contentProvider": {"type": "line"}},
    "video": {"duration": 6000, "contentProvider": {"type": "line"}},
    "audio": {"duration": 6000, "contentProvider": {"type": "line"}},
    "file": {"fileName": "file.txt", "fileSize": 2138},
    "location": {"title": "my location", "address": "Tokyo", "latitude": 35.6591, "longitude": 139.7037},
}


def media_event(kind: str, user_id: str = "Utest1", **common: Any) -> dict:
    """kind: image, video, audio, file or location."""
    message = {
        "id": _message_id(),
        "type": kind,
        **copy.deepcopy(_MEDIA[kind]),
        "markAsReadToken": "r" + _new_id(),
    }
    if kind in ("image", "video"):  # the SDK requires quoteToken on these (and on text, sticker)
        message["quoteToken"] = "q" + _new_id()
    return _event("message", user_id, message=message, **common)


def image_event(
    user_id: str = "Utest1",
    *,
    message_id: str | None = None,
    image_set: tuple[str, int, int] | None = None,
    external_url: str | None = None,
    **common: Any,
) -> dict:
    """A photo: its content on LINE's data host under ``message_id`` (or at ``external_url``);
    ``image_set`` = (set id, index, total) for photos sent together."""
    message: dict = {"id": message_id or _message_id(), "type": "image", "quoteToken": "q" + _new_id()}
    message["contentProvider"] = (
        {"type": "external", "originalContentUrl": external_url, "previewImageUrl": external_url}
        if external_url
        else {"type": "line"}
    )
    if image_set is not None:
        message["imageSet"] = {"id": image_set[0], "index": image_set[1], "total": image_set[2]}
    return _event("message", user_id, message=message, **common)


def audio_event(
    user_id: str = "Utest1", *, message_id: str | None = None, duration_ms: int = 8000, **common: Any
) -> dict:
    """A voice note of ``duration_ms`` whose content is on LINE's data host under ``message_id``."""
    message = {"id": message_id or _message_id(), "type": "audio", "duration": duration_ms,
               "contentProvider": {"type": "line"}}  # fmt: skip
    return _event("message", user_id, message=message, **common)


class FakeFiles(_FakeServer):
    """A plain file host: where ``contentProvider.type: external`` content lives (``files[path]``)."""

    def __init__(self) -> None:
        super().__init__()
        self.files: dict[str, tuple[str, bytes]] = {}

    def _handle(self, req: Request) -> Reply:
        found = self.files.get(req.path) if req.method == "GET" else None
        if found is None:
            return 404, {"message": "Not found"}, {}
        kind, data = found
        return 200, data, {"Content-Type": kind}


def follow_event(user_id: str = "Utest1", *, unblocked: bool = False, **common: Any) -> dict:
    return _event("follow", user_id, follow={"isUnblocked": unblocked}, **common)


def unfollow_event(user_id: str = "Utest1", **common: Any) -> dict:
    return _event("unfollow", user_id, replyable=False, **common)


def join_event(group_id: str = "Cgroup1", **common: Any) -> dict:
    event = _event("join", "", source_type="group", group_id=group_id, **common)
    del event["source"]["userId"]
    return event


def postback_event(data: str, user_id: str = "Utest1", *, params: dict | None = None, **common: Any) -> dict:
    postback = {"data": data, **({"params": params} if params else {})}
    return _event("postback", user_id, postback=postback, **common)


def unsend_event(message_id: str, user_id: str = "Utest1", **common: Any) -> dict:
    """The fan took back (送信取消) the message with this id."""
    return _event("unsend", user_id, replyable=False, unsend={"messageId": message_id}, **common)


def unknown_event(type_name: str, user_id: str = "Utest1", **common: Any) -> dict:
    return _event(type_name, user_id, replyable=False, **common)


def webhook_body(*events: dict, destination: str = "Ubot") -> bytes:
    return json.dumps({"destination": destination, "events": list(events)}, ensure_ascii=False).encode()


def fixture_events(timestamp_ms: int | None = None) -> list[dict]:
    """The line-bot-sdk sample events, each with a fresh webhookEventId, replyToken and timestamp."""
    path = Path(__file__).resolve().parent / "data" / "line-sdk-webhook-events.json"
    events = json.loads(path.read_text(encoding="utf-8"))["events"]
    stamp = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
    for event in events:
        event["webhookEventId"] = _new_id()
        event["timestamp"] = stamp
        if "replyToken" in event:
            event["replyToken"] = uuid.uuid4().hex
    return events
