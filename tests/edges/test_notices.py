"""She remembers what a notice announced: Layer 2 knows the stream (after her cached fixed part), Layer 1's
stream lines name it, for line.notice_memory_hours; and the pure rules: titles, times, the grace."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from conftest import ADMIN
from fakes import text_event
from sqlalchemy import insert

from botan_line.core.notices import DROP, SEND, WAIT, due, parse_when, title_of
from botan_line.storage.db import notices

TZ = ZoneInfo("Asia/Tokyo")


@pytest.mark.parametrize(
    "text, title",
    [
        ("【お知らせ】今夜21時から『マイクラ建築』やるよ！", "マイクラ建築"),
        ("【歌枠】21時からだよ〜", "歌枠"),
        ("今夜は「雑談」するね", "雑談"),
        ("【告知】明日配信します", None),
        ("明日配信します", None),
    ],
)
def test_the_title_is_the_name_in_brackets_not_a_label(text, title):
    assert title_of(text) == title


def test_times_are_the_bots_timezone_unless_an_offset_is_written():
    assert parse_when(["2026-12-24T20:00", "botan"], TZ) == (datetime(2026, 12, 24, 20, 0, tzinfo=TZ), 1)
    assert parse_when(["2026-12-24", "20:00", "botan"], TZ)[1] == 2
    assert parse_when(["2026-12-24T11:00Z"], TZ)[0] == datetime(2026, 12, 24, 20, 0, tzinfo=TZ)
    assert parse_when(["2026-12-24T20:00+08:00"], TZ)[0].hour == 21
    for bad in (["2026-12-24"], ["あした"], []):
        with pytest.raises(ValueError):
            parse_when(bad, TZ)


def test_a_late_notice_goes_within_the_grace_and_one_already_started_is_finished():
    assert due(1000, 999, 1800, started=False) == WAIT
    assert due(1000, 1000 + 1800, 1800, started=False) == SEND
    assert due(1000, 1000 + 1801, 1800, started=False) == DROP
    assert due(1000, 1000 + 5000, 1800, started=True) == SEND


def remember(services, sister: str, text: str, sent_at: float, hours: float = 36, notice_id: int = 1) -> None:
    with services.engine.begin() as conn:
        conn.execute(insert(notices).values(
            id=notice_id, key=f"k{notice_id}", sister=sister, text=text, title=title_of(text), audience="optin",
            due_at=sent_at, status="sent", created_by=ADMIN, created_at=sent_at, sent_at=sent_at, recipients=3,
            remember_until=sent_at + 3600 * hours,
        ))  # fmt: skip


def test_layer1_names_her_stream_while_she_remembers_it(core):
    core.clock.set("2026-11-27T19:00")
    remember(core.services, "botan", "今夜21時から『マイクラ建築』やるよ〜！", core.clock.t)
    core.clock.set("2026-11-28T10:00")
    said = core.say("昨日の配信見たよ！")
    assert "マイクラ建築" in said and core.last().pattern == "botan:stream_named_watched"
    assert "マイクラ建築" in core.say("アーカイブ見る")
    assert "マイクラ建築" in core.say("昨日の楽しかった")
    core.say("/yuri")
    assert "マイクラ建築" not in core.say("配信見たよ")  # it was 牡丹's stream, not hers
    core.clock.set("2026-11-29T08:00")  # 37 hours later: forgotten
    core.say("/botan")
    assert "マイクラ建築" not in core.say("配信見たよ")
    assert core.last().pattern == "botan:stream_was_fun"  # her everyday line again
    assert core.model.calls == []


def test_layer2_knows_the_stream_after_her_cached_fixed_part(core):
    core.say("お昼なに食べようかな、迷う")  # before any notice: her prompt as usual
    before = core.model.calls[-1].messages
    core.clock.set("2026-11-27T19:00")
    remember(
        core.services, "kasho", "本日21時より【ピアノ弾き語り】をお届けします。", core.clock.t, notice_id=1
    )
    remember(core.services, "botan", "今夜21時から『マイクラ建築』やるよ〜！", core.clock.t + 60, notice_id=2)
    core.clock.set("2026-11-28T10:00")
    core.say("昨日の配信、最後のとこで泣いちゃった")
    messages = core.model.calls[-1].messages
    assert messages[0] == before[0]  # her fixed part: the same bytes, so the provider's cache holds
    note = messages[1]["content"]
    assert messages[1]["role"] == "system" and "マイクラ建築" in note and "ピアノ弾き語り" in note
    assert note.index("マイクラ建築") < note.index("ピアノ弾き語り")  # hers first
    assert "牡丹（あなた）" in note and "昨日" in note
    core.clock.set("2026-11-29T08:00")
    core.say("昨日の配信、最後のとこで泣いちゃった")
    assert all("マイクラ建築" not in m["content"] for m in core.model.calls[-1].messages)


def test_after_a_notice_about_a_named_stream_a_fans_words_reach_her_with_its_title(sbot):
    """The target over real HTTP: the notice goes out, and the next day 「昨日の配信見たよ！」 is answered
    naming the stream, and what the model is asked about the stream carries its title."""
    sbot.say("/notify on", user="Ufan1")
    sbot.worker.line_side.refresh()
    sbot.clock.set("2026-11-28T19:00")
    for text in ("/announce botan 今夜21時から『マイクラ建築』やるよ〜！", "/announce confirm"):
        sbot.deliver(text_event(text, ADMIN, timestamp_ms=sbot.clock.ms))
    assert len(sbot.line.multicasts()) == 1
    sbot.clock.set("2026-11-29T10:00")
    said = sbot.say("昨日の配信見たよ！", user="Ufan1")
    assert "マイクラ建築" in said and sbot.last().layer == "layer1"
    sbot.say("昨日の配信で建ててたお城、完成までどのくらいかかったの？", user="Ufan1")
    (call,) = sbot.ai.calls()
    assert any("マイクラ建築" in m["content"] for m in call["messages"][1:-1] if m["role"] == "system")
