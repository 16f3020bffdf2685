"""The inbox worker: starts, stops and supervises its three roles (dramatiq's Worker, in small).

- ``dispatcher.py`` — the fast lane and the only writer of the inbox: claims chats, parses each event
  once, decides, saves before anything is sent; once a second it also claims the notices that are due
  (``storage/notices.py``: one worker sends each, even across restarts and crashes);
- ``layer2_lane.py`` — model calls in a bounded pool (``BOTAN_LAYER2_SLOTS``), bubbles merged, each
  answer handed back to the dispatcher to save;
- ``sender.py`` — the one part that talks to LINE (``BOTAN_SEND_THREADS``): answers, then their read
  receipts, notices batch by batch.

No fan is left on read: a call is bounded by its reply token's life, so a slow model ends in one of
her fallback lines in time; with ``BOTAN_PUSH_FALLBACK`` on, she sends a short holding line before
the token expires and pushes the real answer when it comes. Chat leases (``storage/inbox.py``) are
short and renewed while the worker lives, so a killed worker's chats are taken over within
``BOTAN_LEASE_SECONDS``; anything already decided is re-sent from the saved outgoing messages, never
decided twice. Housekeeping (the quota and the models' shutdown dates, read off the fast lane; the
SQLite checkpoint; pruning) runs between passes.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from datetime import datetime

from botan_line.doors.chats import Board, Chat, reason
from botan_line.doors.dispatcher import CLAIM_EVERY, Dispatcher
from botan_line.doors.layer2_lane import Layer2Lane
from botan_line.doors.line_actions import LineSide
from botan_line.doors.sender import Sender
from botan_line.storage import inbox
from botan_line.storage.db import checkpoint
from botan_line.wiring import Services

log = logging.getLogger(__name__)


class Worker:
    def __init__(self, services: Services, name: str | None = None, clock: Callable[[], float] = time.time,
                 *, inline: bool = False):  # fmt: skip
        self.s = services
        self.settings = services.settings
        self.owner = (name or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}")[:80]
        self.clock = clock
        self.board = Board()
        self.sender = Sender(services, self.board, clock, inline=inline)
        self.lane = Layer2Lane(services, self.board, self.sender, clock, self._local, inline=inline)
        self.dispatcher = Dispatcher(
            services, self.board, self.lane, self.sender, self.owner, clock, self._local
        )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_prune = self._last_checkpoint = self._last_quota = 0.0
        self._last_models = 0.0  # the models' shutdown dates: read at start-up, then once a day

    @property
    def chats(self) -> dict[str, Chat]:
        return self.board.chats

    @property
    def line_side(self) -> LineSide:
        return self.sender.line_side

    def _local(self, now: float) -> datetime:
        return datetime.fromtimestamp(now, self.settings.tz)

    def step(self, force_claim: bool = True) -> bool:
        """One pass of the dispatcher. The loop claims at most every CLAIM_EVERY seconds
        (``force_claim=False``), so a busy inbox is taken in batches; tests and ``drain`` claim on
        every pass."""
        return self.dispatcher.step(force_claim)

    # --- running -------------------------------------------------------------------------------
    def drain(self, limit: int = 10_000, *, merges: bool = False) -> int:
        """Step until nothing is left to do (tests; ``botan-line work --until-idle`` also waits out
        the merge windows in real time with ``merges``)."""
        steps = 0
        while steps < limit:
            steps += 1
            if not self.step() and not self.board.busy():
                if not (merges and self.waiting_jobs()):
                    break
                self._stop.wait(self.settings.poll_seconds)
            if self.board.busy():
                self.board.wake.wait(0.01)
                self.board.wake.clear()
        return steps

    def waiting_jobs(self) -> int:
        """Jobs still inside their merge window (tests move the clock past it)."""
        return sum(1 for c in self.chats.values() if c.job and not c.job.started)

    def loop(self) -> None:
        with contextlib.suppress(OSError, AttributeError):  # the webhook thread of this process wins the CPU
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 5)
        wake = self.board.wake
        while not self._stop.is_set():
            try:
                busy = self.step(force_claim=False)
                self._housekeeping()
            except Exception as exc:  # the database went away: wait and try again, never die
                log.error("worker pass failed: %s", reason(exc))
                busy = False
            if not busy:
                wake.wait(self.settings.poll_seconds)
            else:  # a busy inbox: let a batch gather before the next claim
                wake.wait(max(0.0, self.dispatcher.last_claim + CLAIM_EVERY - time.monotonic()))
            wake.clear()

    def _housekeeping(self) -> None:
        now = self.clock()
        minutes = self.settings.config.line.quota_refresh_minutes
        if self.s.edge is not None and now - self._last_quota > 60 * minutes:
            self._last_quota = now  # LINE's quota and follower count, read in the sender pool
            self.sender.refresh_quota()
        hours = self.settings.config.lifecycle.check_hours
        if self.s.layer2.enabled and now - self._last_models > 3600 * hours:
            self._last_models = now  # in the sender pool, off the fast lane, like the quota
            self.sender.watch_models()
        if now - self._last_checkpoint > 5:
            self._last_checkpoint = now
            checkpoint(self.s.engine)
        if now - self._last_prune > 3600:
            self._last_prune = now
            removed = inbox.prune(self.s.engine, self.settings.retention_days, now)
            if removed:
                log.info("pruned %d old rows", removed)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.loop, name="botan-dispatcher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop claiming; let running calls finish (their answers saved and sent); hand back what
        nobody started."""
        self._stop.set()
        self.board.wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        deadline = time.monotonic() + timeout
        while self.board.busy() and time.monotonic() < deadline:
            self.dispatcher.settle()
            time.sleep(0.05)
        try:
            self.dispatcher.hand_back()
        except Exception as exc:
            log.warning("could not hand back unstarted events: %s", reason(exc))
        self.lane.shutdown()
        self.sender.shutdown()
