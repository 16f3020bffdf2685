"""The console's simulator on the core in-process: what a fan does, decided and stored as for any fan."""

from __future__ import annotations

from datetime import datetime

from conftest import ADMIN, TZ
from sqlalchemy import insert

from botan_line.config import BotConfig
from botan_line.doors.simulator import Fan, Simulator
from botan_line.storage.db import ledger

MORNING = datetime(2026, 11, 28, 7, 30, tzinfo=TZ)


def test_a_text_is_decided_stored_and_shown_with_its_ledger_entry(core):
    sim = Simulator(core.services)
    x = sim.say(Fan("Ufan1", "ミカ"), "おはよう", MORNING)
    row = core.last()
    assert (
        (x.layer, x.pattern, x.yen) == (row.layer, row.pattern, row.yen) == ("layer1", "botan:morning", 0.0)
    )
    assert x.source.startswith("botan/greetings.yaml:")
    assert [m["type"] for m in x.messages] == ["text"]
    assert x.messages[0]["sender"] == {
        "name": "牡丹",
        "iconUrl": "https://botan-line.example/icons/botan.png",
    }
    assert core.services.store.history("Ufan1", "botan", 1)[-1] == ("assistant", x.messages[0]["text"])
    assert core.services.store.user("Ufan1").display_name == "ミカ"
    assert row.created_at == MORNING.timestamp()


def test_a_layer2_exchange_carries_model_tier_tokens_and_yen(core):
    sim = Simulator(core.services)
    core.model.answer("えー、それめっちゃ気になる！")
    x = sim.say(Fan("Ufan2"), "昨日ひとりで映画みてきたんだけどさ", MORNING)
    row = core.last()
    assert x.layer == "layer2" and x.messages[0]["text"] == "えー、それめっちゃ気になる！"
    assert (x.model, x.tier, x.yen, x.prompt_tokens) == (row.model, row.tier, row.yen, row.prompt_tokens)
    assert x.yen > 0 and x.source is None


def test_calling_a_sister_by_name_brings_her_quick_reply_and_the_rich_menu_action(core):
    sim = Simulator(core.services)
    x = sim.say(Fan("Ufan3"), "ユリちゃん", MORNING)
    assert x.messages[-1]["sender"]["name"] == "ユリ"
    assert [a["data"] for a in x.quick_reply] == ["sister=botan", "sister=kasho", "sister=yuri"]
    assert x.actions == ["rich menu of yuri linked to Ufan3"]


def test_a_tap_is_the_postback_event_line_would_deliver(core):
    sim = Simulator(core.services)
    x = sim.tap(Fan("Ufan4"), "sister=kasho", "Kasho（花相）", MORNING)
    assert (x.kind, x.said, x.layer) == ("tap", "Kasho（花相）", "command")
    assert core.services.store.user("Ufan4").sister == "kasho"
    assert sim.tap(Fan("Ufan4"), "action=unknown", "", MORNING).messages == []  # ignored, as by the worker


def test_admin_notices_are_listed_not_pushed(make_core):
    core = make_core(config=BotConfig.model_validate({"budget": {"monthly_yen": 100}}))
    with core.services.engine.begin() as conn:
        conn.execute(insert(ledger).values(created_at=MORNING.timestamp() - 3600, user_id="Useed", sister="botan",
                                           layer="layer2", model="gpt-4o", yen=100.0))  # fmt: skip
    x = Simulator(core.services).say(Fan("Ufan5"), "昨日ひとりで映画みてきたんだけどさ", MORNING)
    assert x.layer == "fallback" and len(x.notices) == 1 and x.notices[0].startswith(f"→ {ADMIN}: ")


def test_the_transcript_is_per_fan_and_bounded(core):
    sim = Simulator(core.services, keep=3)
    for n in range(4):
        sim.say(Fan("Ua"), f"おはよう{'！' * n}", MORNING)
    sim.say(Fan("Ub"), "こんにちは", MORNING)
    assert [x.said for x in sim.transcript("Ua")] == ["おはよう！！", "おはよう！！！"]
    assert sim.fans() == ["Ub", "Ua"]
    last = sim.transcript("Ub")[-1]
    assert sim.exchange(last.id) is last and sim.exchange(999) is None and sim.exchange(None) is None
