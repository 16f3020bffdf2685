"""The webhook: verify, store in the inbox, answer 200. Nothing slow happens inside the request.

``create_app(settings)`` is the factory gunicorn serves (``botan_line.webapp:create_app()``); each
gunicorn worker process builds its own services and starts its own worker threads after the fork.
"""

from __future__ import annotations

import atexit
import json
import logging

from flask import Flask, Response, request
from linebot.v3 import SignatureValidator
from sqlalchemy import text

from botan_line import inbox
from botan_line.services import Services, build
from botan_line.settings import Settings
from botan_line.worker import Worker

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024


def _shape_error(payload) -> str | None:
    if not isinstance(payload, dict):
        return "body is not a JSON object"
    events = payload.get("events")
    if not isinstance(events, list):
        return "no events list"
    if not all(isinstance(e, dict) for e in events):
        return "an event is not an object"
    return None


def create_app(settings: Settings | None = None, services: Services | None = None, start_workers: bool = True) -> Flask:
    if services is None:
        settings = settings or Settings.from_env()
        services = build(settings, with_line=True)
    settings = services.settings
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    validator = SignatureValidator(settings.line_channel_secret)
    app.extensions["botan"] = services

    @app.post("/callback")
    def callback():
        if (request.content_length or 0) > MAX_BODY:
            return Response("payload too large\n", 413)
        body = request.get_data(cache=False)  # raises 413 past MAX_CONTENT_LENGTH
        signature = request.headers.get("X-Line-Signature", "")
        if not signature or not validator.validate(body.decode("utf-8", "replace"), signature):
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

    if start_workers and settings.worker_threads > 0:
        worker = Worker(services)
        worker.start(settings.worker_threads)
        app.extensions["botan_worker"] = worker
        atexit.register(worker.stop)
    return app
