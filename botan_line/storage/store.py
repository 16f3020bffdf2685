"""The core's database adapter: the reads it may make (``Reads``) and the one ``apply`` that writes.

``apply`` writes a Decision — its ledger row and every side effect it carries — in the caller's
transaction, through a table of effect type → writer. It returns the admin notices that passed
their once-only gate, so the caller saves them with the outgoing messages. Per-user state lives
here, never in process memory.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import Engine, and_, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from botan_line.characters.recall import LastReply
from botan_line.core.model import (
    REMEMBERED_LAYERS,
    AddHistory,
    Approve,
    CountCall,
    CountTier,
    Decision,
    Forget,
    LedgerEntry,
    Notice,
    NoticeOnce,
    Reject,
    SaveUser,
    SetActive,
    SetFact,
    SetNickname,
    SetState,
    UserState,
    UseVariation,
)
from botan_line.storage import learned
from botan_line.storage.db import (
    daily_calls,
    daily_tiers,
    fan_facts,
    history,
    ledger,
    pushes,
    rich_menus,
    state,
    users,
    variation_use,
)

SPENT_CACHE_SECONDS = 5.0  # the monthly spend is summed at most this often (budgets need no more)


class Store:
    def __init__(
        self, engine: Engine, default_sister: str = "botan", clock: Callable[[], float] = time.monotonic
    ):
        self.engine = engine
        self.default_sister = default_sister
        self._clock = clock
        self._spent: dict[tuple[float, float], tuple[float, float]] = {}  # bounds → (value, read at)

    def _upsert(self, table, values: dict, keys: list[str], update_cols: dict):
        mod = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        return mod.insert(table).values(**values).on_conflict_do_update(index_elements=keys, set_=update_cols)

    # --- reads (core.conversation.Reads) -------------------------------------------------------
    def user(self, user_id: str) -> UserState:
        with self.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.user_id == user_id)).first()
        return UserState(user_id, self.default_sister) if row is None else _user(row)

    def users(self, user_ids: list[str]) -> dict[str, UserState]:
        """Many fans at once (the worker's batches); unknown ones get the default state."""
        found = {u: UserState(u, self.default_sister) for u in user_ids}
        with self.engine.connect() as conn:
            for row in conn.execute(select(users).where(users.c.user_id.in_(user_ids))):
                found[row.user_id] = _user(row)
        return found

    def facts(self, user_id: str) -> dict[str, str]:
        """What this fan chose to share (core/facts.py keys), key → value."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(fan_facts.c.key, fan_facts.c.value)
                .where(fan_facts.c.user_id == user_id)
                .order_by(fan_facts.c.key)
            ).all()
        return {r.key: r.value for r in rows}

    def tier_calls(self, day: str) -> dict[str, int]:
        """Layer 2 calls started today per tier, all fans together."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(daily_tiers.c.tier, daily_tiers.c.calls).where(daily_tiers.c.day == day)
            )
        return {r.tier: int(r.calls) for r in rows}

    def variations(self, user_ids: list[str]) -> dict[tuple[str, str, str], list[int]]:
        """Every (user, sister, key) → used variations row of these fans."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(variation_use).where(variation_use.c.user_id.in_(user_ids))).all()
        return {(r.user_id, r.sister, r.pattern): [int(x) for x in r.used.split(",") if x] for r in rows}

    def history(self, user_id: str, sister: str, turns: int) -> list[tuple[str, str]]:
        """The last ``turns`` exchanges (2 rows each), oldest first, as (role, text)."""
        if turns <= 0:
            return []
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(history.c.role, history.c.text)
                .where(history.c.user_id == user_id, history.c.sister == sister)
                .order_by(history.c.id.desc())
                .limit(turns * 2)
            ).all()
        return [(r.role, r.text) for r in reversed(rows)]

    def used_variations(self, user_id: str, sister: str, key: str) -> list[int]:
        with self.engine.connect() as conn:
            used = conn.scalar(
                select(variation_use.c.used).where(
                    variation_use.c.user_id == user_id,
                    variation_use.c.sister == sister,
                    variation_use.c.pattern == key,
                )
            )
        return [int(x) for x in used.split(",") if x] if used else []

    def state(self, key: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.scalar(select(state.c.value).where(state.c.key == key))

    def spent_yen(self, since: float, until: float) -> float:
        cached = self._spent.get((since, until))
        if cached is not None and self._clock() - cached[1] < SPENT_CACHE_SECONDS:
            return cached[0]
        with self.engine.connect() as conn:
            value = float(
                conn.scalar(
                    select(func.coalesce(func.sum(ledger.c.yen), 0.0)).where(
                        ledger.c.created_at >= since, ledger.c.created_at < until
                    )
                )
                or 0.0
            )
        self._spent[(since, until)] = (value, self._clock())
        return value

    def daily_calls(self, user_id: str, day: str) -> int:
        with self.engine.connect() as conn:
            n = conn.scalar(
                select(daily_calls.c.calls).where(daily_calls.c.user_id == user_id, daily_calls.c.day == day)
            )
        return int(n or 0)

    def pushes(self, since: float, until: float) -> int:
        """Messages LINE counted against the quota (one per recipient) with since <= time < until."""
        with self.engine.connect() as conn:
            n = conn.scalar(
                select(func.coalesce(func.sum(pushes.c.recipients), 0)).where(
                    pushes.c.created_at >= since, pushes.c.created_at < until
                )
            )
        return int(n or 0)

    # --- LINE-native bookkeeping (the worker and `botan-line richmenu`) -------------------------
    def rich_menu_ids(self) -> dict[str, str]:
        """sister → the rich menu `richmenu sync` made for her."""
        with self.engine.connect() as conn:
            return {r.sister: r.rich_menu_id for r in conn.execute(select(rich_menus))}

    def record_push(
        self, kind: str, recipients: int, key: str | None, event_id: str | None, ts: float
    ) -> bool:
        """Count one accepted push (multicast, broadcast) once per retry key; True when it was new."""
        mod = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        values = dict(created_at=ts, kind=kind[:16], recipients=max(0, int(recipients)),
                      retry_key=key, event_id=(event_id or "")[:64] or None)  # fmt: skip
        with self.engine.begin() as conn:
            res = conn.execute(mod.insert(pushes).values(**values).on_conflict_do_nothing())
        return res.rowcount == 1

    def active_fans(self) -> int:
        """Fans in one-on-one chats who have not blocked the bot (the reach when LINE gives none)."""
        with self.engine.connect() as conn:
            n = conn.scalar(
                select(func.count())
                .select_from(users)
                .where(users.c.active.is_(True), users.c.user_id.like("U%"))
            )
        return int(n or 0)

    def last_reply(self, user_id: str, sister: str) -> LastReply | None:
        """This sister's latest reply to the fan (None when the fan's latest answer was another sister's).

        The ledger says who answered, from which layer and pattern; the text of a conversational
        answer comes from the history (other answers keep no text here)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(ledger.c.sister, ledger.c.layer, ledger.c.pattern, ledger.c.created_at)
                .where(ledger.c.user_id == user_id)
                .order_by(ledger.c.created_at.desc(), ledger.c.id.desc())
                .limit(1)
            ).first()
            if row is None or row.sister != sister:
                return None
            text = None
            if row.layer in REMEMBERED_LAYERS:
                text = conn.scalar(
                    select(history.c.text)
                    .where(
                        history.c.user_id == user_id,
                        history.c.sister == sister,
                        history.c.role == "assistant",
                        history.c.created_at >= row.created_at,
                    )
                    .order_by(history.c.id.desc())
                    .limit(1)
                )
        return LastReply(row.layer, row.pattern, text or "", row.created_at)

    def recent_replies(self, user_ids: list[str], since: float) -> dict[str, tuple[str, LastReply]]:
        """Each fan's latest answer since ``since``, as (sister, her reply), for many fans in two
        statements (the worker's batches). Like ``last_reply``, but an older answer is left out:
        callers pass the window after which a reply is nothing to react to anyway."""
        if not user_ids:
            return {}
        latest: dict = {}
        texts: dict[tuple[str, str], tuple[int, str]] = {}
        with self.engine.connect() as conn:
            for row in conn.execute(
                select(ledger.c.id, ledger.c.user_id, ledger.c.sister, ledger.c.layer, ledger.c.pattern,
                       ledger.c.created_at)
                .where(ledger.c.user_id.in_(user_ids), ledger.c.created_at >= since)
            ):  # fmt: skip
                best = latest.get(row.user_id)
                if best is None or (row.created_at, row.id) > (best.created_at, best.id):
                    latest[row.user_id] = row
            talked = [u for u, r in latest.items() if r.layer in REMEMBERED_LAYERS]
            if talked:
                for h in conn.execute(
                    select(history.c.id, history.c.user_id, history.c.sister, history.c.text, history.c.created_at)
                    .where(history.c.user_id.in_(talked), history.c.role == "assistant",
                           history.c.created_at >= since)
                ):  # fmt: skip
                    row, key = latest[h.user_id], (h.user_id, h.sister)
                    if (
                        h.sister == row.sister
                        and h.created_at >= row.created_at
                        and h.id > texts.get(key, (0,))[0]
                    ):
                        texts[key] = (h.id, h.text)
        return {
            u: (r.sister, LastReply(r.layer, r.pattern, texts.get((u, r.sister), (0, ""))[1], r.created_at))
            for u, r in latest.items()
        }

    # --- the one write -------------------------------------------------------------------------
    def apply(
        self, decision: Decision, now: datetime, conn: Connection | None = None, event_id: str | None = None
    ) -> list[Notice]:
        """Write the decision's ledger row and effects, in ``conn``'s transaction (or a new one).

        Returns the admin notices to send: those whose once-only key this decision set first."""
        return self.apply_many([(decision, event_id)], now, conn)[0]

    def apply_many(
        self, items: Sequence[tuple[Decision, str | None]], now: datetime, conn: Connection | None = None
    ) -> list[list[Notice]]:
        """Write many decisions (with the webhook event each decided) in one transaction, a few
        statements in all: effects of one kind are written together, in order; the rare effects
        that others depend on (/forget, a switch, follow/unfollow, notices) are written in place."""
        if conn is None:
            with self.engine.begin() as conn:
                return self.apply_many(items, now, conn)
        ts = now.timestamp()
        notices: list[list[Notice]] = [[] for _ in items]
        pending: dict[type, list] = {}

        def flush() -> None:
            for kind, write in _BATCHED.items():
                if pending.get(kind):
                    write(self, conn, pending.pop(kind), ts)

        for i, (decision, event_id) in enumerate(items):
            for effect in decision.effects:
                write = _IN_PLACE.get(type(effect))
                if write is None:
                    pending.setdefault(type(effect), []).append(effect)
                    continue
                flush()
                notices[i] += write(self, conn, effect, ts) or []
            if decision.ledger is not None:
                pending.setdefault(LedgerEntry, []).append((decision.ledger, event_id))
        flush()
        return notices

    # --- writers: batched, one statement per kind ----------------------------------------------
    def _save_users(self, conn: Connection, effects: list[SaveUser], ts: float) -> None:
        latest = {e.user.user_id: e.user for e in effects}  # a later turn's state includes the earlier ones
        rows = [
            dict(user_id=u.user_id, sister=u.sister, display_name=(u.display_name or None) and u.display_name[:100],
                 active=True, first_seen=ts, last_seen=ts, messages=u.messages, switched_at=u.switched_at)
            for u in latest.values()
        ]  # fmt: skip
        stmt = self._insert(users)
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["user_id"],
                set_=dict(sister=stmt.excluded.sister, last_seen=stmt.excluded.last_seen, active=True,
                          messages=stmt.excluded.messages, switched_at=stmt.excluded.switched_at,
                          display_name=func.coalesce(stmt.excluded.display_name, users.c.display_name)),
            ),
            rows,
        )  # fmt: skip

    def _use_variations(self, conn: Connection, effects: list[UseVariation], ts: float) -> None:
        latest = {(e.user_id, e.sister, e.key[:120]): e.used for e in effects}
        rows = []
        for (uid, sister, key), used in latest.items():
            text = ",".join(map(str, used))
            while len(text) > 400:  # the column's size: forget the oldest uses of a very long cycle
                text = text.split(",", 1)[1]
            rows.append(dict(user_id=uid, sister=sister, pattern=key, used=text))
        stmt = self._insert(variation_use)
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["user_id", "sister", "pattern"], set_=dict(used=stmt.excluded.used)
            ),
            rows,
        )

    def _add_history(self, conn: Connection, effects: list[AddHistory], ts: float) -> None:
        conn.execute(
            insert(history),
            [
                dict(user_id=e.user_id, sister=e.sister, role=e.role, text=e.text, created_at=ts)
                for e in effects
            ],
        )

    def _count_calls(self, conn: Connection, effects: list[CountCall], ts: float) -> None:
        counts = Counter((e.user_id, e.day) for e in effects)
        stmt = self._insert(daily_calls)
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["user_id", "day"], set_=dict(calls=daily_calls.c.calls + stmt.excluded.calls)
            ),
            [dict(user_id=uid, day=day, calls=n) for (uid, day), n in counts.items()],
        )

    def _ledger(self, conn: Connection, entries: list[tuple[LedgerEntry, str | None]], ts: float) -> None:
        rows = []
        for e, event_id in entries:
            values = {k: getattr(e, k) for k in _LEDGER_FIELDS}
            for key, size in (
                ("pattern", 120),
                ("model", 80),
                ("guard", 80),
                ("safety", 80),
            ):  # PostgreSQL enforces sizes
                if values[key]:
                    values[key] = values[key][:size]
            rows.append(dict(values, created_at=ts, event_id=event_id))
        conn.execute(insert(ledger), rows)

    # --- writers: in place -------------------------------------------------------------------
    def _set_active(self, conn: Connection, e: SetActive, ts: float) -> None:
        values = dict(user_id=e.user_id, sister=self.default_sister, active=e.active, first_seen=ts, last_seen=ts,
                      messages=0)  # fmt: skip
        updates = dict(active=e.active, last_seen=ts)
        if e.display_name:
            values["display_name"] = updates["display_name"] = e.display_name[:100]
        conn.execute(self._upsert(users, values, ["user_id"], updates))

    def _forget(self, conn: Connection, e: Forget, ts: float) -> None:
        conn.execute(delete(history).where(history.c.user_id == e.user_id))
        conn.execute(update(users).where(users.c.user_id == e.user_id).values(nickname=None))
        conn.execute(delete(fan_facts).where(fan_facts.c.user_id == e.user_id))
        # what they wrote is gone from learning and reports too; the figures stay
        conn.execute(
            update(ledger)
            .where(ledger.c.user_id == e.user_id, ledger.c.normalized.is_not(None))
            .values(normalized=None, reply=None)
        )

    def _set_state(self, conn: Connection, e: SetState, ts: float) -> None:
        conn.execute(self._upsert(state, dict(key=e.key, value=e.value), ["key"], dict(value=e.value)))

    def _count_tiers(self, conn: Connection, effects: list[CountTier], ts: float) -> None:
        counts = Counter((e.day, e.tier) for e in effects)
        stmt = self._insert(daily_tiers)
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["day", "tier"], set_=dict(calls=daily_tiers.c.calls + stmt.excluded.calls)
            ),
            [dict(day=day, tier=tier, calls=n) for (day, tier), n in counts.items()],
        )

    def _set_nickname(self, conn: Connection, e: SetNickname, ts: float) -> None:
        nickname = e.nickname[:40] if e.nickname else None
        values = dict(user_id=e.user_id, sister=self.default_sister, active=True, first_seen=ts, last_seen=ts,
                      messages=0, nickname=nickname)  # fmt: skip
        conn.execute(self._upsert(users, values, ["user_id"], dict(nickname=nickname)))

    def _set_fact(self, conn: Connection, e: SetFact, ts: float) -> None:
        values = dict(user_id=e.user_id, key=e.key[:20], value=e.value[:80], updated_at=ts)
        conn.execute(
            self._upsert(fan_facts, values, ["user_id", "key"], dict(value=values["value"], updated_at=ts))
        )

    def _notice_once(self, conn: Connection, e: NoticeOnce, ts: float) -> list[Notice]:
        res = conn.execute(self._insert(state).values(key=e.key, value=str(int(ts))).on_conflict_do_nothing())
        return [Notice(admin, e.text) for admin in e.to] if res.rowcount == 1 else []

    def _approve(self, conn: Connection, e: Approve, ts: float) -> None:
        learned.write_approval(conn, e, ts)

    def _reject(self, conn: Connection, e: Reject, ts: float) -> None:
        learned.write_rejection(conn, e, ts)

    def _insert(self, table):
        return (postgresql if self.engine.dialect.name == "postgresql" else sqlite).insert(table)

    # --- shared switches outside a decision (operator tools) ------------------------------------
    def set_state(self, key: str, value: str) -> None:
        with self.engine.begin() as conn:
            self._set_state(conn, SetState(key, value), time.time())


_LEDGER_FIELDS = (
    "user_id", "sister", "layer", "pattern", "model", "tier", "score", "prompt_tokens", "completion_tokens",
    "cached_tokens", "reasoning_tokens", "cache_write_tokens", "yen", "strong_yen", "latency_ms", "guard",
    "normalized", "reply", "safety",
)  # fmt: skip
# Written together at the end of a batch (or before an in-place effect), one statement per kind.
_BATCHED: dict[type, Callable] = {
    SaveUser: Store._save_users,
    UseVariation: Store._use_variations,
    AddHistory: Store._add_history,
    CountCall: Store._count_calls,
    CountTier: Store._count_tiers,
    LedgerEntry: Store._ledger,
}
# Written where they stand: what comes after them may depend on them.
_IN_PLACE: dict[type, Callable] = {
    SetActive: Store._set_active,
    Forget: Store._forget,
    SetState: Store._set_state,
    SetNickname: Store._set_nickname,
    SetFact: Store._set_fact,
    NoticeOnce: Store._notice_once,
    Approve: Store._approve,  # raises if the learned patterns changed since the check: re-decided
    Reject: Store._reject,
}


def _user(row) -> UserState:
    return UserState(
        row.user_id, row.sister, row.messages, row.display_name, row.switched_at, row.active, row.nickname
    )


def ledger_rows(engine: Engine, since: float, until: float) -> list:
    with engine.connect() as conn:
        return conn.execute(
            select(ledger)
            .where(and_(ledger.c.created_at >= since, ledger.c.created_at < until))
            .order_by(ledger.c.id)
        ).all()
