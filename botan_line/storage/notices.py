"""Notices in the database: kept when confirmed, claimed when due by exactly one worker, sent in batches.

Exactly once, across workers and crashes: a due notice is claimed by one conditional UPDATE (a
scheduled notice, or one whose sender's lease lapsed), and on its first claim its audience is
frozen into batches of ≤ 500 fans, each with its own retry key derived from the notice's. A batch is
marked sent when LINE accepted it; a notice taken over after a crash resends only the batches not
marked, with the same keys, so LINE drops any it had accepted (409) and nobody gets it twice. The
grace for a notice whose time passed while nobody could send it is ``core/notices.due``'s.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, and_, delete, func, or_, select, update
from sqlalchemy.engine import Connection

from botan_line.core.model import CancelNotice, ScheduleNotice
from botan_line.core.notices import (
    ALL,
    CANCELLED,
    DROP,
    DROPPED,
    FAILED,
    SCHEDULED,
    SEND,
    SENDING,
    SENT,
    NoticeChanged,
    NoticeInfo,
    due,
)
from botan_line.storage.db import notice_batches, notices, users

BATCH = 500  # LINE's multicast limit
LEASE_SECONDS = 60.0  # a sender renews it with every batch; a dead one's notice is taken over after it
GIVE_UP_SECONDS = 12 * 3600  # a started notice stops retrying well inside LINE's 24 h retry-key window


def info(row) -> NoticeInfo:
    return NoticeInfo(row.id, row.sister, row.text, row.title, row.audience, row.due_at, row.status,
                      row.sent_at, row.recipients, row.remember_until, row.error)  # fmt: skip


# --- reads ---------------------------------------------------------------------------------------
def latest(engine: Engine, limit: int) -> list[NoticeInfo]:
    """The newest notices by id (what /announce list shows, and where the next id comes from)."""
    with engine.connect() as conn:
        rows = conn.execute(select(notices).order_by(notices.c.id.desc()).limit(limit)).all()
    return [info(r) for r in rows]


def remembered(engine: Engine, now: float) -> list[NoticeInfo]:
    """Sent notices the sisters still remember at ``now``, newest first."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(notices)
            .where(notices.c.status == SENT, notices.c.remember_until > now)
            .order_by(notices.c.sent_at.desc(), notices.c.id.desc())
        ).all()
    return [info(r) for r in rows]


_FANS = and_(users.c.notify.is_(True), users.c.active.is_(True), users.c.user_id.like("U%"))


def subscribers(engine: Engine) -> int:
    """Fans in one-on-one chats who asked for notices and have not blocked the bot."""
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(users).where(_FANS)) or 0)


# --- the decision's writes (storage/effects.py) ---------------------------------------------------
def write_schedule(conn: Connection, e: ScheduleNotice, ts: float) -> None:
    conn.execute(
        notices.insert().values(
            id=e.id, key=e.key[:64], sister=e.sister[:20], text=e.text, title=(e.title or None) and e.title[:100],
            audience=e.audience, due_at=e.due_at, status=SCHEDULED, created_by=e.created_by[:64], created_at=ts,
        )
    )  # fmt: skip


def write_cancel(conn: Connection, e: CancelNotice, ts: float) -> None:
    done = conn.execute(
        update(notices)
        .where(notices.c.id == e.id, notices.c.status == SCHEDULED)
        .values(status=CANCELLED, error=f"cancelled by {e.admin}"[:80])
    )
    if done.rowcount != 1:
        raise NoticeChanged(f"notice {e.id} is no longer scheduled")


# --- the worker: claiming and sending -----------------------------------------------------------------
@dataclass(frozen=True)
class Batch:
    n: int
    retry_key: str
    user_ids: tuple[str, ...] | None  # None: a broadcast
    recipients: int
    sent: bool


@dataclass(frozen=True)
class Claimed:
    """A due notice this worker now sends: its batches (those not yet accepted by LINE to send)."""

    notice: NoticeInfo
    key: str
    batches: tuple[Batch, ...]

    @property
    def pending(self) -> list[Batch]:
        return [b for b in self.batches if not b.sent]


def _batches(conn: Connection, notice_id: int) -> list[Batch]:
    rows = conn.execute(
        select(notice_batches).where(notice_batches.c.notice_id == notice_id).order_by(notice_batches.c.n)
    ).all()
    return [
        Batch(r.n, r.retry_key, tuple(json.loads(r.user_ids)) if r.user_ids is not None else None, r.recipients,
              r.sent_at is not None)
        for r in rows
    ]  # fmt: skip


def _freeze(conn: Connection, row, reach: Callable[[], int | None]) -> list[Batch]:
    """The audience as it is now, in batches with their retry keys (written once, on the first claim)."""
    base = uuid.UUID(row.key) if _is_uuid(row.key) else uuid.uuid5(uuid.NAMESPACE_URL, row.key)
    if row.audience == ALL:
        made = [Batch(0, str(base), None, max(0, reach() or 0), False)]
    else:
        fans = list(conn.scalars(select(users.c.user_id).where(_FANS).order_by(users.c.user_id)))
        made = [
            Batch(n, str(base) if n == 0 else str(uuid.uuid5(base, str(n))), tuple(fans[i : i + BATCH]),
                  len(fans[i : i + BATCH]), False)
            for n, i in enumerate(range(0, len(fans), BATCH))
        ]  # fmt: skip
    if made:
        conn.execute(
            notice_batches.insert(),
            [dict(notice_id=row.id, n=b.n, retry_key=b.retry_key, recipients=b.recipients,
                  user_ids=None if b.user_ids is None else json.dumps(list(b.user_ids))) for b in made],
        )  # fmt: skip
    return made


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def claim_due(
    engine: Engine,
    owner: str,
    now: float,
    grace_seconds: float,
    reach: Callable[[], int | None] = lambda: None,
) -> tuple[list[Claimed], list[NoticeInfo]]:
    """Claim every due notice nobody is sending: (the ones to send now, the ones dropped as too late).

    ``reach``: what a broadcast reaches (LINE's follower figure), counted for the quota; read only when a
    broadcast is claimed for the first time."""
    claimed: list[Claimed] = []
    dropped: list[NoticeInfo] = []
    runnable = or_(
        and_(notices.c.status == SCHEDULED, notices.c.due_at <= now),
        and_(notices.c.status == SENDING, notices.c.lease_until < now),
    )
    with engine.begin() as conn:
        rows = conn.execute(select(notices).where(runnable).order_by(notices.c.due_at, notices.c.id)).all()
        for row in rows:
            batches = _batches(conn, row.id)
            started = any(b.sent for b in batches)
            verdict = due(row.due_at, now, grace_seconds, started)
            if started and now - row.due_at > GIVE_UP_SECONDS:
                verdict = DROP
            mine = or_(notices.c.status == SCHEDULED, notices.c.lease_until < now)
            if verdict == DROP:
                won = conn.execute(
                    update(notices).where(notices.c.id == row.id, mine)
                    .values(status=DROPPED if not started else FAILED, claimed_by=owner[:80], lease_until=None,
                            error="late" if not started else "late_partial")
                )  # fmt: skip
                if won.rowcount == 1:
                    dropped.append(info(row))
                continue
            if verdict != SEND:
                continue
            won = conn.execute(
                update(notices)
                .where(notices.c.id == row.id, mine)
                .values(status=SENDING, claimed_by=owner[:80], lease_until=now + LEASE_SECONDS)
            )
            if won.rowcount != 1:
                continue  # another worker was first
            if not batches:
                batches = _freeze(conn, row, reach)
            claimed.append(Claimed(info(row), row.key, tuple(batches)))
    return claimed, dropped


def batch_sent(engine: Engine, notice_id: int, n: int, now: float) -> None:
    """LINE accepted batch ``n``: never send it again; the sender's lease is renewed with it."""
    with engine.begin() as conn:
        conn.execute(
            update(notice_batches)
            .where(notice_batches.c.notice_id == notice_id, notice_batches.c.n == n)
            .values(sent_at=now)
        )
        conn.execute(update(notices).where(notices.c.id == notice_id).values(lease_until=now + LEASE_SECONDS))


def finish(
    engine: Engine, notice_id: int, status: str, now: float, *, remember_seconds: float = 0.0,
    error: str | None = None,
) -> None:  # fmt: skip
    """Sent (the sisters remember it from now), failed (with why), or put back to retry after the lease."""
    with engine.begin() as conn:
        reached = conn.scalar(
            select(func.coalesce(func.sum(notice_batches.c.recipients), 0)).where(
                notice_batches.c.notice_id == notice_id, notice_batches.c.sent_at.is_not(None)
            )
        )
        values: dict = dict(recipients=int(reached or 0), error=(error or None) and error[:80])
        if status == SENT:
            values.update(status=SENT, sent_at=now, remember_until=now + remember_seconds, lease_until=None)
        elif status == FAILED:
            values.update(status=FAILED, lease_until=None)
        else:  # a passing failure: another pass (this worker's or another's) takes it after the lease
            values.update(lease_until=now + LEASE_SECONDS)
        conn.execute(update(notices).where(notices.c.id == notice_id).values(**values))


def prune(conn: Connection, cutoff: float) -> int:
    """Forget who a finished notice went to once it is older than the retention (its figures stay)."""
    done = select(notices.c.id).where(
        notices.c.status.in_((SENT, FAILED, DROPPED, CANCELLED)), notices.c.due_at < cutoff
    )
    return conn.execute(delete(notice_batches).where(notice_batches.c.notice_id.in_(done))).rowcount
