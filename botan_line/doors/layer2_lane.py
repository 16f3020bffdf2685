"""The Layer 2 lane: model calls in a bounded pool, so that nothing else ever waits for one.

A text that needs a model becomes a *job* for its chat. The fan's next bubbles within
``BOTAN_MERGE_SECONDS`` (or while the call waits) join it: one model call, one reply with the newest
reply token. A photo turn takes the other photos of its image set (waiting up to
``media.image_set_wait_seconds`` for them) and the words the fan writes right after the photos. A job is started when it is due, the most urgent first, while ``BOTAN_LAYER2_SLOTS``
calls are in flight; in the pool it completes the call and hands the answer back to the dispatcher
(``Board.answers``), which saves it and queues its send. A job of one bubble runs the Layer 2 call the
fast lane already prepared (the layer table is walked once); merged bubbles are decided again as one
turn.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from botan_line.core import delivery, media
from botan_line.core.conversation import Deferred
from botan_line.core.fallback import apology
from botan_line.core.model import Decision, Turn
from botan_line.doors.chats import Answer, Board, Chat, Inline, Job, Pool, inbound_of, reason, source_of
from botan_line.doors.sender import Sender
from botan_line.storage import inbox

log = logging.getLogger(__name__)

MERGE_CAP_FACTOR = 3  # a job waits at most this many merge windows for more bubbles


def mergeable(row: inbox.Claimed) -> bool:
    """A text bubble (not a command) may join the Layer 2 call in front of it — in a one-on-one chat
    only: in a group the next bubble is often someone else's, and may not be for her."""
    event = row.inbound
    return (
        event is not None
        and event.source is not None
        and event.source.one_on_one
        and event.text is not None
        and not event.command
        and row.outgoing is None
    )


def photo_job(job: Job) -> bool:
    """A photo turn (``core/media.py``): it gathers its image set and the words sent with it."""
    deferred = job.deferred
    return (
        deferred is not None
        and isinstance(deferred.call, media.MediaCall)
        and deferred.call.kind == media.PHOTO
    )


def joins(job: Job, row: inbox.Claimed) -> bool:
    """May ``row`` join the job in front of it (before its call starts)? A text bubble joins a text's
    call; a photo turn takes the other photos of its set and the fan's words sent right after."""
    if photo_job(job):
        first = job.rows[0].inbound
        return (
            row.outgoing is None
            and row.inbound is not None
            and first is not None
            and media.joins(first, row.inbound)
        )
    return mergeable(row) and mergeable(job.rows[0])


class Layer2Lane:
    def __init__(self, services, board: Board, sender: Sender, clock: Callable[[], float],
                 local: Callable[[float], datetime], *, inline: bool = False):  # fmt: skip
        self.s = services
        self.board = board
        self.sender = sender
        self.clock = clock
        self.local = local
        self.slots = services.settings.layer2_slots
        self.merge = services.settings.merge_seconds
        self.pool: Pool = (
            Inline() if inline else ThreadPoolExecutor(self.slots, thread_name_prefix="botan-l2")
        )

    def due(self, chat: Chat, job: Job, now: float) -> bool:
        """Start now? When nothing more can join it, its token is running out, or the window closed."""
        photos = photo_job(job)
        if chat.queue or not (photos or mergeable(job.rows[0])):  # nothing will join it: start now
            return True
        left = delivery.token_time_left(inbound_of(job.newest), now)
        if left is not None and left < self.merge + 10:
            return True
        if photos and not media.complete_set([inbound_of(r) for r in job.rows]):  # the rest of the set
            return now >= job.opened + self.s.settings.config.media.image_set_wait_seconds
        last = max(inbound_of(r).time for r in job.rows)
        return now >= min(max(last, job.opened) + self.merge, job.opened + MERGE_CAP_FACTOR * self.merge)

    def start_due(self, now: float) -> bool:
        """Start due jobs, the most urgent first, while Layer 2 slots are free."""
        chats = self.board.chats.values()
        due = [(c, c.job) for c in chats if c.job and not c.job.started and self.due(c, c.job, now)]
        due.sort(key=lambda cj: inbound_of(cj[1].newest).time)
        started = False
        for chat, job in due:
            if self.board.running >= self.slots:
                break
            job.started = started = True
            with self.board.lock:
                self.board.running += 1
            self.pool.submit(self._run, chat, job, self._turn(job, now))
        return started

    def _turn(self, job: Job, now: float) -> Turn:
        """The merged bubbles as one turn (the newest one's reply token and quote)."""
        events = [inbound_of(r) for r in job.rows]
        newest = events[-1]
        source = source_of(newest)
        return Turn(
            user_id=source.user_id,
            text=newest.text or "",
            now=self.local(now),
            chat=source.kind,
            mentioned=any(e.mentioned for e in events),
            time_left=delivery.token_time_left(newest, now),
            earlier=tuple(e.text or "" for e in events[:-1]),
            message_ids=tuple(e.message_id or "" for e in events),  # each bubble's, so an unsend finds it
            quote_token=newest.quote_token,
        )

    def _run(self, chat: Chat, job: Job, turn: Turn) -> None:
        """In the pool: the call (a failure gets her fallback line), handed back to the dispatcher."""
        newest = job.newest
        result: Decision | Deferred | None
        try:
            if len(job.rows) == 1:  # the call the fast lane prepared
                result = job.deferred
            elif photo_job(job):  # the photos of a set and the words sent with them: one turn
                events = [inbound_of(r) for r in job.rows]
                result = media.media_turn(self.s.conversation, events, turn, self.s.store)
            else:
                result = self.s.conversation.decide(turn, self.s.store)
            answer = Answer(chat, job, self._complete(job, result))
        except Exception as exc:
            why = reason(exc)
            log.error("event %s could not be decided: %s", newest.event_id, why)
            answer = self._apology(chat, job, turn, why)
        with self.board.lock:
            self.board.answers.append(answer)
            self.board.running -= 1
        self.board.wake.set()

    def _apology(self, chat: Chat, job: Job, turn: Turn, why: str) -> Answer:
        try:
            return Answer(chat, job, apology(self.s.conversation, turn, self.s.store), failure=why)
        except Exception as exc:
            log.warning("fallback line failed too: %s", reason(exc))
            return Answer(chat, job, None, error=why)

    def _complete(self, job: Job, result: Decision | Deferred | None) -> Decision | None:
        if not isinstance(result, Deferred):
            return result
        event = inbound_of(job.newest)
        # With push on, a holding line covers the token and the answer may take the model's full
        # deadline; otherwise every attempt must end while the token is still good.
        left = delivery.token_time_left(event, self.clock())
        time_left = None if self.sender.push_ok(event) else left or 0.0
        return self.s.conversation.complete(result, time_left)

    def shutdown(self) -> None:
        self.pool.shutdown(wait=False)
