"""The webhook: verify, store in the inbox, answer 200. Nothing slow happens inside the request.

``create_app(settings)`` is the factory gunicorn serves (``botan_line.doors.webhook:create_app()``).
This module stays lean on purpose: Flask, SQLAlchemy and the standard library only. The LINE
and OpenAI SDKs (about 75 MB per process) are loaded only by the one process per machine that
wins the worker election (see ``election.py``), so the other gunicorn workers stay small.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
from types import SimpleNamespace

from flask import Flask, Response, request

from botan_line.settings import Settings
from botan_line.storage import inbox
from botan_line.storage.db import connect

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024


def valid_signature(secret: str, body: bytes, signature: str) -> bool:
    """LINE's X-Line-Signature: base64(HMAC-SHA256(channel secret, raw body)), compared in constant time.

    The same check as line-bot-sdk's SignatureValidator (a test holds the two equal), without
    importing the SDK into every web process.
    """
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
    return hmac.compare_digest(base64.b64encode(digest), signature.encode("utf-8", "replace"))


MAX_DEPTH = 32  # LINE's events nest about six deep; far deeper is not an event
_BAD_CHARS = re.compile("[\x00\ud800-\udfff]")  # NUL (PostgreSQL refuses it) and lone surrogates (not UTF-8)


class Unstorable(ValueError):
    """A signed body that is JSON but could never be an event (refused with 400)."""


def clean(value, depth: int = 0):
    """The payload with NUL and lone surrogates replaced, so every string can be stored and sent."""
    if depth > MAX_DEPTH:
        raise Unstorable("nested too deep")
    if isinstance(value, str):
        return _BAD_CHARS.sub("\ufffd", value) if _BAD_CHARS.search(value) else value
    if isinstance(value, dict):
        return {clean(k, depth + 1): clean(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [clean(v, depth + 1) for v in value]
    return value


def _shape_error(payload) -> str | None:
    if not isinstance(payload, dict):
        return "body is not a JSON object"
    events = payload.get("events")
    if not isinstance(events, list):
        return "no events list"
    if not all(isinstance(e, dict) for e in events):
        return "an event is not an object"
    return None


def create_app(settings: Settings | None = None, services=None, start_workers: bool = True) -> Flask:
    """``services`` (tests) brings a ready engine; otherwise the environment is read here."""
    if services is None:
        settings = settings or Settings.from_env()
        settings.require_line()
        services = SimpleNamespace(settings=settings, engine=connect(settings.database_url))
    settings = services.settings
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    app.extensions["botan"] = services
    secret = settings.line_channel_secret

    @app.post("/callback")
    def callback():
        if (request.content_length or 0) > MAX_BODY:
            return Response("payload too large\n", 413)
        body = request.get_data(cache=False)  # raises 413 past MAX_CONTENT_LENGTH
        signature = request.headers.get("X-Line-Signature", "")
        if not signature or not valid_signature(secret, body, signature):
            log.warning("webhook rejected: %s signature", "missing" if not signature else "invalid")
            return Response("invalid signature\n", 400)
        try:
            payload = json.loads(body)
            if b"\\u" in body or body.count(b"[") + body.count(b"{") > MAX_DEPTH:
                payload = clean(payload)  # only an escape can make NUL or a lone surrogate
        except Unstorable as exc:
            log.warning("webhook rejected: %s", exc)
            return Response(f"{exc}\n", 400)
        except (ValueError, UnicodeDecodeError, RecursionError):
            log.warning("webhook rejected: body is not JSON")
            return Response("body is not JSON\n", 400)
        problem = _shape_error(payload)
        if problem:
            log.warning("webhook rejected: %s", problem)
            return Response(f"{problem}\n", 400)
        events = payload["events"]
        if events:
            try:
                inbox.store(services.engine, events)
            except Exception as exc:  # could not be stored: LINE redelivers a 5xx later
                log.error("webhook: events not stored (%s)", type(exc).__name__)
                return Response("not stored, try again\n", 503)
        return Response("ok\n", 200)

    @app.get("/healthz")
    def healthz():
        """200 only while the inbox can be written (a full disk or a deleted database fails it)."""
        try:
            inbox.heartbeat(services.engine)
        except Exception as exc:
            log.error("health check: the database cannot be written (%s)", type(exc).__name__)
            return Response("database not writable\n", 503)
        return Response("ok\n", 200)

    if start_workers and settings.worker:
        from botan_line.doors.election import start_elected

        start_elected(settings)
    return app
