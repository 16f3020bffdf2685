"""The core's database adapter: the reads it may make (``Reads``) and the one ``apply`` that writes.

``apply`` writes a Decision — its ledger row and every side effect it carries — in the caller's
transaction, through a table of effect type → writer. It returns the admin notices that passed
their once-only gate, so the caller saves them with the outgoing messages. Per-user state lives
here, never in process memory.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine, and_, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from botan_line.core.model import (
    AddHistory,
    CountCall,
    CountTier,
    Decision,
    Forget,
    Notice,
    NoticeOnce,
    SaveUser,
    SetActive,
    SetFact,
    SetNickname,
    SetState,
    UserState,
    UseVariation,
)
from botan_line.storage.db import (
    daily_calls,
    daily_tiers,
    fan_facts,
    history,
    ledger,
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

    # --- the one write -------------------------------------------------------------------------
    def apply(
        self, decision: Decision, now: datetime, conn: Connection | None = None, event_id: str | None = None
    ) -> list[Notice]:
        """Write the decision's ledger row and effects, in ``conn``'s transaction (or a new one).

        Returns the admin notices to send: those whose once-only key this decision set first."""
        if conn is None:
            with self.engine.begin() as conn:
                return self.apply(decision, now, conn, event_id)
        ts = now.timestamp()
        notices: list[Notice] = []
        for effect in decision.effects:
            notices += _WRITERS[type(effect)](self, conn, effect, ts) or []
        if decision.ledger is not None:
            e = decision.ledger
            values = {
                k: getattr(e, k)
                for k in (
                    "user_id", "sister", "layer", "pattern", "model", "tier", "score", "prompt_tokens",
                    "completion_tokens", "cached_tokens", "yen", "strong_yen", "latency_ms", "guard",
                    "normalized", "reply",
                )
            }  # fmt: skip
            for key, size in (("pattern", 120), ("model", 80), ("guard", 80)):  # PostgreSQL enforces sizes
                if values[key]:
                    values[key] = values[key][:size]
            conn.execute(insert(ledger).values(created_at=ts, event_id=event_id, **values))
        return notices

    # --- writers, one per effect type ----------------------------------------------------------
    def _save_user(self, conn: Connection, e: SaveUser, ts: float) -> None:
        u = e.user
        values = dict(
            user_id=u.user_id, sister=u.sister, display_name=u.display_name, active=True,
            first_seen=ts, last_seen=ts, messages=u.messages, switched_at=u.switched_at,
        )  # fmt: skip
        updates = dict(
            sister=u.sister, last_seen=ts, messages=u.messages, switched_at=u.switched_at, active=True
        )
        if u.display_name:
            updates["display_name"] = u.display_name[:100]
            values["display_name"] = u.display_name[:100]
        conn.execute(self._upsert(users, values, ["user_id"], updates))

    def _set_active(self, conn: Connection, e: SetActive, ts: float) -> None:
        values = dict(user_id=e.user_id, sister=self.default_sister, active=e.active, first_seen=ts, last_seen=ts,
                      messages=0)  # fmt: skip
        updates = dict(active=e.active, last_seen=ts)
        if e.display_name:
            values["display_name"] = updates["display_name"] = e.display_name[:100]
        conn.execute(self._upsert(users, values, ["user_id"], updates))

    def _add_history(self, conn: Connection, e: AddHistory, ts: float) -> None:
        conn.execute(
            insert(history).values(
                user_id=e.user_id, sister=e.sister, role=e.role, text=e.text, created_at=ts
            )
        )

    def _use_variation(self, conn: Connection, e: UseVariation, ts: float) -> None:
        used = ",".join(map(str, e.used))
        while len(used) > 400:  # the column's size: forget the oldest uses of a very long cycle
            used = used.split(",", 1)[1]
        conn.execute(
            self._upsert(
                variation_use,
                dict(user_id=e.user_id, sister=e.sister, pattern=e.key[:120], used=used),
                ["user_id", "sister", "pattern"],
                dict(used=used),
            )
        )

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

    def _count_call(self, conn: Connection, e: CountCall, ts: float) -> None:
        conn.execute(
            self._upsert(
                daily_calls,
                dict(user_id=e.user_id, day=e.day, calls=1),
                ["user_id", "day"],
                dict(calls=daily_calls.c.calls + 1),
            )
        )

    def _count_tier(self, conn: Connection, e: CountTier, ts: float) -> None:
        conn.execute(
            self._upsert(
                daily_tiers,
                dict(day=e.day, tier=e.tier, calls=1),
                ["day", "tier"],
                dict(calls=daily_tiers.c.calls + 1),
            )
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
        mod = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        res = conn.execute(mod.insert(state).values(key=e.key, value=str(int(ts))).on_conflict_do_nothing())
        return [Notice(admin, e.text) for admin in e.to] if res.rowcount == 1 else []

    # --- shared switches outside a decision (operator tools) ------------------------------------
    def set_state(self, key: str, value: str) -> None:
        with self.engine.begin() as conn:
            self._set_state(conn, SetState(key, value), time.time())


_WRITERS: dict[type, Callable] = {
    SaveUser: Store._save_user,
    SetActive: Store._set_active,
    AddHistory: Store._add_history,
    UseVariation: Store._use_variation,
    Forget: Store._forget,
    SetState: Store._set_state,
    CountCall: Store._count_call,
    CountTier: Store._count_tier,
    SetNickname: Store._set_nickname,
    SetFact: Store._set_fact,
    NoticeOnce: Store._notice_once,
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
