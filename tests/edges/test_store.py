"""The store's writers and reads for what Layer 2 remembers, the batch overlay on top of it, and the
migrated schema matching today's tables — on every configured database."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest
from conftest import TZ
from sqlalchemy import inspect, select

from botan_line.core.model import (
    CountTier,
    Decision,
    Forget,
    LedgerEntry,
    SaveUser,
    SetFact,
    SetNickname,
    UserState,
)
from botan_line.storage.db import connect, ledger, metadata
from botan_line.storage.migrations import MIGRATIONS
from botan_line.storage.overlay import Overlay
from botan_line.storage.store import Store

NOW = datetime(2026, 11, 28, 12, tzinfo=TZ)


@pytest.fixture
def store(database_url):
    engine = connect(database_url)
    yield Store(engine)
    engine.dispose()


def test_the_migrated_schema_is_todays_tables(store):
    found = inspect(store.engine)
    for table in metadata.sorted_tables:
        columns = {c["name"] for c in found.get_columns(table.name)}
        assert columns == set(table.columns.keys()), table.name
    names = [name for name, _ in MIGRATIONS]
    assert names == sorted(set(names))  # named, unique and in order


def test_a_nickname_set_on_a_first_message_survives_the_save_that_follows(store):
    new = UserState("Unew", "botan")
    store.apply(Decision(effects=[SetNickname("Unew", "ミカ"), SaveUser(replace_messages(new, 1))]), NOW)
    user = store.user("Unew")
    assert (user.nickname, user.messages) == ("ミカ", 1)
    store.apply(Decision(effects=[SaveUser(replace_messages(user, 2))]), NOW)
    assert store.user("Unew").nickname == "ミカ"  # SaveUser never touches it
    assert store.users(["Unew", "Unknown"])["Unew"].nickname == "ミカ"


def test_notices_turned_on_survive_the_save_that_follows_in_the_batch_and_the_store(store):
    from botan_line.core.model import SetNotify

    new = UserState("Unew", "botan")
    overlay = Overlay(store)
    decision = Decision(effects=[SetNotify("Unew", True), SaveUser(replace_messages(new, 1))])
    overlay.add(decision, NOW.timestamp())
    assert overlay.user("Unew").notify is True  # what the next bubble of the batch reads
    store.apply(decision, NOW)
    assert store.user("Unew").notify is True and store.subscribers() == 1


def test_a_notice_cancelled_after_it_started_sending_is_decided_again(store):
    from botan_line.core.model import CancelNotice, ScheduleNotice
    from botan_line.core.notices import NoticeChanged
    from botan_line.storage import notices

    store.apply(Decision(effects=[ScheduleNotice(1, "k1", "botan", "今夜は歌枠", None, "optin", NOW.timestamp(),
                                                 "Uadmin")]), NOW)  # fmt: skip
    notices.claim_due(store.engine, "w1", NOW.timestamp(), 1800)  # another worker starts sending it
    with pytest.raises(NoticeChanged):
        store.apply(Decision(effects=[CancelNotice(1, "Uadmin")]), NOW)
    assert [n.status for n in store.notices(5)] == ["sending"]


def replace_messages(user: UserState, n: int) -> UserState:
    return replace(user, messages=n)


def test_facts_are_one_row_per_key_and_forget_takes_them_with_the_nickname(store):
    store.apply(
        Decision(
            effects=[
                SetNickname("U1", "ミカ"),
                SetFact("U1", "oshi", "牡丹"),
                SetFact("U1", "oshi", "ユリ"),  # the newest wins
                SetFact("U1", "likes", "猫"),
                SetFact("U2", "oshi", "Kasho"),
            ]
        ),
        NOW,
    )
    assert store.facts("U1") == {"likes": "猫", "oshi": "ユリ"}
    store.apply(Decision(effects=[Forget("U1")]), NOW)
    assert store.facts("U1") == {} and store.user("U1").nickname is None
    assert store.facts("U2") == {"oshi": "Kasho"}  # nobody else forgets


def test_tier_calls_are_counted_per_day(store):
    day = "2026-11-28"
    store.apply(
        Decision(effects=[CountTier(day, "strong"), CountTier(day, "cheap"), CountTier(day, "cheap")]), NOW
    )
    store.apply(Decision(effects=[CountTier("2026-11-29", "strong")]), NOW)
    assert store.tier_calls(day) == {"strong": 1, "cheap": 2}
    assert store.tier_calls("2026-11-30") == {}


def test_the_ledger_keeps_cached_tokens(store):
    entry = LedgerEntry("U1", "botan", "layer2", model="gpt-4o-mini", prompt_tokens=1800, cached_tokens=1536)
    store.apply(Decision(ledger=entry), NOW)
    with store.engine.connect() as conn:
        assert conn.scalar(select(ledger.c.cached_tokens)) == 1536


def test_the_overlay_sees_this_batchs_nickname_facts_and_tier_counts(store):
    store.apply(Decision(effects=[SetNickname("U1", "ミカ"), CountTier("2026-11-28", "strong")]), NOW)
    overlay = Overlay(store)
    overlay.prefetch(["U1"])
    user = overlay.user("U1")
    at = NOW.timestamp()
    overlay.add(
        Decision(effects=[SetNickname("U1", "ハル"), SaveUser(replace_messages(user, 5))]), at
    )  # old name
    assert overlay.user("U1").nickname == "ハル" and overlay.user("U1").messages == 5
    overlay.add(Decision(effects=[SetFact("U1", "oshi", "ユリ"), CountTier("2026-11-28", "cheap")]), at)
    assert overlay.facts("U1") == {"oshi": "ユリ"}
    assert overlay.tier_calls("2026-11-28") == {"strong": 1, "cheap": 1}
    overlay.add(Decision(effects=[Forget("U1")]), at)
    assert overlay.user("U1").nickname is None and overlay.facts("U1") == {}
    assert store.user("U1").nickname == "ミカ"  # nothing written until the batch is saved


def test_prune_lets_old_facts_go_and_keeps_the_nickname(store):
    from botan_line.storage import inbox

    old = datetime(2026, 10, 1, tzinfo=TZ)
    store.apply(Decision(effects=[SetNickname("U1", "ミカ"), SetFact("U1", "oshi", "ユリ")]), old)
    store.apply(Decision(effects=[SetFact("U1", "likes", "猫")]), NOW)
    inbox.prune(store.engine, retention_days=30, now=NOW.timestamp())
    assert store.facts("U1") == {"likes": "猫"} and store.user("U1").nickname == "ミカ"


def test_every_effect_has_one_meaning_a_writer_and_what_a_batch_sees_of_it():
    from typing import get_args

    from botan_line.core.model import Effect, LedgerEntry
    from botan_line.storage.effects import KINDS

    assert set(get_args(Effect)) == set(KINDS) - {LedgerEntry}
    in_place = {t.__name__ for t, k in KINDS.items() if not k.batched}
    assert in_place == {
        "SetActive",
        "Forget",
        "SetState",
        "SetNickname",
        "SetFact",
        "NoticeOnce",
        "Approve",
        "Reject",
        "SetNotify",
        "Unsend",
        "ScheduleNotice",
        "CancelNotice",
    }
