"""The dispatcher: the fast lane, and the only writer of the inbox.

Each pass: claim chats (fair: one place per chat, whatever its backlog) and parse every claimed event
once (``core/inbound.py``: an event LINE's schema refuses is finished as refused, never decided) →
decide every runnable event with the core, in order per chat → save the pass's decisions and the
Layer 2 lane's answers in one transaction, *before* anything is sent → queue the sends. Commands,
safety, Layer 1 and fallback lines never wait for anything else; a text that needs a model becomes a
job of the Layer 2 lane. Per chat, nothing is answered before the message in front of it.

A decision that cannot be saved is tried once more, then answered with her fallback line unsaved; a
chat another worker took over (this one stopped renewing its lease) is dropped.

Two things ride along: every decision that answers fans' messages carries a ``MarkRead`` of each
message's own read token (the sender marks them once her answer is delivered, when the channel reads
manually), and once a second — at once when a pass saved a confirmed ``/announce`` — the due notices
are claimed (``storage/notices.py``: exactly one worker sends each) and handed to the sender.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from botan_line.core import delivery, quota
from botan_line.core.conversation import Deferred
from botan_line.core.events import EventContext, NoProfiles, decide
from botan_line.core.fallback import apology
from botan_line.core.inbound import InvalidEvent, parse
from botan_line.core.model import Decision, MarkRead, ScheduleNotice, Turn
from botan_line.doors.chats import Answer, Board, Chat, Job, Send, inbound_of, reason, send_of, source_of
from botan_line.doors.layer2_lane import Layer2Lane, joins
from botan_line.doors.saving import Saver, Saving
from botan_line.doors.sender import Sender
from botan_line.storage import inbox, notices
from botan_line.storage.overlay import Overlay

log = logging.getLogger(__name__)

NEW_CHATS_PER_CLAIM = 64  # chats taken per pass
CLAIM_EVERY = 0.05  # seconds between claims: a busy inbox is taken in batches, each a few statements
NOTICES_EVERY = 1.0  # seconds between looks for due notices (and at once after a confirmed /announce)
MAX_CHATS = 1024  # chats one worker holds at once (the rest wait for it, or for another worker)


class Dispatcher:
    def __init__(self, services, board: Board, lane: Layer2Lane, sender: Sender, owner: str,
                 clock: Callable[[], float], local: Callable[[float], datetime]):  # fmt: skip
        self.s = services
        self.settings = services.settings
        self.board = board
        self.lane = lane
        self.sender = sender
        self.owner = owner
        self.clock = clock
        self.local = local
        self.saver = Saver(services, board, owner, local, self._apology)
        self.last_claim = self.last_renew = 0.0
        self.last_notices = float("-inf")

    @property
    def chats(self) -> dict[str, Chat]:
        return self.board.chats

    # --- one pass -----------------------------------------------------------------------------------
    def step(self, force_claim: bool = True) -> bool:
        """Claim, decide, save, start due Layer 2 jobs, hold, send. True when anything happened."""
        now = self.clock()
        claimed = self._claim(now, force_claim)
        for row in claimed:
            self.chats.setdefault(row.chat_key, Chat(row.chat_key)).queue.append(row)
        batch, finished = self._advance_all(now)
        with self.board.lock:
            answers, self.board.answers = self.board.answers, []
        saving = batch + [s for a in answers if (s := self._answered(a))]
        for item in saving:
            _read_receipt(item)
        if saving or finished:
            self.saver.save(saving, finished, now)
        confirmed = any(isinstance(e, ScheduleNotice) for item in saving for e in item.decision.effects)
        due = self._due_notices(now, force=confirmed)
        started = self.lane.start_due(now)
        held = self._watch_holds(now)
        sent = self.sender.flush(now)
        return bool(claimed or saving or finished or answers or started or held or sent or due)

    def _claim(self, now: float, force: bool) -> list[inbox.Claimed]:
        if not force and time.monotonic() - self.last_claim < CLAIM_EVERY:
            return []
        self.last_claim = time.monotonic()
        with self.board.lock:
            done, self.board.done = self.board.done, []
        for row_id, _outcome, _error in done:
            self.saver.failures.pop(row_id, None)
        idle = [k for k, c in self.chats.items() if c.idle]
        for key in idle:
            del self.chats[key]
        mine = [k for k, c in self.chats.items() if c.job is None or not c.job.started]
        room = max(0, min(NEW_CHATS_PER_CLAIM, MAX_CHATS - len(self.chats)))
        try:
            with self.s.engine.begin() as conn:
                inbox.finish(conn, done, now)
                inbox.release(conn, self.owner, idle)
                if now - self.last_renew >= self.settings.lease_seconds / 3:
                    inbox.renew(conn, self.owner, now, self.settings.lease_seconds)
                    self.last_renew = now
                rows = inbox.claim(conn, self.owner, now=now, lease_seconds=self.settings.lease_seconds,
                                   new_chats=room, mine=mine)  # fmt: skip
                return self._parsed(conn, rows, now)
        except Exception:
            with self.board.lock:
                self.board.done = done + self.board.done  # written next time
            raise

    def _parsed(self, conn, rows: list[inbox.Claimed], now: float) -> list[inbox.Claimed]:
        """Every claimed event parsed once; one that LINE's schema refuses is finished as refused."""
        out, refused = [], []
        for row in rows:
            try:
                out.append(replace(row, inbound=parse(row.event)))
            except InvalidEvent as exc:
                log.warning("event %s refused: %s", row.event_id, exc)
                refused.append((row.id, "refused", str(exc)[:200]))
        if refused:
            inbox.finish(conn, refused, now)
        return out

    # --- deciding ------------------------------------------------------------------------------------
    def _advance_all(self, now: float) -> tuple[list[Saving], list[tuple[inbox.Claimed, str]]]:
        """Decide every event that can be decided now, in order per chat."""
        overlay = Overlay(self.s.store, now)
        waiting = [c for c in self.chats.values() if c.queue and now >= c.retry_at]
        sources = [inbound_of(r).source for c in waiting for r in c.queue]
        users = [s.user_id for s in sources if s]
        if users:
            overlay.prefetch(users)
        batch: list[Saving] = []
        finished: list[tuple[inbox.Claimed, str]] = []
        for chat in waiting:
            self._advance(chat, now, overlay, batch, finished)
        return batch, finished

    def _advance(self, chat: Chat, now: float, overlay: Overlay, batch: list, finished: list) -> None:
        while chat.queue:
            row = chat.queue[0]
            job = chat.job
            if job is not None:
                if job.started or not joins(job, row):
                    return  # behind a Layer 2 call (or a slow command, a photo): wait for its answer
                job.rows.append(chat.queue.popleft())
                continue
            saved = row.outgoing or {}
            if "messages" in saved:  # decided before a crash: re-send, never re-decide
                chat.queue.popleft()
                chat.sends.append(send_of(row, saved, resend=True))
                continue
            result = self._decide(row, now, overlay)
            chat.queue.popleft()
            if isinstance(result, Deferred):
                chat.job = Job([row], now, deferred=result)
                self.sender.loading(inbound_of(row), now)
            elif isinstance(result, str):
                finished.append((row, result))
            else:
                overlay.add(result.decision, now)
                batch.append(result)

    def _decide(self, row: inbox.Claimed, now: float, reads) -> Saving | Deferred | str:
        """The core's answer to one event, or an outcome when there is nothing to decide."""
        event = inbound_of(row)
        if event.mode == "standby":
            return "standby"
        if event.source is None:
            return "nothing"
        left = delivery.token_time_left(event, now)
        if delivery.expired_before_deciding(is_message=event.type == "message", time_left=left,
                                            push_ok=self.sender.push_ok(event), resend=False):  # fmt: skip
            return "expired"  # nobody would see an answer: decide nothing, spend nothing
        profiles = self.s.edge if self.s.edge is not None else NoProfiles()
        ctx = EventContext(self.s.conversation, reads, self.local(now), left, profiles)
        try:
            result = decide(event, ctx)
        except Exception as exc:
            why = reason(exc)
            log.error("event %s could not be decided: %s", row.event_id, why)
            said = self._apology(row, now, reads)
            return Saving(row, said, failure=why) if said is not None else "error"
        if isinstance(result, Deferred):
            return result
        if not (result.messages or result.effects or result.ledger or result.actions):
            return "nothing"
        return Saving(row, result)

    def _apology(self, row: inbox.Claimed, now: float, reads) -> Decision | None:
        """Deciding failed: a text gets her fallback line rather than silence (recorded as error_fallback)."""
        event = row.inbound
        if event is None or event.text is None or event.source is None:
            return None
        try:
            turn = Turn(event.source.user_id, event.text, self.local(now), chat=event.source.kind)
            return apology(self.s.conversation, turn, reads)
        except Exception as exc:
            log.warning("fallback line failed too: %s", reason(exc))
            return None

    def _answered(self, answer: Answer) -> Saving | None:
        """A Layer 2 job's answer, to save with this pass (None when there is nothing to say)."""
        job, chat = answer.job, answer.chat
        if chat.job is job:
            chat.job = None
        merged = job.rows[:-1]
        if answer.decision is None:
            self.board.finish(job.newest.id, "error", answer.error)
            for r in merged:
                self.board.finish(r.id, "merged", f"answered with {job.newest.event_id}")
            return None
        return Saving(job.newest, answer.decision, answer.failure, job, merged)

    # --- notices -------------------------------------------------------------------------------------
    def _due_notices(self, now: float, force: bool = False) -> bool:
        """Claim the notices that are due (or drop those too late) and hand them to the sender."""
        if not force and now - self.last_notices < NOTICES_EVERY:
            return False
        self.last_notices = now
        grace = 60 * self.settings.config.line.notice_grace_minutes
        claimed, dropped = notices.claim_due(self.s.engine, self.owner, now, grace, lambda: self._reach(now))
        for notice in claimed:
            self.sender.notice(notice)
        for info in dropped:
            log.warning("notice #%d dropped: its time passed %.0f s ago", info.id, now - info.due_at)
            self.sender.notice_dropped(info)
        return bool(claimed or dropped)

    def _reach(self, now: float) -> int | None:
        """Who a broadcast reaches, as the quota reading says (LINE's followers, else the fans we know)."""
        reach = quota.usage(self.s.store, self.local(now)).reach
        return reach[0] if reach else None

    # --- holding lines -------------------------------------------------------------------------------
    def _watch_holds(self, now: float) -> bool:
        """Push on: before a running job's token expires, she says she is still thinking. The inbox
        records that the token went to the holding line before the sender uses it."""
        holds = []
        for chat in self.chats.values():
            job = chat.job
            if job is None or not job.started:
                continue
            event = inbound_of(job.newest)
            left = delivery.token_time_left(event, now)
            if not delivery.should_hold(time_left=left, push_ok=self.sender.push_ok(event), answered=job.answered,
                                        held=job.held):  # fmt: skip
                continue
            job.held = True
            try:
                source = source_of(event)
                turn = Turn(source.user_id, "", self.local(now), chat=source.kind)
                holds.append((chat, job, self.s.conversation.holding_line(turn, self.s.store)))
            except Exception as exc:  # the answer still follows by push
                log.warning("holding line not chosen: %s", reason(exc))
        if not holds:
            return False
        with self.s.engine.begin() as conn:
            for _chat, job, line in holds:
                inbox.save_outgoing(conn, job.newest.id, {"held": [line.to_json()]}, only_if_empty=True)
        with self.board.lock:  # ahead of the answer, which then follows by push
            for chat, job, line in holds:
                chat.sends.appendleft(Send(job.newest, [line], [], resend=False, holding=True))
        return True

    # --- stopping -------------------------------------------------------------------------------------
    def settle(self) -> None:
        """While stopping: save the Layer 2 answers that came in and send what is queued (no claims)."""
        now = self.clock()
        with self.board.lock:
            answers, self.board.answers = self.board.answers, []
        saving = [s for a in answers if (s := self._answered(a))]
        if saving:
            self.saver.save(saving, [], now)
        self.sender.flush(now)

    def hand_back(self) -> None:
        """Finish what was sent, give back what nobody started (another worker takes it at once)."""
        with self.s.engine.begin() as conn:
            with self.board.lock:
                done, self.board.done = self.board.done, []
            inbox.finish(conn, done, self.clock())
            queued = [r.id for c in self.chats.values() for r in c.queue]
            queued += [r.id for c in self.chats.values() if c.job and not c.job.started for r in c.job.rows]
            inbox.unclaim(conn, self.owner, queued)
            inbox.release(
                conn, self.owner, [k for k, c in self.chats.items() if not c.sending and c.job is None]
            )


def _read_receipt(item: Saving) -> None:
    """She answers these messages: mark each read with its own token once the answer is delivered (the
    sender does, when the channel's markAsReadMode is manual). Merged bubbles oldest first."""
    if not item.decision.messages:
        return
    rows = [*item.merged, item.row]
    tokens = tuple(r.inbound.read_token for r in rows if r.inbound is not None and r.inbound.read_token)
    if tokens and not any(isinstance(a, MarkRead) for a in item.decision.actions):
        item.decision.actions.append(MarkRead(tokens))
