"""The durable inbox: every webhook event is stored once, then handled by exactly one worker.

Event states: pending → working → done | failed. Work is claimed by *chat*: a worker takes a
short lease on a chat (``chat_leases``, renewed while it works) and then every runnable event of
it, so one chat's events are handled by one worker at a time and in order, while a chat with a
backlog takes one place in the queue like any other (fair claiming). A worker that dies stops
renewing; its chats' leases run out within seconds and the next claim takes them over.

Once the core has decided what to say, the messages are saved in ``outgoing`` (in the same
transaction as the decision's effects) before anything is sent, so a reclaimed event is re-sent
(the reply token and the push retry key make LINE drop a duplicate), never re-decided.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, and_, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from botan_line.storage.db import chat_leases, fan_facts, history, inbox, ledger

MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Claimed:
    id: int
    event_id: str
    chat_key: str
    event: dict[str, Any]
    attempts: int
    outgoing: dict | None  # what was decided, when a previous attempt got that far


def chat_key(event: dict[str, Any]) -> str:
    """The chat an event belongs to; events without a source never share one (they block nobody)."""
    source = event.get("source")
    if isinstance(source, dict):
        key = source.get("groupId") or source.get("roomId") or source.get("userId")
        if isinstance(key, str) and key:
            return key[:80]
    return ("~" + str(event.get("webhookEventId") or ""))[:80]


def _event_time(event: dict[str, Any], now: float) -> float:
    ts = event.get("timestamp")
    if isinstance(ts, (int, float)) and not isinstance(ts, bool) and 0 < ts < 1e15:  # a real epoch-ms value
        return ts / 1000.0
    return now


def _insert(engine_or_conn):
    dialect = engine_or_conn.dialect.name
    if dialect == "postgresql":
        return postgresql.insert
    if dialect == "sqlite":
        return sqlite.insert
    return insert  # pragma: no cover - only the two supported back ends


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
    stmt = _insert(engine)(inbox).on_conflict_do_nothing(index_elements=["event_id"])
    with engine.begin() as conn:
        result = conn.execute(stmt, rows)
    return max(result.rowcount, 0)


def _runnable(now: float):
    return or_(inbox.c.status == "pending", and_(inbox.c.status == "working", inbox.c.lease_until < now))


def claim(
    conn: Connection,
    owner: str,
    *,
    now: float,
    lease_seconds: float,
    new_chats: int,
    mine: Iterable[str] = (),
    per_chat: int = 50,
) -> list[Claimed]:
    """Inside the caller's transaction: lease up to ``new_chats`` chats nobody holds (oldest waiting
    first, one place per chat however long its backlog), then take the runnable events of those
    chats and of the chats this owner already holds (``mine``), at most ``per_chat`` per chat,
    oldest first."""
    until = now + lease_seconds
    keys = list(dict.fromkeys(mine))
    if new_chats > 0:
        free = or_(
            chat_leases.c.chat_key.is_(None), chat_leases.c.lease_until < now, chat_leases.c.owner == owner
        )
        waiting = conn.execute(
            select(inbox.c.chat_key)
            .select_from(inbox.outerjoin(chat_leases, chat_leases.c.chat_key == inbox.c.chat_key))
            .where(_runnable(now), free, inbox.c.chat_key.not_in(keys) if keys else True)
            .group_by(inbox.c.chat_key)
            .order_by(func.min(inbox.c.id))
            .limit(new_chats)
        ).scalars()
        wanted = list(waiting)
        if wanted:
            stmt = _insert(conn)(chat_leases).values(
                [{"chat_key": k, "owner": owner, "lease_until": until} for k in wanted]
            )
            stmt = stmt.on_conflict_do_update(
                index_elements=["chat_key"],
                set_={"owner": stmt.excluded.owner, "lease_until": stmt.excluded.lease_until},
                where=or_(chat_leases.c.lease_until < now, chat_leases.c.owner == owner),
            ).returning(chat_leases.c.chat_key)
            keys += list(conn.execute(stmt).scalars())  # the chats another worker did not win first
    if not keys:
        return []
    ranked = (
        select(
            inbox.c.id, func.row_number().over(partition_by=inbox.c.chat_key, order_by=inbox.c.id).label("n")
        )
        .where(inbox.c.chat_key.in_(keys), _runnable(now))
        .subquery()
    )
    rows = conn.execute(
        update(inbox)
        .where(inbox.c.id.in_(select(ranked.c.id).where(ranked.c.n <= per_chat)))
        .values(status="working", lease_until=until, claimed_by=owner[:80], attempts=inbox.c.attempts + 1)
        .returning(
            inbox.c.id, inbox.c.event_id, inbox.c.chat_key, inbox.c.body, inbox.c.attempts, inbox.c.outgoing
        )
    ).all()
    rows.sort(key=lambda r: r.id)
    return [
        Claimed(
            r.id,
            r.event_id,
            r.chat_key,
            json.loads(r.body),
            r.attempts,
            json.loads(r.outgoing) if r.outgoing else None,
        )
        for r in rows
    ]


def renew(conn: Connection, owner: str, now: float, lease_seconds: float) -> None:
    """Keep every chat and event this owner works on (one heartbeat for all of them)."""
    until = now + lease_seconds
    conn.execute(update(chat_leases).where(chat_leases.c.owner == owner).values(lease_until=until))
    conn.execute(
        update(inbox)
        .where(inbox.c.claimed_by == owner[:80], inbox.c.status == "working")
        .values(lease_until=until)
    )


def release(conn: Connection, owner: str, keys: Iterable[str]) -> None:
    """Hand chats back (nothing left to do in them, or shutting down)."""
    keys = list(keys)
    if keys:
        conn.execute(
            delete(chat_leases).where(chat_leases.c.owner == owner, chat_leases.c.chat_key.in_(keys))
        )


def unclaim(conn: Connection, owner: str, row_ids: Iterable[int]) -> None:
    """Put claimed events nobody started back, so the next owner takes them at once (shutdown)."""
    ids = list(row_ids)
    if ids:
        conn.execute(
            update(inbox)
            .where(inbox.c.id.in_(ids), inbox.c.claimed_by == owner[:80], inbox.c.outgoing.is_(None))
            .values(status="pending", lease_until=None, claimed_by=None, attempts=inbox.c.attempts - 1)
        )


def save_outgoing(conn: Connection, row_id: int, outgoing: dict, only_if_empty: bool = False) -> None:
    """Inside the caller's transaction (with the decision's other writes)."""
    where = [inbox.c.id == row_id] + ([inbox.c.outgoing.is_(None)] if only_if_empty else [])
    conn.execute(update(inbox).where(*where).values(outgoing=json.dumps(outgoing, ensure_ascii=False)))


def finish(conn: Connection, results: Iterable[tuple[int, str, str | None]], now: float) -> None:
    """Mark events done: (row id, outcome, error or None)."""
    for row_id, outcome, error in results:
        values = dict(status="done", outcome=outcome[:40], finished_at=now, lease_until=None)
        if error:
            values["error"] = error[:500]
        conn.execute(update(inbox).where(inbox.c.id == row_id).values(**values))


def give_up(conn: Connection, row_id: int, reason: str, now: float) -> None:
    """After MAX_ATTEMPTS: the event is failed for good (the reason never quotes the fan)."""
    conn.execute(
        update(inbox)
        .where(inbox.c.id == row_id)
        .values(status="failed", lease_until=None, finished_at=now, error=reason[:500])
    )


def backoff(attempts: int, base: float = 2.0, cap: float = 20.0) -> float:
    """Seconds before an event that failed ``attempts`` times is tried again."""
    return min(cap, base * math.pow(2, max(0, attempts - 1)))


def prune(engine: Engine, retention_days: int, now: float | None = None) -> int:
    """Delete finished inbox rows, conversation history and facts older than the retention (a nickname
    stays until /forget: the fan chose it to be kept)."""
    now = time.time() if now is None else now
    cutoff = now - retention_days * 86400
    with engine.begin() as conn:
        n = conn.execute(
            delete(inbox).where(inbox.c.status.in_(("done", "failed")), inbox.c.received_at < cutoff)
        ).rowcount
        n += conn.execute(delete(history).where(history.c.created_at < cutoff)).rowcount
        n += conn.execute(delete(fan_facts).where(fan_facts.c.updated_at < cutoff)).rowcount
        # the ledger's figures stay; what users wrote does not outlive the retention
        n += conn.execute(
            update(ledger)
            .where(ledger.c.created_at < cutoff, ledger.c.normalized.is_not(None))
            .values(normalized=None, reply=None)
        ).rowcount
        n += conn.execute(delete(chat_leases).where(chat_leases.c.lease_until < now - 3600)).rowcount
    return n
