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
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from botan_line.core.delivery import event_seconds
from botan_line.core.inbound import Inbound
from botan_line.storage import notices
from botan_line.storage.db import chat_leases, fan_facts, history, inbox, ledger, state

MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Claimed:
    id: int
    event_id: str
    chat_key: str
    event: dict[str, Any]
    attempts: int
    outgoing: dict | None  # what was decided, when a previous attempt got that far
    inbound: Inbound | None = None  # the event as parsed once at claim time (doors/dispatcher.py)


def chat_key(event: dict[str, Any]) -> str:
    """The chat an event belongs to; events without a source never share one (they block nobody)."""
    source = event.get("source")
    if isinstance(source, dict):
        key = source.get("groupId") or source.get("roomId") or source.get("userId")
        if isinstance(key, str) and key:
            return key[:80]
    return ("~" + str(event.get("webhookEventId") or ""))[:80]


def _event_time(event: dict[str, Any], now: float) -> float:
    seconds = event_seconds(event)
    return now if seconds is None else seconds


def _insert(engine_or_conn):
    dialect = engine_or_conn.dialect.name
    if dialect == "postgresql":
        return postgresql.insert
    if dialect == "sqlite":
        return sqlite.insert
    return insert  # pragma: no cover - only the two supported back ends


_COLUMNS = ("event_id", "chat_key", "event_type", "body", "event_ts", "received_at", "status", "attempts")
_STORE_SQL = {  # the webhook's one statement, prepared once per dialect: every ack pays for it
    "sqlite": f"INSERT INTO inbox ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))}) "
    "ON CONFLICT (event_id) DO NOTHING",
    "postgresql": f"INSERT INTO inbox ({', '.join(_COLUMNS)}) VALUES ({', '.join(['%s'] * len(_COLUMNS))}) "
    "ON CONFLICT (event_id) DO NOTHING",
}


def store(engine: Engine, events: list[dict[str, Any]], now: float | None = None) -> int:
    """Insert events, ignoring ones already stored (same webhookEventId). Returns rows added."""
    now = time.time() if now is None else now
    rows = []
    for ev in events:
        event_id = str(ev.get("webhookEventId") or "")[:64]
        if not event_id:
            continue
        body = json.dumps(ev, ensure_ascii=False, separators=(",", ":"))
        event_type = str(ev.get("type", "?"))[:40] or "?"
        rows.append((event_id, chat_key(ev), event_type, body, _event_time(ev, now), now, "pending", 0))
    if not rows:
        return 0
    if engine.dialect.name == "sqlite":
        return _store_sqlite(engine, rows)
    with engine.begin() as conn:
        dbapi = conn.connection.dbapi_connection
        assert dbapi is not None  # an open connection has its DB-API connection
        cursor = dbapi.cursor()
        try:
            cursor.executemany(_STORE_SQL["postgresql"], rows)
            return max(cursor.rowcount, 0)
        finally:
            cursor.close()


WAIT_FOR_LOCK = 10.0  # seconds the webhook waits for SQLite's write lock before answering 503


def _store_sqlite(engine: Engine, rows: list[tuple]) -> int:
    """The webhook's insert, waiting for the write lock in steps of a fraction of a millisecond.

    SQLite's own busy handler sleeps 1, 2, 5, 10, 15 … ms between tries; a worker's transaction
    holds the lock for a few milliseconds, so that schedule alone makes the slowest acks tens of
    milliseconds. Here the wait is ours (busy_timeout 0 for this one statement), in short steps."""
    with engine.connect() as conn:
        dbapi: Any = conn.connection.dbapi_connection  # sqlite3's: execute/executemany on the connection
        dbapi.execute("PRAGMA busy_timeout=0")
        try:
            deadline, pause = time.monotonic() + WAIT_FOR_LOCK, 0.0002
            while True:
                try:
                    cursor = dbapi.executemany(_STORE_SQL["sqlite"], rows)
                    added = cursor.rowcount
                    dbapi.commit()
                    return max(added, 0)
                except sqlite3.OperationalError as exc:
                    dbapi.rollback()
                    if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() > deadline:
                        raise
                    time.sleep(pause)
                    pause = min(pause * 1.5, 0.002)
        finally:
            dbapi.execute("PRAGMA busy_timeout=30000")


def heartbeat(engine: Engine, now: float | None = None) -> None:
    """A real committed write (the health check): fails while the inbox could not be written."""
    now = time.time() if now is None else now
    stmt = _insert(engine)(state).values(key="healthz", value=f"{now:.3f}")
    with engine.begin() as conn:
        conn.execute(stmt.on_conflict_do_update(index_elements=["key"], set_={"value": stmt.excluded.value}))


SCAN = 400  # pending rows one claim looks at: chats held by anyone are skipped in SQL, so this is enough

# Built once: claims run many times a second, and building a statement costs more than running it.
_HELD = select(chat_leases.c.chat_key).where(chat_leases.c.lease_until >= bindparam("now"))
_PENDING_CHATS = (
    select(inbox.c.chat_key)
    .where(inbox.c.status == "pending", inbox.c.chat_key.not_in(_HELD))
    .order_by(inbox.c.id)
    .limit(SCAN)
)
_STALE_CHATS = (
    select(inbox.c.chat_key)
    .where(
        inbox.c.status == "working", inbox.c.lease_until < bindparam("now"), inbox.c.chat_key.not_in(_HELD)
    )
    .order_by(inbox.c.id)
    .limit(SCAN)
)
_RUNNABLE = or_(
    inbox.c.status == "pending", and_(inbox.c.status == "working", inbox.c.lease_until < bindparam("now"))
)
_TAKE = (
    update(inbox)
    .where(
        inbox.c.id.in_(
            select(inbox.c.id)
            .where(inbox.c.chat_key.in_(bindparam("keys", expanding=True)), _RUNNABLE)
            .order_by(inbox.c.id)
            .limit(bindparam("most"))
            .scalar_subquery()
        )
    )
    .values(
        status="working",
        lease_until=bindparam("until"),
        claimed_by=bindparam("owner"),
        attempts=inbox.c.attempts + 1,
    )
    .returning(
        inbox.c.id, inbox.c.event_id, inbox.c.chat_key, inbox.c.body, inbox.c.attempts, inbox.c.outgoing
    )
)


def _lease_stmt(dialect):
    stmt = _insert(dialect)(chat_leases)
    return stmt.on_conflict_do_update(
        index_elements=["chat_key"],
        set_={"owner": stmt.excluded.owner, "lease_until": stmt.excluded.lease_until},
        where=or_(chat_leases.c.lease_until < bindparam("now"), chat_leases.c.owner == stmt.excluded.owner),
    ).returning(chat_leases.c.chat_key)


_LEASE: dict[str, Any] = {}  # dialect name → the prepared lease statement


def claim(
    conn: Connection,
    owner: str,
    *,
    now: float,
    lease_seconds: float,
    new_chats: int,
    mine: Iterable[str] = (),
    per_chat: int = 200,
) -> list[Claimed]:
    """Inside the caller's transaction: lease up to ``new_chats`` chats nobody holds (oldest waiting
    first, one place per chat however long its backlog), then take the runnable events of those
    chats and of the chats this owner already holds (``mine``), oldest first.

    Index-only work: the pending rows of chats that are not held (a small ``chat_leases`` lookup),
    and the working rows whose worker stopped renewing; never the whole inbox."""
    until = now + lease_seconds
    keys = list(dict.fromkeys(mine))
    if new_chats > 0:
        stale = conn.execute(_STALE_CHATS, {"now": now}).scalars().all()
        pending = conn.execute(_PENDING_CHATS, {"now": now}).scalars().all()
        have = set(keys)
        wanted = [k for k in dict.fromkeys([*stale, *pending]) if k not in have][:new_chats]
        if wanted:
            name = conn.dialect.name
            stmt = _LEASE.get(name)
            if stmt is None:
                stmt = _LEASE[name] = _lease_stmt(conn)
            won = conn.execute(
                stmt, [{"chat_key": k, "owner": owner, "lease_until": until, "now": now} for k in wanted]
            )
            keys += list(won.scalars())  # the chats another worker did not win first
    if not keys:
        return []
    params = {"keys": keys, "now": now, "until": until, "owner": owner[:80], "most": per_chat * len(keys)}
    rows = sorted(conn.execute(_TAKE, params).all(), key=lambda r: r.id)
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


def save_outgoing_many(conn: Connection, items: Iterable[tuple[int, dict]]) -> None:
    """Many events' decided messages in one statement (the caller's transaction)."""
    rows = [{"rid": rid, "o": json.dumps(out, ensure_ascii=False)} for rid, out in items]
    if rows:
        conn.execute(
            update(inbox).where(inbox.c.id == bindparam("rid")).values(outgoing=bindparam("o")), rows
        )


def finish(conn: Connection, results: Iterable[tuple[int, str, str | None]], now: float) -> None:
    """Mark events done: (row id, outcome, error or None), in one statement."""
    rows = [
        {"rid": rid, "oc": outcome[:40], "err": error[:500] if error else None}
        for rid, outcome, error in results
    ]
    if rows:
        conn.execute(
            update(inbox)
            .where(inbox.c.id == bindparam("rid"))
            .values(status="done", outcome=bindparam("oc"), finished_at=now, lease_until=None,
                    error=func.coalesce(bindparam("err"), inbox.c.error)),
            rows,
        )  # fmt: skip


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
        n += notices.prune(conn, cutoff)  # who a notice went to; the notice and its figures stay
    return n
