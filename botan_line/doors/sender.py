"""The sender: the one part of the worker that talks to LINE.

Replies, pushes, holding lines, admin notices, a decision's LINE-side actions (rich-menu links, read
receipts once her answer is delivered: ``line_actions.py``), the notices the dispatcher claimed, the
typing dots, and the quota reading. Sends run in a small
pool (``BOTAN_SEND_THREADS``), one at a time per chat so her bubbles arrive in order; how each goes
out — reply, push or give up — is ``core/delivery.py``'s pure decision. Outcomes are handed back to
the dispatcher (``Board.finish``), which alone writes them to the inbox.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from botan_line.adapters.line_api import ReplyTokenInvalid, SendFailed, retry_key
from botan_line.core import delivery
from botan_line.core.inbound import Inbound
from botan_line.core.model import Notice, Outgoing
from botan_line.doors import model_watch
from botan_line.doors.chats import Board, Chat, Inline, Pool, Send, reason
from botan_line.doors.line_actions import LineSide
from botan_line.storage import inbox

log = logging.getLogger(__name__)

SEND_ATTEMPTS = 4
ANSWERED = ("replied", "pushed", "held_pushed", "already_sent")  # outcomes that mean she answered
MAX_DOTS_WAITING = 50  # loading animations queued at most; more are skipped (they are only a courtesy)


class Sender:
    def __init__(self, services, board: Board, clock: Callable[[], float], *, inline: bool = False):
        self.s = services
        self.board = board
        self.clock = clock
        self.line_side = LineSide(services, clock)
        self.pool: Pool
        self.dots: Pool
        if inline:
            self.pool, self.dots = Inline(), Inline()
        else:
            self.pool = ThreadPoolExecutor(services.settings.send_threads, thread_name_prefix="botan-send")
            # the typing dots are best effort: their own lane, so a burst of them never delays a reply
            self.dots = ThreadPoolExecutor(2, thread_name_prefix="botan-dots")
        self._dots_waiting = 0
        self._dots_lock = threading.Lock()

    def push_ok(self, event: Inbound | None) -> bool:
        """May an answer to this event be pushed (it costs LINE quota) when its token is gone?"""
        return self.s.settings.push_fallback and event is not None and event.source is not None

    # --- the chats' sends --------------------------------------------------------------------------
    def flush(self, now: float) -> bool:
        """Start the next send of every chat whose previous one is done (one at a time per chat)."""
        started = False
        for chat in list(self.board.chats.values()):
            with self.board.lock:
                if chat.sending or not chat.sends or now < chat.retry_at:
                    continue
                chat.sending = True
                item = chat.sends.popleft()
            self.pool.submit(self._send_task, chat, item)
            started = True
        return started

    def _send_task(self, chat: Chat, item: Send) -> None:
        board = self.board
        try:
            outcome = self._deliver(item)
            outcome = item.outcome or outcome  # an apology is recorded as what it was, however it went
        except SendFailed as exc:
            item.attempts += 1
            if item.attempts < SEND_ATTEMPTS and self._fresh(item):
                log.warning("send failed (attempt %d): %s", item.attempts, exc.reason)
                with board.lock:
                    chat.sends.appendleft(replace(item, resend=True, error=exc.reason))
                    chat.retry_at = self.clock() + inbox.backoff(item.attempts, base=0.5, cap=4.0)
                    chat.sending = False
                board.wake.set()
                return
            outcome = f"send_failed:{exc.reason}"[:40]
        except Exception as exc:  # a bug: record it, never lose the worker
            log.error("send of event %s failed: %s", item.row.event_id, reason(exc))
            outcome = "send_error"
        with board.lock:
            if not item.holding:  # the holding line is not the event's outcome: its answer is
                board.done.append((item.row.id, outcome, item.error))
            chat.sending = False
        board.wake.set()

    def _fresh(self, item: Send) -> bool:
        event = item.row.inbound
        return event is not None and delivery.token_time_left(event, self.clock()) is not None

    def _deliver(self, item: Send) -> str:
        """Send one event's messages the way core.delivery says, then its actions; the inbox outcome."""
        if item.holding:
            return self._send_holding(item)
        outcome = None
        try:
            outcome = self._deliver_messages(item)
            return outcome
        finally:
            if item.actions and self.s.edge is not None:  # rich-menu links, read receipts
                notices = self.line_side.run(item.actions, item.row.event_id, answered=outcome in ANSWERED)
                self.notify(notices, item.row.event_id, "action")

    def _deliver_messages(self, item: Send) -> str:
        edge = self.s.edge
        notices_sent = self.notify(item.notices, item.row.event_id)
        if not item.messages:
            return "nothing" if not notices_sent else "notified"
        if edge is None:
            return "no_line"
        event = item.row.inbound
        assert event is not None and event.source is not None  # the dispatcher sends nothing else
        push_ok = self.push_ok(event)
        plan = delivery.plan(fresh=self._fresh(item), push_ok=push_ok, token_used=item.held)
        if plan.how == delivery.REPLY and event.reply_token:
            try:
                edge.reply(event.reply_token, item.messages)
                return plan.outcome
            except ReplyTokenInvalid:
                plan = delivery.after_reply_rejected(resend=item.resend, push_ok=push_ok)
                if plan.how == delivery.PUSH:
                    log.info("reply token rejected, pushing instead")
        if plan.how == delivery.PUSH:
            key = retry_key(item.row.event_id)
            edge.push(event.source.chat_id, item.messages, key)
            self.line_side.pushed("answer", 1, key, item.row.event_id)
        return plan.outcome

    def _send_holding(self, item: Send) -> str:
        """The holding line uses the reply token (the dispatcher recorded that first); the answer
        follows by push."""
        event = item.row.inbound
        if self.s.edge is not None and event is not None and event.reply_token and self._fresh(item):
            with contextlib.suppress(ReplyTokenInvalid):
                self.s.edge.reply(event.reply_token, item.messages)
        return ""

    # --- to the admins -----------------------------------------------------------------------------
    def notify(self, notices: list[Notice], event_id: str, purpose: str = "notice") -> int:
        edge = self.s.edge
        sent = 0
        for i, notice in enumerate(notices):
            if edge is None:
                log.warning("admin notice not sent (no LINE credentials)")
                continue
            key = retry_key(event_id, f"{purpose}{i}:{notice.to}")
            try:
                edge.push(notice.to, [Outgoing("botan", notice.text)], key)
                sent += 1
                self.line_side.pushed("notice", 1, key, event_id)
            except SendFailed as exc:
                log.warning("admin notice failed: %s", exc.reason)
        return sent

    # --- notices ------------------------------------------------------------------------------------
    def notice(self, claimed) -> None:
        """Send a notice the dispatcher claimed (``storage/notices.Claimed``), in the pool."""
        self.pool.submit(self._guarded, "notice", lambda: self.line_side.send_notice(claimed))

    def notice_dropped(self, info) -> None:
        self.pool.submit(self._guarded, "notice dropped", lambda: self.line_side.notice_dropped(info))

    # --- off the fast lane: the quota, the models' shutdown dates ----------------------------------
    def refresh_quota(self) -> None:
        self.pool.submit(self._guarded, "quota refresh", self.line_side.refresh)

    def watch_models(self) -> None:
        """Read the configured models' shutdown dates; push the admins' notices (once each)."""

        def watch() -> None:
            for notice in model_watch.check(self.s, self.clock()):
                self.line_side.push_notice(notice, f"models:{self.clock():.0f}")

        self.pool.submit(self._guarded, "model watch", watch)

    @staticmethod
    def _guarded(what: str, run: Callable[[], object]) -> None:
        try:
            run()
        except Exception as exc:  # never lose the pool thread
            log.warning("%s failed: %s", what, reason(exc))

    # --- the typing dots ---------------------------------------------------------------------------
    def loading(self, event: Inbound, now: float) -> None:
        """The typing dots while she thinks: one-on-one chats with a fresh token only (best effort)."""
        source = event.source
        if self.s.edge is None or source is None or not source.one_on_one:
            return
        if not delivery.token_time_left(event, now) or self._dots_waiting >= MAX_DOTS_WAITING:
            return  # LINE allows 100 a second; a burst skips some

        def show() -> None:
            try:
                self.s.edge.loading(source.chat_id, 20)
            finally:
                with self._dots_lock:
                    self._dots_waiting -= 1

        with self._dots_lock:
            self._dots_waiting += 1
        self.dots.submit(show)

    def shutdown(self) -> None:
        self.pool.shutdown(wait=False)
        self.dots.shutdown(wait=False)
