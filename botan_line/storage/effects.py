"""What each side effect of a decision means: its SQL writer and its update of a batch's overlay, side by side.

One registration per effect type (``core/model.py`` defines them as data). ``Store.apply_many`` writes
a decision through ``KINDS``: a *batched* kind is written together with the others of its kind at the
end of a batch (one statement), an *in-place* kind where it stands, because what follows may depend on
it (a /forget, a notice's once-only gate, an approval that may have to be decided again). The worker's
``Overlay`` applies the same effects to its reads before the batch is saved (``view``), so a fan's
second bubble sees what the first one changed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, insert, update
from sqlalchemy.engine import Connection

from botan_line.core.model import (
    AddHistory,
    Approve,
    CancelNotice,
    CountCall,
    CountMedia,
    CountTier,
    Forget,
    LedgerEntry,
    Notice,
    NoticeOnce,
    Reject,
    SaveUser,
    ScheduleNotice,
    SetActive,
    SetFact,
    SetNickname,
    SetNotify,
    SetState,
    Unsend,
    UseVariation,
)
from botan_line.storage import learned, notices, unsend
from botan_line.storage.db import (
    daily_calls,
    daily_media,
    daily_tiers,
    fan_facts,
    history,
    ledger,
    state,
    users,
    variation_use,
)

if TYPE_CHECKING:
    from botan_line.storage.overlay import Overlay
    from botan_line.storage.store import Store


@dataclass(frozen=True)
class Kind:
    """How one effect type is written and seen before it is written."""

    write: Callable[..., list[Notice] | None]  # (store, conn, effects or effect, ts)
    batched: bool  # written with the others of its kind at the end of a batch (a list), else in place
    view: Callable[[Overlay, Any], None] | None = (
        None  # its update of a batch's overlay (None: nothing to see)
    )


KINDS: dict[type, Kind] = {}


def kind(effect: type, *, batched: bool):
    """Register ``write`` (and optionally ``view``) of a class body as the meaning of ``effect``."""

    def register(cls):
        KINDS[effect] = Kind(cls.write, batched, getattr(cls, "view", None))
        return cls

    return register


# --- batched: one statement per kind --------------------------------------------------------------
@kind(SaveUser, batched=True)
class _SaveUser:
    @staticmethod
    def write(store: Store, conn: Connection, effects: list[SaveUser], ts: float) -> None:
        latest = {e.user.user_id: e.user for e in effects}  # a later turn's state includes the earlier ones
        rows = [
            dict(user_id=u.user_id, sister=u.sister, display_name=(u.display_name or None) and u.display_name[:100],
                 active=True, first_seen=ts, last_seen=ts, messages=u.messages, switched_at=u.switched_at)
            for u in latest.values()
        ]  # fmt: skip
        stmt = store.insert(users)
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["user_id"],
                set_=dict(sister=stmt.excluded.sister, last_seen=stmt.excluded.last_seen, active=True,
                          messages=stmt.excluded.messages, switched_at=stmt.excluded.switched_at,
                          display_name=func.coalesce(stmt.excluded.display_name, users.c.display_name)),
            ),
            rows,
        )  # fmt: skip

    @staticmethod
    def view(
        o: Overlay, e: SaveUser
    ) -> None:  # SaveUser never changes the nickname or notices: keep the batch's
        known = o.users.get(e.user.user_id)
        o.users[e.user.user_id] = (
            replace(e.user, nickname=known.nickname, notify=known.notify) if known else e.user
        )


@kind(UseVariation, batched=True)
class _UseVariation:
    @staticmethod
    def write(store: Store, conn: Connection, effects: list[UseVariation], ts: float) -> None:
        latest = {(e.user_id, e.sister, e.key[:120]): e.used for e in effects}
        rows = []
        for (uid, sister, key), used in latest.items():
            text = ",".join(map(str, used))
            while len(text) > 400:  # the column's size: forget the oldest uses of a very long cycle
                text = text.split(",", 1)[1]
            rows.append(dict(user_id=uid, sister=sister, pattern=key, used=text))
        stmt = store.insert(variation_use)
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["user_id", "sister", "pattern"], set_=dict(used=stmt.excluded.used)
            ),
            rows,
        )

    @staticmethod
    def view(o: Overlay, e: UseVariation) -> None:
        o.variations[(e.user_id, e.sister, e.key)] = list(e.used)


@kind(AddHistory, batched=True)
class _AddHistory:
    @staticmethod
    def write(store: Store, conn: Connection, effects: list[AddHistory], ts: float) -> None:
        rows = [
            dict(user_id=e.user_id, sister=e.sister, role=e.role, text=e.text, created_at=ts,
                 message_id=(e.message_id or None) and e.message_id[:64])
            for e in effects
        ]  # fmt: skip
        conn.execute(insert(history), rows)

    @staticmethod
    def view(o: Overlay, e: AddHistory) -> None:
        o.history_of[(e.user_id, e.sister)].append((e.role, e.text))
        o.history_ids[(e.user_id, e.sister)].append(e.message_id)


@kind(CountCall, batched=True)
class _CountCall:
    @staticmethod
    def write(store: Store, conn: Connection, effects: list[CountCall], ts: float) -> None:
        counts = Counter((e.user_id, e.day) for e in effects)
        stmt = store.insert(daily_calls)
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["user_id", "day"], set_=dict(calls=daily_calls.c.calls + stmt.excluded.calls)
            ),
            [dict(user_id=uid, day=day, calls=n) for (uid, day), n in counts.items()],
        )

    @staticmethod
    def view(o: Overlay, e: CountCall) -> None:
        o.calls[(e.user_id, e.day)] += 1


@kind(CountTier, batched=True)
class _CountTier:
    @staticmethod
    def write(store: Store, conn: Connection, effects: list[CountTier], ts: float) -> None:
        counts = Counter((e.day, e.tier) for e in effects)
        stmt = store.insert(daily_tiers)
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["day", "tier"], set_=dict(calls=daily_tiers.c.calls + stmt.excluded.calls)
            ),
            [dict(day=day, tier=tier, calls=n) for (day, tier), n in counts.items()],
        )

    @staticmethod
    def view(o: Overlay, e: CountTier) -> None:
        o.tiers[(e.day, e.tier)] += 1


@kind(CountMedia, batched=True)
class _CountMedia:
    @staticmethod
    def write(store: Store, conn: Connection, effects: list[CountMedia], ts: float) -> None:
        counts = Counter((e.user_id, e.day) for e in effects)
        stmt = store.insert(daily_media)
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["user_id", "day"], set_=dict(turns=daily_media.c.turns + stmt.excluded.turns)
            ),
            [dict(user_id=uid, day=day, turns=n) for (uid, day), n in counts.items()],
        )

    @staticmethod
    def view(o: Overlay, e: CountMedia) -> None:
        o.media[(e.user_id, e.day)] += 1


LEDGER_FIELDS = (
    "user_id", "sister", "layer", "pattern", "model", "tier", "score", "prompt_tokens", "completion_tokens",
    "cached_tokens", "reasoning_tokens", "cache_write_tokens", "yen", "strong_yen", "latency_ms", "guard",
    "normalized", "reply", "safety", "message_id", "media", "image_tokens", "audio_seconds",
)  # fmt: skip
LEDGER_SIZES = (
    ("pattern", 120),
    ("model", 80),
    ("guard", 80),
    ("safety", 80),
    ("message_id", 64),
    ("media", 20),
)  # PostgreSQL enforces sizes


@kind(LedgerEntry, batched=True)
class _Ledger:
    """A decision's ledger row (written with its webhook event's id: ``(entry, event_id)`` pairs)."""

    @staticmethod
    def write(
        store: Store, conn: Connection, entries: list[tuple[LedgerEntry, str | None]], ts: float
    ) -> None:
        rows = []
        for e, event_id in entries:
            values = {k: getattr(e, k) for k in LEDGER_FIELDS}
            for key, size in LEDGER_SIZES:
                if values[key]:
                    values[key] = values[key][:size]
            rows.append(dict(values, created_at=ts, event_id=event_id))
        conn.execute(insert(ledger), rows)


# --- in place: what comes after them may depend on them ---------------------------------------------
@kind(SetActive, batched=False)
class _SetActive:
    @staticmethod
    def write(store: Store, conn: Connection, e: SetActive, ts: float) -> None:
        values = dict(user_id=e.user_id, sister=store.default_sister, active=e.active, first_seen=ts, last_seen=ts,
                      messages=0)  # fmt: skip
        updates: dict[str, object] = dict(active=e.active, last_seen=ts)
        if not e.active:  # a fan who blocks the bot has asked for nothing more
            updates["notify"] = False
        if e.display_name:
            values["display_name"] = updates["display_name"] = e.display_name[:100]
        conn.execute(store.upsert(users, values, ["user_id"], updates))

    @staticmethod
    def view(o: Overlay, e: SetActive) -> None:
        user = o.user(e.user_id)
        o.users[e.user_id] = replace(user, active=e.active, display_name=e.display_name or user.display_name,
                                     notify=user.notify and e.active)  # fmt: skip


@kind(Forget, batched=False)
class _Forget:
    """/forget: the fan's history, nickname, facts and notices go, and what they wrote leaves learning and reports."""

    @staticmethod
    def write(store: Store, conn: Connection, e: Forget, ts: float) -> None:
        conn.execute(delete(history).where(history.c.user_id == e.user_id))
        conn.execute(
            update(users)
            .where(users.c.user_id == e.user_id)
            .values(nickname=None, nickname_message_id=None, notify=False)
        )
        conn.execute(delete(fan_facts).where(fan_facts.c.user_id == e.user_id))
        # what they wrote is gone from learning and reports too; the figures stay
        conn.execute(
            update(ledger)
            .where(ledger.c.user_id == e.user_id, ledger.c.normalized.is_not(None))
            .values(normalized=None, reply=None)
        )

    @staticmethod
    def view(o: Overlay, e: Forget) -> None:
        o.forgot.add(e.user_id)
        o.users[e.user_id] = replace(o.user(e.user_id), nickname=None, notify=False)
        o.facts_of[e.user_id] = {}
        for key in [k for k in o.history_of if k[0] == e.user_id]:
            del o.history_of[key]


@kind(SetState, batched=False)
class _SetState:
    @staticmethod
    def write(store: Store, conn: Connection, e: SetState, ts: float) -> None:
        conn.execute(store.upsert(state, dict(key=e.key, value=e.value), ["key"], dict(value=e.value)))

    @staticmethod
    def view(o: Overlay, e: SetState) -> None:
        o.states[e.key] = e.value


@kind(SetNickname, batched=False)
class _SetNickname:
    @staticmethod
    def write(store: Store, conn: Connection, e: SetNickname, ts: float) -> None:
        nickname = e.nickname[:40] if e.nickname else None
        asked_in = (e.message_id or None) and e.message_id[:64] if nickname else None
        values = dict(user_id=e.user_id, sister=store.default_sister, active=True, first_seen=ts, last_seen=ts,
                      messages=0, nickname=nickname, nickname_message_id=asked_in)  # fmt: skip
        conn.execute(
            store.upsert(users, values, ["user_id"], dict(nickname=nickname, nickname_message_id=asked_in))
        )

    @staticmethod
    def view(o: Overlay, e: SetNickname) -> None:
        o.users[e.user_id] = replace(o.user(e.user_id), nickname=e.nickname)


@kind(SetFact, batched=False)
class _SetFact:
    @staticmethod
    def write(store: Store, conn: Connection, e: SetFact, ts: float) -> None:
        said_in = (e.message_id or None) and e.message_id[:64]
        values = dict(
            user_id=e.user_id, key=e.key[:20], value=e.value[:80], updated_at=ts, message_id=said_in
        )
        conn.execute(
            store.upsert(fan_facts, values, ["user_id", "key"],
                         dict(value=values["value"], updated_at=ts, message_id=said_in))
        )  # fmt: skip

    @staticmethod
    def view(o: Overlay, e: SetFact) -> None:
        o.facts_of[e.user_id] = {**o.facts(e.user_id), e.key: e.value}


@kind(NoticeOnce, batched=False)
class _NoticeOnce:
    """Tell the admins — only the first decision ever to carry the key does (its notices are returned)."""

    @staticmethod
    def write(store: Store, conn: Connection, e: NoticeOnce, ts: float) -> list[Notice]:
        res = conn.execute(store.insert(state).values(key=e.key, value=str(int(ts))).on_conflict_do_nothing())
        return [Notice(admin, e.text) for admin in e.to] if res.rowcount == 1 else []


@kind(Approve, batched=False)
class _Approve:
    """Raises LearningError if the learned patterns changed since the check: the command is decided again."""

    @staticmethod
    def write(store: Store, conn: Connection, e: Approve, ts: float) -> None:
        learned.write_approval(conn, e, ts)


@kind(Reject, batched=False)
class _Reject:
    @staticmethod
    def write(store: Store, conn: Connection, e: Reject, ts: float) -> None:
        learned.write_rejection(conn, e, ts)


@kind(SetNotify, batched=False)
class _SetNotify:
    """/notify on|off (her words, the rich menu): the fan's notices, stored with the fan."""

    @staticmethod
    def write(store: Store, conn: Connection, e: SetNotify, ts: float) -> None:
        values = dict(user_id=e.user_id, sister=store.default_sister, active=True, first_seen=ts, last_seen=ts,
                      messages=0, notify=e.on)  # fmt: skip
        conn.execute(store.upsert(users, values, ["user_id"], dict(notify=e.on)))

    @staticmethod
    def view(o: Overlay, e: SetNotify) -> None:
        o.users[e.user_id] = replace(o.user(e.user_id), notify=e.on)


@kind(Unsend, batched=False)
class _Unsend:
    """送信取消: the message's words leave every table (``storage/unsend.py``); its figures stay."""

    @staticmethod
    def write(store: Store, conn: Connection, e: Unsend, ts: float) -> None:
        unsend.take_back(conn, e)

    @staticmethod
    def view(o: Overlay, e: Unsend) -> None:
        o.unsent.add(e.message_id)
        o.facts_of.pop(e.user_id, None)  # read again: the facts said in it are gone once the batch is saved


@kind(ScheduleNotice, batched=False)
class _ScheduleNotice:
    """A confirmed /announce, kept until the worker sends it (at once, or at its time)."""

    @staticmethod
    def write(store: Store, conn: Connection, e: ScheduleNotice, ts: float) -> None:
        notices.write_schedule(conn, e, ts)


@kind(CancelNotice, batched=False)
class _CancelNotice:
    """Raises NoticeChanged when the notice is no longer scheduled: the command is decided again."""

    @staticmethod
    def write(store: Store, conn: Connection, e: CancelNotice, ts: float) -> None:
        notices.write_cancel(conn, e, ts)
