"""The core's database adapter: the reads it may make (``Reads``) and the one ``apply`` that writes.

``apply`` writes a Decision — its ledger row and every side effect it carries — in the caller's
transaction, through a table of effect type → writer. It returns the admin notices that passed
their once-only gate, so the caller saves them with the outgoing messages. Per-user state lives
here, never in process memory.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import Engine, and_, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from botan_line.characters.recall import LastReply
from botan_line.core.model import REMEMBERED_LAYERS, Decision, LedgerEntry, Notice, SetState, UserState
from botan_line.core.notices import NoticeInfo
from botan_line.storage import notices
from botan_line.storage.db import (
    daily_calls,
    daily_media,
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
from botan_line.storage.effects import KINDS

SPENT_CACHE_SECONDS = 5.0  # the monthly spend is summed at most this often (budgets need no more)


class Store:
    def __init__(
        self, engine: Engine, default_sister: str = "botan", clock: Callable[[], float] = time.monotonic
    ):
        self.engine = engine
        self.default_sister = default_sister
        self._clock = clock
        self._spent: dict[tuple[float, float], tuple[float, float]] = {}  # bounds → (value, read at)

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

    def subscribers(self) -> int:
        """Fans who asked for notices (what /announce reaches by multicast)."""
        return notices.subscribers(self.engine)

    def notices(self, limit: int) -> list[NoticeInfo]:
        """The newest notices by id."""
        return notices.latest(self.engine, limit)

    def remembered_notices(self, now: float) -> list[NoticeInfo]:
        """Sent notices the sisters still remember, newest first."""
        return notices.remembered(self.engine, now)

    def daily_media(self, user_id: str, day: str) -> int:
        """Photo and voice turns this fan had today (media.per_user_daily)."""
        with self.engine.connect() as conn:
            n = conn.scalar(
                select(daily_media.c.turns).where(daily_media.c.user_id == user_id, daily_media.c.day == day)
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
        that others depend on (/forget, a switch, follow/unfollow, notices) are written in place
        (``storage/effects.py`` says which is which, and what each one writes)."""
        if conn is None:
            with self.engine.begin() as conn:
                return self.apply_many(items, now, conn)
        ts = now.timestamp()
        notices: list[list[Notice]] = [[] for _ in items]
        pending: dict[type, list] = {}

        def flush() -> None:
            for kind in list(pending):
                KINDS[kind].write(self, conn, pending.pop(kind), ts)

        for i, (decision, event_id) in enumerate(items):
            for effect in decision.effects:
                meaning = KINDS[type(effect)]
                if meaning.batched:
                    pending.setdefault(type(effect), []).append(effect)
                    continue
                flush()
                notices[i] += meaning.write(self, conn, effect, ts) or []
            if decision.ledger is not None:
                pending.setdefault(LedgerEntry, []).append((decision.ledger, event_id))
        flush()
        return notices

    def insert(self, table):
        """The dialect's INSERT (SQLite and PostgreSQL both take ON CONFLICT)."""
        return (postgresql if self.engine.dialect.name == "postgresql" else sqlite).insert(table)

    def upsert(self, table, values: dict, keys: list[str], update_cols: dict):
        return (
            self.insert(table).values(**values).on_conflict_do_update(index_elements=keys, set_=update_cols)
        )

    # --- shared switches outside a decision (operator tools) ------------------------------------
    def set_state(self, key: str, value: str) -> None:
        self.apply(Decision(effects=[SetState(key, value)]), datetime.fromtimestamp(time.time()))


def _user(row) -> UserState:
    return UserState(
        row.user_id,
        row.sister,
        row.messages,
        row.display_name,
        row.switched_at,
        row.active,
        row.nickname,
        bool(row.notify),
    )


def ledger_rows(engine: Engine, since: float, until: float) -> list:
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(ledger)
                .where(and_(ledger.c.created_at >= since, ledger.c.created_at < until))
                .order_by(ledger.c.id)
            ).all()
        )
