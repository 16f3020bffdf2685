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
from types import SimpleNamespace

from flask import Flask, Response, request
from sqlalchemy import text

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
        except (ValueError, UnicodeDecodeError):
            log.warning("webhook rejected: body is not JSON")
            return Response("body is not JSON\n", 400)
        problem = _shape_error(payload)
        if problem:
            log.warning("webhook rejected: %s", problem)
            return Response(f"{problem}\n", 400)
        events = payload["events"]
        if events:
            inbox.store(services.engine, events)
        return Response("ok\n", 200)

    @app.get("/healthz")
    def healthz():
        try:
            with services.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:
            log.error("health check: database unreachable (%s)", type(exc).__name__)
            return Response("database unreachable\n", 503)
        return Response("ok\n", 200)

    if start_workers and settings.worker:
        from botan_line.doors.election import start_elected

        start_elected(settings)
    return app
