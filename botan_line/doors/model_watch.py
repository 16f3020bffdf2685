"""The worker's watch on the configured models' shutdown dates, at start-up and once a day.

It reads ``GET /v1/models/{id}`` for every configured model (an unreachable endpoint, as on a local
server, is not an error: the profiles' known dates stand in), keeps the reading in the shared state
for ``/stats``, the console and ``botan-line check``, logs a WARNING for each model within
``lifecycle.warn_days`` of its shutdown, and tells the admins once per model and date. What to
warn about is decided in ``core/layer2/lifecycle.py``.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime

from botan_line.core.layer2 import lifecycle
from botan_line.core.model import Decision, Effect, Notice, NoticeOnce

log = logging.getLogger(__name__)


def check(services, now: float, transcription: str | None = None) -> list[Notice]:
    """Read the dates, store them, log the warnings; the admin notices to push (once each)."""
    settings = services.settings
    cfg = settings.config
    models = [w.model for w in lifecycle.watched(cfg, transcription)]
    reader = getattr(services.layer2.llm, "model_status", None)
    statuses = reader(models) if reader is not None and models else None
    if statuses is None:
        log.info("model shutdown dates not readable from the API: the profiles' dates are used")
    reading = lifecycle.reading(now, statuses)
    services.store.set_state(lifecycle.STATE_KEY, json.dumps(reading))
    today = datetime.fromtimestamp(now, settings.tz)
    found = lifecycle.warnings(cfg, reading, today.date(), transcription)
    for warning in found:
        log.warning("%s", warning.log_line())
    admins = tuple(sorted(settings.admin_user_ids))
    if not found or not admins:
        return []
    once: list[Effect] = [NoticeOnce(w.key, w.notice(), admins) for w in found]
    return services.store.apply(Decision(effects=once), today)
