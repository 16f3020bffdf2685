"""The durable inbox: every webhook event is stored once, then claimed by exactly one worker.

States: pending → working (leased) → done | failed. A worker that dies leaves its row
``working`` with an expired lease; the next claim takes it back. Once the pipeline has decided
what to say, the messages are saved in ``outgoing`` before anything is sent, so a reclaimed
event is re-sent (the reply token and the push retry key make LINE drop a duplicate), never
re-decided.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, and_, delete, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from botan_line.storage.db import history, inbox, ledger

MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Claimed:
    id: int
    event_id: str
    event: dict[str, Any]
    attempts: int
    outgoing: list[dict] | None


def chat_key(event: dict[str, Any]) -> str:
    source = event.get("source")
    if not isinstance(source, dict):
        return "-"
    return str(source.get("groupId") or source.get("roomId") or source.get("userId") or "-")[:80]


def _event_time(event: dict[str, Any], now: float) -> float:
    ts = event.get("timestamp")
    return ts / 1000.0 if isinstance(ts, (int, float)) and ts > 0 else now


def store(engine: Engine, events: list[dict[str, Any]], now: float | None = None) -> int:
    """Insert events, ignoring ones already stored (same webhookEventId). Returns rows added."""
    now = time.time() if now is None else now
    rows = []
    for ev in events:
        event_id = str(ev.get("webhookEventId") or "")[:64]
        if not event_id:
            continue
        rows.append(
            {
                "event_id": event_id,
                "chat_key": chat_key(ev),
                "event_type": str(ev.get("type", "?"))[:40],
                "body": json.dumps(ev, ensure_ascii=False, separators=(",", ":")),
                "event_ts": _event_time(ev, now),
                "received_at": now,
                "status": "pending",
                "attempts": 0,
            }
        )
    if not rows:
        return 0
    dialect = engine.dialect.name
    if dialect == "postgresql":
        stmt = postgresql.insert(inbox).on_conflict_do_nothing(index_elements=["event_id"])
    elif dialect == "sqlite":
        stmt = sqlite.insert(inbox).on_conflict_do_nothing(index_elements=["event_id"])
    else:  # pragma: no cover - only the two supported back ends
        stmt = insert(inbox)
    with engine.begin() as conn:
        result = conn.execute(stmt, rows)
    return max(result.rowcount, 0)


def claim(
    engine: Engine, worker: str, lease_seconds: float, now: float | None = None, window: int = 50
) -> Claimed | None:
    """Lease the oldest runnable event whose chat is not busy; None when there is nothing to do.

    Reads pick candidates without taking a lock; the lease itself is a compare-and-set UPDATE on
    one primary key, so exactly one claimer wins an event (SQLite and PostgreSQL alike) and the
    write lock is held for a fraction of a millisecond: webhook inserts never queue behind a scan.
    """
    now = time.time() if now is None else now
    runnable = or_(inbox.c.status == "pending", and_(inbox.c.status == "working", inbox.c.lease_until < now))
    with engine.connect() as conn:
        busy = set(
            conn.scalars(
                select(inbox.c.chat_key).where(inbox.c.status == "working", inbox.c.lease_until >= now)
            )
        )
        expired = conn.execute(
            select(inbox.c.id, inbox.c.chat_key, inbox.c.event_ts)
            .where(inbox.c.status == "working", inbox.c.lease_until < now)
            .order_by(inbox.c.event_ts)
            .limit(window)
        ).all()
        pending = conn.execute(
            select(inbox.c.id, inbox.c.chat_key, inbox.c.event_ts)
            .where(inbox.c.status == "pending")
            .order_by(inbox.c.event_ts, inbox.c.id)
            .limit(window)
        ).all()
    candidates = sorted([*expired, *pending], key=lambda r: (r.event_ts, r.id))
    for cand in candidates:
        if cand.chat_key in busy:
            continue  # one event per chat at a time, in order
        with engine.begin() as conn:
            row = conn.execute(
                update(inbox)
                .where(inbox.c.id == cand.id, runnable)
                .values(
                    status="working",
                    lease_until=now + lease_seconds,
                    claimed_by=worker[:80],
                    attempts=inbox.c.attempts + 1,
                )
                .returning(inbox.c.id, inbox.c.event_id, inbox.c.body, inbox.c.attempts, inbox.c.outgoing)
            ).first()
        if row is not None:
            return Claimed(
                row.id,
                row.event_id,
                json.loads(row.body),
                row.attempts,
                json.loads(row.outgoing) if row.outgoing else None,
            )
        busy.add(cand.chat_key)  # someone else took it (or its chat): try the next one
    return None


def save_outgoing(conn, row_id: int, outgoing: list[dict]) -> None:
    """Inside the caller's transaction (with the pipeline's other writes)."""
    conn.execute(
        update(inbox).where(inbox.c.id == row_id).values(outgoing=json.dumps(outgoing, ensure_ascii=False))
    )


def finish(
    engine: Engine, row_id: int, outcome: str, now: float | None = None, error: str | None = None
) -> None:
    now = time.time() if now is None else now
    with engine.begin() as conn:
        values = dict(status="done", outcome=outcome[:40], finished_at=now, lease_until=None)
        if error:
            values["error"] = error[:500]
        conn.execute(update(inbox).where(inbox.c.id == row_id).values(**values))


def fail(
    engine: Engine,
    row_id: int,
    attempts: int,
    reason: str,
    now: float | None = None,
    retry_after: float = 5.0,
) -> None:
    """Record a failure; the event is retried later until MAX_ATTEMPTS, then marked failed."""
    now = time.time() if now is None else now
    final = attempts >= MAX_ATTEMPTS
    with engine.begin() as conn:
        conn.execute(
            update(inbox)
            .where(inbox.c.id == row_id)
            .values(
                status="failed" if final else "working",
                lease_until=None if final else now + retry_after * attempts,
                finished_at=now if final else None,
                error=reason[:500],
            )
        )


def prune(engine: Engine, retention_days: int, now: float | None = None) -> int:
    """Delete finished inbox rows and conversation history older than the retention."""
    now = time.time() if now is None else now
    cutoff = now - retention_days * 86400
    with engine.begin() as conn:
        n = conn.execute(
            delete(inbox).where(inbox.c.status.in_(("done", "failed")), inbox.c.received_at < cutoff)
        ).rowcount
        n += conn.execute(delete(history).where(history.c.created_at < cutoff)).rowcount
        # the ledger's figures stay; what users wrote does not outlive the retention
        n += conn.execute(
            update(ledger)
            .where(ledger.c.created_at < cutoff, ledger.c.normalized.is_not(None))
            .values(normalized=None, reply=None)
        ).rowcount
    return n
