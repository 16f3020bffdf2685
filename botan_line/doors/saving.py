"""Saving a pass: every decision, its effects and its outgoing messages in one transaction, before any send.

The dispatcher's half that writes: the store's effects and ledger rows with the inbox's outgoing
payloads and outcomes, checked against the chat leases inside the same transaction (a chat another
worker took over is dropped, never answered twice). Only the dispatcher's thread calls it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from botan_line.core.model import Decision
from botan_line.doors.chats import Board, Chat, Job, Send, payload, reason, send_of
from botan_line.storage import inbox
from botan_line.storage.db import inbox as inbox_table

log = logging.getLogger(__name__)


@dataclass
class Saving:
    """One decision to save: a fast-lane decision, or a Layer 2 answer with the bubbles merged into it."""

    row: inbox.Claimed
    decision: Decision
    failure: str | None = None  # an apology for this failure (error_fallback)
    job: Job | None = None
    merged: list[inbox.Claimed] = field(default_factory=list)


class Saver:
    def __init__(self, services, board: Board, owner: str, local: Callable[[float], datetime],
                 apology: Callable[[inbox.Claimed, float, object], Decision | None]):  # fmt: skip
        self.s = services
        self.board = board
        self.owner = owner
        self.local = local
        self.apology = apology  # her fallback line for a decision that could not be saved
        self.failures: dict[int, int] = {}  # row id → saves that failed

    @property
    def chats(self) -> dict[str, Chat]:
        return self.board.chats

    def save(self, saving: list[Saving], finished: list, now: float) -> None:
        """Every decision of the pass, its effects and its outgoing messages, in one transaction.

        If that transaction fails, each decision is tried on its own, so one bad event cannot hold
        up the others; an event that cannot be saved twice gets her fallback line, unsaved."""
        try:
            self.together(saving, finished, now)
            return
        except Exception as exc:
            if len(saving) + len(finished) == 1:
                self.unsaved(saving[0] if saving else Saving(finished[0][0], Decision()), exc, now)
                return
            log.warning("saving %d decisions together failed (%s); saving them one by one",
                        len(saving), reason(exc))  # fmt: skip
        for item in saving:
            try:
                self.together([item], [], now)
            except Exception as exc:
                self.unsaved(item, exc, now)
        for pair in finished:
            try:
                self.together([], [pair], now)
            except Exception as exc:
                self.unsaved(Saving(pair[0], Decision()), exc, now)

    def together(self, saving: list[Saving], finished: list, now: float) -> None:
        sends = []
        with self.s.engine.begin() as conn:
            ids = [r.id for s in saving for r in (*s.merged, s.row)] + [r.id for r, _ in finished]
            lost = self._not_ours(conn, ids)
            mine = [s for s in saving if s.row.id not in lost]
            notices = self.s.store.apply_many(
                [(s.decision, s.row.event_id) for s in mine], self.local(now), conn
            )
            payloads = []
            for item, sent in zip(mine, notices, strict=True):
                held = item.job is not None and item.job.held
                payloads.append((item, payload(item.decision, sent, held=held, failure=item.failure)))
            inbox.save_outgoing_many(conn, [(item.row.id, p) for item, p in payloads])
            merged = [(r.id, "merged", f"answered with {s.row.event_id}") for s in mine for r in s.merged]
            inbox.finish(conn, [*merged, *((r.id, o, None) for r, o in finished if r.id not in lost)], now)
        for item, saved in payloads:
            if item.job is not None:
                item.job.answered = True
            sends.append((item.row.chat_key, send_of(item.row, saved, resend=False)))
        with self.board.lock:
            for key, send in sends:
                self.chats.setdefault(key, Chat(key)).sends.append(send)
        for key in {s.row.chat_key for s in saving if s.row.id in lost} | {
            r.chat_key for r, _ in finished if r.id in lost
        }:
            log.warning("a chat was taken over by another worker; dropping what this one held of it")
            self.chats.pop(key, None)

    def unsaved(self, item: Saving, exc: Exception, now: float) -> None:
        """A decision that could not be saved: try again once (decided afresh), then her fallback line."""
        why, row = reason(exc), item.row
        self.failures[row.id] = self.failures.get(row.id, 0) + 1
        chat = self.chats.setdefault(row.chat_key, Chat(row.chat_key))
        if self.failures[row.id] < 2:
            log.warning("event %s not saved (%s): trying again", row.event_id, why)
            chat.queue.extendleft(reversed([*item.merged, row]))
            chat.retry_at = now + (0.5 if item.job is None else inbox.backoff(row.attempts))
            return
        log.error("event %s could not be saved: %s", row.event_id, why)
        for r in item.merged:
            self.board.finish(r.id, "merged", f"answered with {row.event_id}")
        said = self.apology(row, now, self.s.store)
        if said is None:
            self.board.finish(row.id, "error", why)
            return
        with self.board.lock:
            chat.sends.append(Send(row, said.messages, [], resend=False, error=why, outcome="error_fallback"))

    def _not_ours(self, conn, ids: list[int]) -> set[int]:
        """Which of these events another worker has taken over (checked inside the saving transaction)."""
        if not ids:
            return set()
        t = inbox_table
        stmt = select(t.c.id).where(t.c.id.in_(ids), t.c.claimed_by == self.owner, t.c.status == "working")
        if conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update()
        return set(ids) - set(conn.scalars(stmt))
