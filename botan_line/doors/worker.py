"""Background workers: claim inbox events, run the pipeline, send through the LINE edge.

Threads inside each gunicorn process. One bad event never stops a worker: the failure is
recorded with the event and retried a bounded number of times.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
import traceback
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from botan_line.adapters.line_api import ReplyTokenInvalid, SendFailed, retry_key
from botan_line.core.events import EventContext, decide, source_of
from botan_line.core.model import Outgoing
from botan_line.storage import inbox
from botan_line.storage.db import checkpoint
from botan_line.wiring import Services

log = logging.getLogger(__name__)

REPLY_WINDOW_SECONDS = 50  # LINE guarantees a reply token for one minute; keep a margin


class DecideFailed(Exception):
    """The pipeline failed before anything was saved or sent (the cause is chained)."""


class Worker:
    def __init__(self, services: Services, name: str | None = None, clock: Callable[[], float] = time.time):
        self.s = services
        self.name = name or f"{os.getpid()}-{threading.get_ident()}"
        self.clock = clock
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._last_prune = 0.0
        self._last_checkpoint = 0.0

    # --- one event -----------------------------------------------------------------------------
    def run_once(self) -> bool:
        """Claim and handle one event; False when the inbox had nothing runnable."""
        claimed = inbox.claim(self.s.engine, self.name, self.s.settings.lease_seconds, now=self.clock())
        if claimed is None:
            return False
        try:
            outcome = self.handle(claimed)
            inbox.finish(self.s.engine, claimed.id, outcome, now=self.clock())
        except Exception as exc:
            cause = exc.__cause__ if isinstance(exc, DecideFailed) else exc
            # the reason without its message: exception texts can quote what the user wrote
            frame = traceback.extract_tb(cause.__traceback__)[-1]
            reason = f"{type(cause).__name__} at {Path(frame.filename).name}:{frame.lineno}"
            if isinstance(getattr(cause, "reason", None), str):  # our own codes are safe to keep
                reason += f" ({cause.reason})"
            log.error("event %s failed (attempt %d): %s", claimed.event_id, claimed.attempts, reason)
            log.debug("traceback", exc_info=True)
            if isinstance(exc, DecideFailed) and self._apologize(claimed):
                inbox.finish(self.s.engine, claimed.id, "error_fallback", now=self.clock(), error=reason)
            else:
                inbox.fail(self.s.engine, claimed.id, claimed.attempts, reason, now=self.clock())
        return True

    def _apologize(self, claimed: inbox.Claimed) -> bool:
        """Deciding failed: answer a text message with the sister's fallback line rather than silence."""
        event = claimed.event
        edge = self.s.edge
        if edge is None or event.get("type") != "message" or self._time_left(event, self.clock()) is None:
            return False
        try:
            user_id, _chat, _kind = source_of(event)
            sister = self.s.store.user(user_id).sister
            persona = self.s.pipeline.characters.current.persona(sister)
            line = persona.lines.fallback[0].replace("{name}", persona.address).replace("{band}", "")
            edge.reply(event["replyToken"], [Outgoing(sister, line)])
            return True
        except Exception as exc:  # the database or LINE is down too: retry later instead
            log.warning("fallback reply failed: %s", type(exc).__name__)
            return False

    def handle(self, claimed: inbox.Claimed) -> str:
        event = claimed.event
        if event.get("mode") == "standby":
            return "standby"
        _user, chat_id, chat_kind = source_of(event)
        push_ok = self.s.settings.push_fallback and bool(chat_id)
        resend = claimed.outgoing is not None
        now = self.clock()
        if (
            not resend
            and event.get("type") == "message"
            and self._time_left(event, now) is None
            and not push_ok
        ):
            return "expired"  # nobody would see an answer: decide nothing, spend nothing
        if resend:
            payload = claimed.outgoing
        else:
            try:
                payload = self._decide(claimed, event, chat_id, chat_kind, now)
            except Exception as exc:
                raise DecideFailed() from exc
        messages = [Outgoing.from_json(m) for m in payload.get("messages", [])]
        self._notify(payload.get("notices", []), claimed.event_id)
        if not messages:
            return "nothing"
        fresh = self._time_left(event, self.clock()) is not None  # deciding may have taken a while
        return self._send(event, chat_id, messages, fresh, resend, claimed.event_id)

    @staticmethod
    def _time_left(event: dict, now: float) -> float | None:
        """Seconds the reply token has left (within our margin), or None if there is none to use."""
        ts = event.get("timestamp")
        if not event.get("replyToken") or not isinstance(ts, (int, float)):
            return None
        left = REPLY_WINDOW_SECONDS - (now - ts / 1000)
        return left if left > 0 else None

    def _decide(self, claimed: inbox.Claimed, event: dict, chat_id: str, chat_kind: str, now: float) -> dict:
        """Run the pipeline and save its messages with everything it remembers, in one transaction."""
        edge = self.s.edge
        time_left = self._time_left(event, now)

        def on_slow() -> None:
            if edge is not None and chat_kind == "one_on_one" and time_left and chat_id:
                edge.loading(chat_id, 20)

        ctx = EventContext(
            self.s.pipeline,
            self.s.store,
            datetime.fromtimestamp(now, self.s.settings.tz),
            on_slow,
            edge.display_name if edge else (lambda _uid: None),
            time_left,
        )
        decision = decide(event, ctx)
        payload = {
            "messages": [m.to_json() for m in decision.messages],
            "notices": [list(n) for n in decision.notices],
        }
        with self.s.engine.begin() as conn:
            self.s.store.apply(decision, ctx.now, conn)
            inbox.save_outgoing(conn, claimed.id, payload)
        return payload

    def _send(
        self, event: dict, chat_id: str, messages: list[Outgoing], fresh: bool, resend: bool, event_id: str
    ) -> str:
        edge = self.s.edge
        if edge is None:
            return "no_line"
        push_ok = self.s.settings.push_fallback and bool(chat_id)
        if fresh:
            try:
                edge.reply(event["replyToken"], messages)
                return "replied"
            except ReplyTokenInvalid:
                if resend:  # our earlier attempt may have used it: never risk a second answer
                    return "already_sent"
                if not push_ok:
                    return "token_invalid"
                log.info("reply token rejected, pushing instead")
        elif not push_ok:
            return "expired"
        try:
            edge.push(chat_id, messages, retry_key(event_id))
            return "pushed"
        except SendFailed as exc:
            return f"push_failed:{exc.reason}"[:40]

    def _notify(self, notices: list, event_id: str) -> None:
        edge = self.s.edge
        for i, (admin, text) in enumerate(notices):
            if edge is None:
                log.warning("admin notice not sent (no LINE credentials)")
                continue
            try:
                edge.push(admin, [Outgoing("botan", text)], retry_key(event_id, f"notice{i}:{admin}"))
            except SendFailed as exc:
                log.warning("admin notice failed: %s", exc.reason)

    # --- the loop ------------------------------------------------------------------------------
    def loop(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.run_once()
                self._maybe_prune()
            except Exception:  # the database went away: wait and try again, never die
                log.exception("worker loop error")
                busy = False
            if not busy:
                self._stop.wait(self.s.settings.poll_seconds)

    def _maybe_prune(self) -> None:
        now = self.clock()
        if now - self._last_checkpoint > 5:
            self._last_checkpoint = now
            checkpoint(self.s.engine)
        if now - self._last_prune > 3600:
            self._last_prune = now
            removed = inbox.prune(self.s.engine, self.s.settings.retention_days, now)
            if removed:
                log.info("pruned %d old rows", removed)

    def start(self, threads: int) -> None:
        for i in range(threads):
            t = threading.Thread(target=self._loop_low_priority, name=f"botan-worker-{i}", daemon=True)
            t.start()
            self._threads.append(t)

    def _loop_low_priority(self) -> None:
        # The webhook thread of this process must win the CPU: acks stay fast while replies are built.
        with contextlib.suppress(OSError, AttributeError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)  # per-thread on Linux
        self.loop()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the current events; anything still pending is handled after the next start."""
        self._stop.set()
        for t in self._threads:
            t.join(timeout)
