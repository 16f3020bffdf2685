"""The inbox worker: a fast lane that decides and sends at once, a bounded pool for Layer 2 calls.

One dispatcher thread loops: claim chats (fair: one place per chat, whatever its backlog) →
decide every runnable event with the core, in order per chat → save the decisions in one
transaction → hand the sends to a small sender pool. Commands, safety, Layer 1 and fallback lines
never wait for anything else. A text that needs Layer 2 becomes a *job* for its chat: the fan's
next bubbles within ``BOTAN_MERGE_SECONDS`` join it (one model call, one reply with the newest
reply token), and it runs in the Layer 2 pool (``BOTAN_LAYER2_SLOTS`` calls in flight). Per chat,
nothing is answered before the message in front of it.

No fan is left on read: a call is bounded by its reply token's life, so a slow model ends in one
of her fallback lines in time; with ``BOTAN_PUSH_FALLBACK`` on, she sends a short holding line
before the token expires and pushes the real answer when it comes.

Chat leases (``storage/inbox.py``) are short and renewed while the worker lives, so a killed
worker's chats are taken over within ``BOTAN_LEASE_SECONDS``; anything already decided is re-sent
from the saved outgoing messages, never decided twice.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import socket
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from botan_line.adapters.line_api import ReplyTokenInvalid, SendFailed, retry_key
from botan_line.core import delivery, native
from botan_line.core.conversation import Deferred
from botan_line.core.events import EventContext, decide, source_of, text_of
from botan_line.core.fallback import apology
from botan_line.core.model import Action, Decision, Notice, Outgoing, Turn, action_from_json, action_to_json
from botan_line.doors import model_watch
from botan_line.doors.line_actions import LineSide
from botan_line.storage import inbox
from botan_line.storage.db import checkpoint
from botan_line.storage.db import inbox as inbox_table
from botan_line.storage.overlay import Overlay
from botan_line.wiring import Services

log = logging.getLogger(__name__)

NEW_CHATS_PER_CLAIM = 64  # chats taken per dispatcher pass
CLAIM_EVERY = 0.05  # seconds between claims: a busy inbox is taken in batches, each a few statements
MAX_CHATS = 1024  # chats one worker holds at once (the rest wait for it, or for another worker)
MERGE_CAP_FACTOR = 3  # a job waits at most this many merge windows for more bubbles
SEND_ATTEMPTS = 4
MAX_DOTS_WAITING = 50  # loading animations queued at most; more are skipped (they are only a courtesy)


class _Inline:
    """An executor that runs each task at once (tests: deterministic, no threads)."""

    def submit(self, fn, *args) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args))
        except BaseException as exc:  # noqa: BLE001 - handed to whoever reads the future
            future.set_exception(exc)
        return future

    def shutdown(self, wait: bool = True) -> None:
        pass


@dataclass
class Send:
    """Messages saved for one event, to send (or re-send) in order with the chat's others."""

    row: inbox.Claimed
    messages: list[Outgoing]
    notices: list[Notice]
    resend: bool  # decided by an earlier attempt: never risk a second answer
    held: bool = False  # a holding line already used the reply token
    attempts: int = 0
    holding: bool = False  # this *is* the holding line (sent before the answer, by reply only)
    error: str | None = None  # the last failure on the way, kept with the event
    outcome: str | None = None  # recorded instead of how it was sent (error_fallback)
    actions: list[Action] = field(default_factory=list)  # LINE-side, run after the messages


@dataclass
class Job:
    """One Layer 2 call for one chat: its first bubble and the ones merged into it."""

    rows: list[inbox.Claimed]
    opened: float
    started: bool = False
    answered: bool = False
    held: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def newest(self) -> inbox.Claimed:
        return self.rows[-1]


@dataclass
class Chat:
    key: str
    queue: deque[inbox.Claimed] = field(default_factory=deque)
    job: Job | None = None
    sends: deque[Send] = field(default_factory=deque)
    sending: bool = False
    retry_at: float = 0.0

    @property
    def idle(self) -> bool:
        return not self.queue and self.job is None and not self.sends and not self.sending


def _reason(exc: BaseException) -> str:
    """An exception as the inbox and logs may keep it: type and place, never its message."""
    tb = traceback.extract_tb(exc.__traceback__)
    where = f" at {Path(tb[-1].filename).name}:{tb[-1].lineno}" if tb else ""
    reason = f"{type(exc).__name__}{where}"
    if isinstance(getattr(exc, "reason", None), str):  # our own codes are safe to keep
        reason += f" ({exc.reason})"
    return reason


class LostLease(Exception):
    """Another worker took this chat over (ours stopped renewing): drop what we hold of it."""


class Worker:
    def __init__(self, services: Services, name: str | None = None, clock: Callable[[], float] = time.time,
                 *, inline: bool = False):  # fmt: skip
        self.s = services
        self.settings = services.settings
        self.owner = (name or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}")[:80]
        self.clock = clock
        self.chats: dict[str, Chat] = {}
        self._lock = threading.Lock()  # guards _done and the chats' send state against pool threads
        self._done: list[tuple[int, str, str | None]] = []
        self._failures: dict[int, int] = {}  # row id → saves that failed
        self._apologies: dict[int, str] = {}  # id(decision) → the failure it apologises for
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._running = 0  # Layer 2 jobs in flight
        if inline:
            self._l2, self._sender, self._dots = _Inline(), _Inline(), _Inline()
        else:
            self._l2 = ThreadPoolExecutor(self.settings.layer2_slots, thread_name_prefix="botan-l2")
            self._sender = ThreadPoolExecutor(self.settings.send_threads, thread_name_prefix="botan-send")
            # the typing dots are best effort: their own lane, so a burst of them never delays a reply
            self._dots = ThreadPoolExecutor(2, thread_name_prefix="botan-dots")
        self._dots_waiting = 0
        self._last_renew = self._last_prune = self._last_checkpoint = self._last_claim = self._last_quota = (
            0.0
        )
        self._last_models = 0.0  # the models' shutdown dates: read at start-up, then once a day
        self.line_side = LineSide(services, clock)

    # --- one pass of the dispatcher ------------------------------------------------------------
    def step(self, force_claim: bool = True) -> bool:
        """Claim, decide, save, send, start due Layer 2 jobs. True when anything happened.

        The loop claims at most every CLAIM_EVERY seconds (``force_claim=False``), so a busy inbox
        is taken in batches; tests and ``drain`` claim on every pass."""
        now = self.clock()
        claimed = self._claim(now, force_claim)
        for row in claimed:
            self.chats.setdefault(row.chat_key, Chat(row.chat_key)).queue.append(row)
        batch, finished = self._advance_all(now)
        if batch or finished:
            self._save(batch, finished, now)
        started = self._start_jobs(now)
        self._watch_holds(now)
        flushed = self._flush_sends(now)
        return bool(claimed or batch or finished or started or flushed)

    def _claim(self, now: float, force: bool) -> list[inbox.Claimed]:
        if not force and time.monotonic() - self._last_claim < CLAIM_EVERY:
            return []
        self._last_claim = time.monotonic()
        with self._lock:
            done, self._done = self._done, []
        idle = [k for k, c in self.chats.items() if c.idle]
        for key in idle:
            del self.chats[key]
        mine = [k for k, c in self.chats.items() if c.job is None or not c.job.started]
        room = max(0, min(NEW_CHATS_PER_CLAIM, MAX_CHATS - len(self.chats)))
        try:
            with self.s.engine.begin() as conn:
                inbox.finish(conn, done, now)
                inbox.release(conn, self.owner, idle)
                if now - self._last_renew >= self.settings.lease_seconds / 3:
                    inbox.renew(conn, self.owner, now, self.settings.lease_seconds)
                    self._last_renew = now
                return inbox.claim(conn, self.owner, now=now, lease_seconds=self.settings.lease_seconds,
                                   new_chats=room, mine=mine)  # fmt: skip
        except Exception:
            with self._lock:
                self._done = done + self._done  # written next time
            raise

    # --- the fast lane ---------------------------------------------------------------------------
    def _advance_all(self, now: float):
        """Decide every event that can be decided now, in order per chat."""
        overlay = Overlay(self.s.store, now)
        waiting = [c for c in self.chats.values() if c.queue and now >= c.retry_at]
        users = [s.user_id for c in waiting for r in c.queue if (s := source_of(r.event))]
        if users:
            overlay.prefetch(users)
        batch: list[tuple[inbox.Claimed, Decision]] = []
        finished: list[tuple[inbox.Claimed, str]] = []
        for chat in waiting:
            self._advance(chat, now, overlay, batch, finished)
        return batch, finished

    def _advance(self, chat: Chat, now: float, overlay: Overlay, batch: list, finished: list) -> None:
        while chat.queue:
            row = chat.queue[0]
            job = chat.job
            if job is not None:
                if job.started or not self._mergeable(row) or not self._mergeable(job.rows[0]):
                    return  # behind a Layer 2 call (or a slow command): wait for its answer
                job.rows.append(chat.queue.popleft())
                continue
            saved = row.outgoing or {}
            if "messages" in saved:  # decided before a crash: re-send, never re-decide
                chat.queue.popleft()
                chat.sends.append(self._send_of(row, saved, resend=True))
                continue
            result = self._decide(row, now, overlay)
            chat.queue.popleft()
            if isinstance(result, Deferred):
                chat.job = Job([row], now)
                self._loading(row, now)
            elif isinstance(result, str):
                finished.append((row, result))
            else:
                overlay.add(result, now)
                batch.append((row, result))

    def _decide(self, row: inbox.Claimed, now: float, reads) -> Decision | Deferred | str:
        """The core's answer to one event, or an outcome when there is nothing to decide."""
        event = row.event
        if event.get("mode") == "standby":
            return "standby"
        source = source_of(event)
        if source is None:
            return "nothing"
        left = delivery.token_time_left(event, now)
        push_ok = self._push_ok(source)
        if delivery.expired_before_deciding(is_message=event.get("type") == "message", time_left=left,
                                            push_ok=push_ok, resend=False):  # fmt: skip
            return "expired"  # nobody would see an answer: decide nothing, spend nothing
        ctx = EventContext(self.s.conversation, reads, self._local(now), left, self._profile)
        try:
            result = decide(event, ctx)
        except Exception as exc:
            reason = _reason(exc)
            log.error("event %s could not be decided: %s", row.event_id, reason)
            apology = self._apology(event, now, reads, reason)
            return apology if apology is not None else "error"
        if isinstance(result, Decision) and not (
            result.messages or result.effects or result.ledger or result.actions
        ):
            return "nothing"
        return result

    def _apology(self, event: dict, now: float, reads, reason: str = "") -> Decision | None:
        """Deciding failed: a text gets her fallback line rather than silence (recorded as error_fallback)."""
        found = text_of(event)
        if found is None:
            return None
        try:
            source = source_of(event)
            turn = Turn(source.user_id, found[0], self._local(now), chat=source.kind)
            decision = apology(self.s.conversation, turn, reads)
            self._apologies[id(decision)] = reason
            return decision
        except Exception as exc:
            log.warning("fallback line failed too: %s", _reason(exc))
            return None

    def _mergeable(self, row: inbox.Claimed) -> bool:
        """A text bubble (not a command) may join the Layer 2 call in front of it — in a one-on-one
        chat only: in a group the next bubble is often someone else's, and may not be for her."""
        from botan_line.core.layers import is_command

        found = text_of(row.event)
        source = source_of(row.event)
        one_on_one = source is not None and source.one_on_one
        return one_on_one and found is not None and not is_command(found[0]) and row.outgoing is None

    # --- saving ----------------------------------------------------------------------------------
    def _save(self, batch: list, finished: list, now: float) -> None:
        """Every decision of the pass, its effects and its outgoing messages, in one transaction.

        If that transaction fails, each decision is tried on its own, so one bad event cannot hold
        up the others; an event that cannot be saved twice gets her fallback line, unsaved."""
        try:
            self._save_together(batch, finished, now)
            return
        except Exception as exc:
            if len(batch) + len(finished) == 1:
                self._unsaved(batch[0][0] if batch else finished[0][0], exc, now)
                return
            log.warning(
                "saving %d decisions together failed (%s); saving them one by one", len(batch), _reason(exc)
            )
        for item in batch:
            try:
                self._save_together([item], [], now)
            except Exception as exc:
                self._unsaved(item[0], exc, now)
        for item in finished:
            try:
                self._save_together([], [item], now)
            except Exception as exc:
                self._unsaved(item[0], exc, now)

    def _save_together(self, batch: list, finished: list, now: float) -> None:
        payloads = []
        with self.s.engine.begin() as conn:
            lost = self._not_ours(conn, [r.id for r, _ in batch] + [r.id for r, _ in finished])
            mine = [(r, d) for r, d in batch if r.id not in lost]
            notices = self.s.store.apply_many([(d, r.event_id) for r, d in mine], self._local(now), conn)
            for (row, decision), sent in zip(mine, notices, strict=True):
                payloads.append(
                    (row, _payload(decision, sent, failure=self._apologies.pop(id(decision), None)))
                )
            inbox.save_outgoing_many(conn, [(row.id, payload) for row, payload in payloads])
            inbox.finish(conn, [(r.id, outcome, None) for r, outcome in finished if r.id not in lost], now)
        for row, payload in payloads:
            self.chats[row.chat_key].sends.append(self._send_of(row, payload, resend=False))
        for key in {r.chat_key for r, _ in [*batch, *finished] if r.id in lost}:
            self._drop(key)

    def _unsaved(self, row: inbox.Claimed, exc: Exception, now: float) -> None:
        """A decision that could not be saved: try again once, then answer with her fallback line."""
        reason = _reason(exc)
        self._failures[row.id] = self._failures.get(row.id, 0) + 1
        chat = self.chats.setdefault(row.chat_key, Chat(row.chat_key))
        if self._failures[row.id] < 2:
            log.warning("event %s not saved (%s): trying again", row.event_id, reason)
            chat.queue.appendleft(row)
            chat.retry_at = now + 0.5
            return
        log.error("event %s could not be saved: %s", row.event_id, reason)
        apology = self._apology(row.event, now, self.s.store)
        if apology is None:
            with self._lock:
                self._done.append((row.id, "error", reason))
            return
        chat.sends.append(
            Send(row, apology.messages, [], resend=False, error=reason, outcome="error_fallback")
        )

    def _not_ours(self, conn, ids: list[int]) -> set[int]:
        """Which of these events another worker has taken over (checked inside the saving transaction)."""
        if not ids:
            return set()
        t = inbox_table
        stmt = select(t.c.id).where(t.c.id.in_(ids), t.c.claimed_by == self.owner, t.c.status == "working")
        if conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update()
        return set(ids) - set(conn.scalars(stmt))

    def _drop(self, key: str) -> None:
        log.warning("a chat was taken over by another worker; dropping what this one held of it")
        self.chats.pop(key, None)

    # --- sending ---------------------------------------------------------------------------------
    def _send_of(self, row: inbox.Claimed, payload: dict, *, resend: bool) -> Send:
        messages = [Outgoing.from_json(m) for m in payload.get("messages", [])]
        notices = [Notice(*n) for n in payload.get("notices", [])]
        held = bool((row.outgoing or {}).get("held")) or bool(payload.get("held"))
        failure = payload.get("failure")
        actions = [action_from_json(a) for a in payload.get("actions", [])]
        return Send(row, messages, notices, resend, held, error=failure,
                    outcome="error_fallback" if failure else None, actions=actions)  # fmt: skip

    def _flush_sends(self, now: float) -> bool:
        """Start the next send of every chat whose previous one is done (one at a time per chat)."""
        started = False
        for chat in list(self.chats.values()):
            with self._lock:
                if chat.sending or not chat.sends or now < chat.retry_at:
                    continue
                chat.sending = True
                item = chat.sends.popleft()
            self._sender.submit(self._send_task, chat, item)
            started = True
        return started

    def _send_task(self, chat: Chat, item: Send) -> None:
        try:
            outcome = self._deliver(item)
            outcome = item.outcome or outcome
        except SendFailed as exc:
            item.attempts += 1
            if (
                item.attempts < SEND_ATTEMPTS
                and delivery.token_time_left(item.row.event, self.clock()) is not None
            ):
                log.warning("send failed (attempt %d): %s", item.attempts, exc.reason)
                with self._lock:
                    chat.sends.appendleft(replace(item, resend=True, error=exc.reason))
                    chat.retry_at = self.clock() + inbox.backoff(item.attempts, base=0.5, cap=4.0)
                    chat.sending = False
                self._wake.set()
                return
            outcome = f"send_failed:{exc.reason}"[:40]
        except Exception as exc:  # a bug: record it, never lose the worker
            log.error("send of event %s failed: %s", item.row.event_id, _reason(exc))
            outcome = "send_error"
        with self._lock:
            if not item.holding:  # the holding line is not the event's outcome: its answer is
                self._done.append((item.row.id, outcome, item.error))
                self._failures.pop(item.row.id, None)
            chat.sending = False
        self._wake.set()

    def _deliver(self, item: Send) -> str:
        """Send one event's messages the way core.delivery says; return the inbox outcome."""
        edge = self.s.edge
        if item.holding:
            return self._send_holding(item)
        try:
            return self._deliver_messages(item)
        finally:
            if item.actions and edge is not None:  # rich-menu links, announcements (doors/line_actions.py)
                self._notify(self.line_side.run(item.actions, item.row.event_id), item.row.event_id, "action")

    def _deliver_messages(self, item: Send) -> str:
        edge = self.s.edge
        notices_sent = self._notify(item.notices, item.row.event_id)
        if not item.messages:
            return "nothing" if not notices_sent else "notified"
        if edge is None:
            return "no_line"
        event = item.row.event
        source = source_of(event)
        push_ok = self._push_ok(source)
        fresh = delivery.token_time_left(event, self.clock()) is not None
        plan = delivery.plan(fresh=fresh, push_ok=push_ok, token_used=item.held)
        if plan.how == delivery.REPLY:
            try:
                edge.reply(event["replyToken"], item.messages)
                return plan.outcome
            except ReplyTokenInvalid:
                plan = delivery.after_reply_rejected(resend=item.resend, push_ok=push_ok)
                if plan.how == delivery.PUSH:
                    log.info("reply token rejected, pushing instead")
        if plan.how == delivery.PUSH:
            key = retry_key(item.row.event_id)
            edge.push(source.chat_id, item.messages, key)
            self.line_side.pushed("answer", 1, key, item.row.event_id)
        return plan.outcome

    def _send_holding(self, item: Send) -> str:
        """Remember that the token goes to a holding line, then use it (the answer follows by push)."""
        with self.s.engine.begin() as conn:
            inbox.save_outgoing(
                conn, item.row.id, {"held": [m.to_json() for m in item.messages]}, only_if_empty=True
            )
        if self.s.edge is not None and delivery.token_time_left(item.row.event, self.clock()) is not None:
            with contextlib.suppress(ReplyTokenInvalid):
                self.s.edge.reply(item.row.event["replyToken"], item.messages)
        return ""

    def _notify(self, notices: list[Notice], event_id: str, purpose: str = "notice") -> int:
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

    def _watch_models(self) -> None:
        """Read the configured models' shutdown dates; push the admins' notices (once each)."""
        try:
            notices = model_watch.check(self.s, self.clock())
        except Exception as exc:  # never lose the pool thread
            log.warning("model watch failed: %s", _reason(exc))
            return
        for notice in notices:
            self.line_side.push_notice(notice, f"models:{self.clock():.0f}")

    def _refresh_quota(self) -> None:
        try:
            self.line_side.refresh()
        except Exception as exc:  # never lose the pool thread
            log.warning("quota refresh failed: %s", _reason(exc))

    def _loading(self, row: inbox.Claimed, now: float) -> None:
        """The typing dots while she thinks: one-on-one chats with a fresh token only (best effort)."""
        source = source_of(row.event)
        if self.s.edge is None or not source.one_on_one or not delivery.token_time_left(row.event, now):
            return
        if self._dots_waiting >= MAX_DOTS_WAITING:  # LINE allows 100 a second; a burst skips some
            return

        def show() -> None:
            try:
                self.s.edge.loading(source.chat_id, 20)
            finally:
                with self._lock:
                    self._dots_waiting -= 1

        with self._lock:
            self._dots_waiting += 1
        self._dots.submit(show)

    # --- the Layer 2 lane ------------------------------------------------------------------------
    def _due(self, job: Job, now: float) -> bool:
        merge = self.settings.merge_seconds
        last = max(
            (t for r in job.rows if (t := delivery.event_seconds(r.event)) is not None), default=job.opened
        )
        chat = self.chats[job.rows[0].chat_key]
        if chat.queue or not self._mergeable(job.rows[0]):  # nothing will join it: start now
            return True
        left = delivery.token_time_left(job.newest.event, now)
        if left is not None and left < merge + 10:
            return True
        return now >= min(max(last, job.opened) + merge, job.opened + MERGE_CAP_FACTOR * merge)

    def _start_jobs(self, now: float) -> bool:
        """Start due jobs, the most urgent first, while Layer 2 slots are free."""
        due = [c for c in self.chats.values() if c.job and not c.job.started and self._due(c.job, now)]
        due.sort(key=lambda c: delivery.event_seconds(c.job.newest.event) or 0)
        started = False
        for chat in due:
            if self._running >= self.settings.layer2_slots:
                break
            job = chat.job
            job.started = True
            started = True
            with self._lock:
                self._running += 1
            self._l2.submit(self._run_job, chat, job, self._merged_turn(job, now))
        return started

    def _merged_turn(self, job: Job, now: float) -> Turn:
        texts = [text_of(r.event) for r in job.rows]
        source = source_of(job.newest.event)
        return Turn(
            user_id=source.user_id,
            text=texts[-1][0],
            now=self._local(now),
            chat=source.kind,
            mentioned=any(t[1] for t in texts),
            time_left=delivery.token_time_left(job.newest.event, now),
            earlier=tuple(t[0] for t in texts[:-1]),
            quote_token=native.quote_token_of(job.newest.event),
        )

    def _run_job(self, chat: Chat, job: Job, turn: Turn) -> None:
        """In the Layer 2 pool: decide the merged turn afresh, call the model, save the answer,
        queue its send (and finish the merged bubbles). The dispatcher never waits for any of it.
        A failure on the way gets her fallback line; one that keeps the answer from being saved
        is tried once more, then apologised for unsaved."""
        newest = job.newest
        try:
            try:
                decision = self._complete(job, self.s.conversation.decide(turn, self.s.store))
            except Exception as exc:
                reason = _reason(exc)
                log.error("event %s could not be decided: %s", newest.event_id, reason)
                decision = self._apology(newest.event, self.clock(), self.s.store, reason)
            self._save_job(chat, job, decision)
        except Exception as exc:
            with self._lock:
                self._failures[newest.id] = self._failures.get(newest.id, 0) + 1
                again = self._failures[newest.id] < 2
                if again:  # the events stay ours: tried again after a pause
                    chat.queue.extendleft(reversed(job.rows))
                    chat.retry_at = self.clock() + inbox.backoff(newest.attempts)
            log.error("Layer 2 answer for event %s not saved: %s", newest.event_id, _reason(exc))
            if not again:
                self._apologise_unsaved(chat, job, _reason(exc))
        finally:
            with self._lock:
                self._running -= 1
                if chat.job is job:
                    chat.job = None
            self._wake.set()

    def _apologise_unsaved(self, chat: Chat, job: Job, reason: str) -> None:
        apology = self._apology(job.newest.event, self.clock(), self.s.store)
        with self._lock:
            self._done += [(r.id, "merged", f"answered with {job.newest.event_id}") for r in job.rows[:-1]]
            if apology is None:
                self._done.append((job.newest.id, "error", reason))
            else:
                chat.sends.append(Send(job.newest, apology.messages, [], resend=False, error=reason,
                                       outcome="error_fallback"))  # fmt: skip

    def _complete(self, job: Job, result: Decision | Deferred | None) -> Decision | None:
        if not isinstance(result, Deferred):
            return result
        now = self.clock()
        push_ok = self._push_ok(source_of(job.newest.event))
        # With push on, a holding line covers the token and the answer may take the model's full
        # deadline; otherwise every attempt must end while the token is still good.
        time_left = None if push_ok else delivery.token_time_left(job.newest.event, now) or 0.0
        return self.s.conversation.complete(result, time_left)

    def _save_job(self, chat: Chat, job: Job, decision: Decision | None) -> None:
        now = self.clock()
        newest = job.newest
        with self.s.engine.begin() as conn:
            if self._not_ours(conn, [r.id for r in job.rows]):
                raise LostLease()
            notices = (
                self.s.store.apply(decision, self._local(now), conn, event_id=newest.event_id)
                if decision
                else []
            )
            with job.lock:
                job.answered = True
                held = job.held
            failure = self._apologies.pop(id(decision), None) if decision is not None else None
            payload = _payload(decision or Decision(), notices, held=held, failure=failure)
            inbox.save_outgoing(conn, newest.id, payload)
            inbox.finish(
                conn, [(r.id, "merged", f"answered with {newest.event_id}") for r in job.rows[:-1]], now
            )
        with self._lock:
            chat.sends.append(self._send_of(newest, payload, resend=False))

    def _watch_holds(self, now: float) -> None:
        """Push on: before a running job's token expires, she says she is still thinking."""
        for chat in self.chats.values():
            job = chat.job
            if job is None or not job.started:
                continue
            source = source_of(job.newest.event)
            left = delivery.token_time_left(job.newest.event, now)
            with job.lock:
                if not delivery.should_hold(time_left=left, push_ok=self._push_ok(source), answered=job.answered,
                                            held=job.held):  # fmt: skip
                    continue
                job.held = True
            try:
                turn = Turn(source.user_id, "", self._local(now), chat=source.kind)
                line = self.s.conversation.holding_line(turn, self.s.store)
            except Exception as exc:  # the answer still follows by push
                log.warning("holding line not chosen: %s", _reason(exc))
                continue
            with self._lock:  # ahead of the answer, which then follows by push
                chat.sends.appendleft(Send(job.newest, [line], [], resend=False, holding=True))

    # --- helpers ---------------------------------------------------------------------------------
    def _push_ok(self, source) -> bool:
        return self.settings.push_fallback and source is not None and bool(source.chat_id)

    def _local(self, now: float) -> datetime:
        return datetime.fromtimestamp(now, self.settings.tz)

    def _profile(self, user_id: str) -> str | None:
        return self.s.edge.display_name(user_id) if self.s.edge is not None else None

    # --- running -------------------------------------------------------------------------------
    def drain(self, limit: int = 10_000, *, merges: bool = False) -> int:
        """Step until nothing is left to do (tests; ``botan-line work --until-idle`` also waits out
        the merge windows in real time with ``merges``)."""
        steps = 0
        while steps < limit:
            steps += 1
            if not self.step() and not self._busy():
                if not (merges and self.waiting_jobs()):
                    break
                self._stop.wait(self.settings.poll_seconds)
            if self._busy():
                self._wake.wait(0.01)
                self._wake.clear()
        return steps

    def _busy(self) -> bool:
        with self._lock:
            return self._running > 0 or any(c.sending for c in self.chats.values())

    def waiting_jobs(self) -> int:
        """Jobs still inside their merge window (tests move the clock past it)."""
        return sum(1 for c in self.chats.values() if c.job and not c.job.started)

    def loop(self) -> None:
        with contextlib.suppress(OSError, AttributeError):  # the webhook thread of this process wins the CPU
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 5)
        while not self._stop.is_set():
            try:
                busy = self.step(force_claim=False)
                self._housekeeping()
            except Exception as exc:  # the database went away: wait and try again, never die
                log.error("worker pass failed: %s", _reason(exc))
                busy = False
            if not busy:
                self._wake.wait(self.settings.poll_seconds)
                self._wake.clear()
            else:  # a busy inbox: let a batch gather before the next claim
                self._wake.wait(max(0.0, self._last_claim + CLAIM_EVERY - time.monotonic()))
                self._wake.clear()

    def _housekeeping(self) -> None:
        now = self.clock()
        if (
            self.s.edge is not None
            and now - self._last_quota > 60 * self.settings.config.line.quota_refresh_minutes
        ):
            self._last_quota = now  # LINE's quota and follower count, read in the sender pool
            self._sender.submit(self._refresh_quota)
        hours = self.settings.config.lifecycle.check_hours
        if self.s.layer2.enabled and now - self._last_models > 3600 * hours:
            self._last_models = now  # in the sender pool, off the fast lane, like the quota
            self._sender.submit(self._watch_models)
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
        """Stop claiming; let running calls finish; hand back what nobody started."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        deadline = time.monotonic() + timeout
        while self._busy() and time.monotonic() < deadline:
            self._flush_sends(self.clock())
            time.sleep(0.05)
        try:
            with self.s.engine.begin() as conn:
                with self._lock:
                    done, self._done = self._done, []
                inbox.finish(conn, done, self.clock())
                queued = [r.id for c in self.chats.values() for r in c.queue]
                queued += [
                    r.id for c in self.chats.values() if c.job and not c.job.started for r in c.job.rows
                ]
                inbox.unclaim(conn, self.owner, queued)
                inbox.release(
                    conn, self.owner, [k for k, c in self.chats.items() if not c.sending and c.job is None]
                )
        except Exception as exc:
            log.warning("could not hand back unstarted events: %s", _reason(exc))
        self._l2.shutdown(wait=False)
        self._sender.shutdown(wait=False)
        self._dots.shutdown(wait=False)


def _payload(
    decision: Decision, notices: list[Notice], held: bool = False, failure: str | None = None
) -> dict:
    """What the inbox keeps of a decision, so a resend needs nothing else."""
    payload = {
        "messages": [m.to_json() for m in decision.messages],
        "notices": [[n.to, n.text] for n in notices],
    }
    if held:
        payload["held"] = True
    if failure:  # an apology for a failure: recorded as error_fallback, with the reason
        payload["failure"] = failure
    if decision.actions:  # LINE-side actions run by _deliver (a resend runs them again, idempotently)
        payload["actions"] = [action_to_json(a) for a in decision.actions]
    return payload
