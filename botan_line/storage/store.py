"""Every read and write of per-user state, history, the ledger and shared switches: the pipeline's
database adapter. Per-user state lives here, never in process memory.
"""

from __future__ import annotations

import time
from datetime import datetime

from sqlalchemy import Engine, and_, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from botan_line.characters.recall import LastReply
from botan_line.core.model import Decision, UserState
from botan_line.storage.db import daily_calls, history, ledger, state, users, variation_use


class Store:
    def __init__(self, engine: Engine, default_sister: str = "botan"):
        self.engine = engine
        self.default_sister = default_sister

    def _upsert(self, table, values: dict, keys: list[str], update_cols: dict):
        mod = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        return mod.insert(table).values(**values).on_conflict_do_update(index_elements=keys, set_=update_cols)

    # --- users -----------------------------------------------------------------------------
    def user(self, user_id: str) -> UserState:
        with self.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.user_id == user_id)).first()
        if row is None:
            return UserState(user_id, self.default_sister)
        return UserState(row.user_id, row.sister, row.messages, row.display_name, row.switched_at, row.active)

    def set_active(self, user_id: str, active: bool, now: float | None = None) -> None:
        now = time.time() if now is None else now
        with self.engine.begin() as conn:
            conn.execute(
                self._upsert(
                    users,
                    dict(
                        user_id=user_id,
                        sister=self.default_sister,
                        active=active,
                        first_seen=now,
                        last_seen=now,
                        messages=0,
                    ),
                    ["user_id"],
                    dict(active=active, last_seen=now),
                )
            )

    def set_display_name(self, user_id: str, name: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(users).where(users.c.user_id == user_id).values(display_name=name[:100]))

    # --- history ---------------------------------------------------------------------------
    def recent_history(self, user_id: str, sister: str, turns: int) -> list[tuple[str, str]]:
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

    def last_reply(self, user_id: str, sister: str) -> LastReply | None:
        """This sister's latest reply to the user (None if the user's latest row is another sister's)."""
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
            if row.layer in ("layer1", "layer2", "fallback"):
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

    # --- variations ------------------------------------------------------------------------
    def used_variations(self, user_id: str, sister: str, pattern: str) -> list[int]:
        with self.engine.connect() as conn:
            used = conn.scalar(
                select(variation_use.c.used).where(
                    variation_use.c.user_id == user_id,
                    variation_use.c.sister == sister,
                    variation_use.c.pattern == pattern,
                )
            )
        return [int(x) for x in used.split(",") if x] if used else []

    # --- shared switches -------------------------------------------------------------------
    def get_state(self, key: str, default: str | None = None) -> str | None:
        with self.engine.connect() as conn:
            value = conn.scalar(select(state.c.value).where(state.c.key == key))
        return default if value is None else value

    def set_state(self, key: str, value: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(self._upsert(state, dict(key=key, value=value), ["key"], dict(value=value)))

    def set_state_once(self, key: str, value: str) -> bool:
        """Set ``key`` only if absent; True for the one caller that set it (across processes)."""
        mod = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        with self.engine.begin() as conn:
            res = conn.execute(mod.insert(state).values(key=key, value=value).on_conflict_do_nothing())
        return res.rowcount == 1

    # --- budgets ---------------------------------------------------------------------------
    def spent_yen(self, since: float, until: float) -> float:
        with self.engine.connect() as conn:
            return float(
                conn.scalar(
                    select(func.coalesce(func.sum(ledger.c.yen), 0.0)).where(
                        ledger.c.created_at >= since, ledger.c.created_at < until
                    )
                )
                or 0.0
            )

    def take_daily_call(self, user_id: str, day: str, cap: int) -> bool:
        """Atomically count one Layer 2 call for today; False (and nothing counted) past the cap."""
        with self.engine.begin() as conn:
            conn.execute(
                self._upsert(
                    daily_calls,
                    dict(user_id=user_id, day=day, calls=0),
                    ["user_id", "day"],
                    dict(calls=daily_calls.c.calls),
                )
            )
            res = conn.execute(
                update(daily_calls)
                .where(
                    daily_calls.c.user_id == user_id,
                    daily_calls.c.day == day,
                    daily_calls.c.calls < cap,
                )
                .values(calls=daily_calls.c.calls + 1)
            )
        return res.rowcount == 1

    # --- applying a decision -----------------------------------------------------------------
    def apply(self, decision: Decision, now: datetime, conn=None) -> None:
        """Write everything a decision remembers, in the caller's transaction or a new one."""
        if conn is None:
            with self.engine.begin() as conn:
                return self.apply(decision, now, conn)
        ts = now.timestamp()
        if decision.user is not None:
            u = decision.user
            values = dict(
                user_id=u.user_id,
                sister=u.sister,
                display_name=u.display_name,
                active=True,
                first_seen=ts,
                last_seen=ts,
                messages=u.messages,
                switched_at=u.switched_at,
            )
            updates = dict(
                sister=u.sister, last_seen=ts, messages=u.messages, switched_at=u.switched_at, active=True
            )
            if u.display_name:
                updates["display_name"] = u.display_name
            conn.execute(self._upsert(users, values, ["user_id"], updates))
        if decision.forget and decision.ledger:
            uid = decision.ledger.user_id
            conn.execute(delete(history).where(history.c.user_id == uid))
            # what they wrote is gone from learning and reports too; the figures stay
            conn.execute(
                update(ledger)
                .where(ledger.c.user_id == uid, ledger.c.normalized.is_not(None))
                .values(normalized=None, reply=None)
            )
        if decision.history and decision.ledger:
            conn.execute(
                insert(history),
                [
                    dict(user_id=decision.ledger.user_id, sister=s, role=r, text=t, created_at=ts)
                    for s, r, t in decision.history
                ],
            )
        if decision.variation and decision.ledger:
            sister, pattern, used = decision.variation
            while len(used) > 400:  # the column's size: forget the oldest uses of a very long cycle
                used = used.split(",", 1)[1]
            conn.execute(
                self._upsert(
                    variation_use,
                    dict(user_id=decision.ledger.user_id, sister=sister, pattern=pattern, used=used),
                    ["user_id", "sister", "pattern"],
                    dict(used=used),
                )
            )
        if decision.ledger is not None:
            e = decision.ledger
            values = {
                k: getattr(e, k)
                for k in (
                    "user_id",
                    "sister",
                    "layer",
                    "pattern",
                    "model",
                    "tier",
                    "score",
                    "prompt_tokens",
                    "completion_tokens",
                    "yen",
                    "strong_yen",
                    "latency_ms",
                    "guard",
                    "normalized",
                    "reply",
                )
            }
            for key, size in (("pattern", 120), ("model", 80), ("guard", 80)):  # PostgreSQL enforces sizes
                if values[key]:
                    values[key] = values[key][:size]
            conn.execute(insert(ledger).values(created_at=ts, **values))


def ledger_rows(engine: Engine, since: float, until: float) -> list:
    with engine.connect() as conn:
        return conn.execute(
            select(ledger)
            .where(and_(ledger.c.created_at >= since, ledger.c.created_at < until))
            .order_by(ledger.c.id)
        ).all()
