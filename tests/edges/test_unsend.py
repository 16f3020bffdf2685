"""送信取消 honoured: after an unsend, the message's words are in no table of the database — history, the
facts and nickname she kept, the ledger (its figures stay), learning candidates, the stored event —
while her reply, already sent, stays sent and the rest of the conversation stays as it was."""

from __future__ import annotations

import json

from fakes import text_event, unsend_event
from sqlalchemy import String, Text, func, insert, or_, select

from botan_line.storage.db import candidates, ledger, metadata

SECRET_LIKE = "好きな食べ物はチーズタルトなんだよね、駅前のお店のがいちばん"
FOLDED = "ちずたると"  # how the ledger's normalised text and Layer 1 spell it


def holding(bot, *words: str) -> dict[str, int]:
    """Rows of every text column of every table that contain any of ``words``, by table.column."""
    found: dict[str, int] = {}
    with bot.services.engine.connect() as conn:
        for table in metadata.sorted_tables:
            for column in table.columns:
                if not isinstance(column.type, String | Text):
                    continue
                n = conn.scalar(
                    select(func.count()).select_from(table).where(or_(*(column.contains(w) for w in words)))
                )
                if n:
                    found[f"{table.name}.{column.name}"] = n
    return found


def test_after_an_unsend_the_messages_text_is_in_no_table(bot):
    bot.say("おはよう", user="Ufan1")
    said = text_event(SECRET_LIKE, "Ufan1", timestamp_ms=bot.clock.ms)
    bot.deliver(said)
    assert bot.services.store.facts("Ufan1") == {"likes": "チーズタルト（食べ物）"}
    with bot.services.engine.begin() as conn:  # mined into a candidate with another fan's wording
        conn.execute(insert(candidates).values(
            sister="botan", kind="pattern", trigger=bot.last().normalized, users=2, status="open", created_at=0,
            triggers=json.dumps([bot.last().normalized, "ちずたるとすき"], ensure_ascii=False),
            members=json.dumps([{"text": bot.last().normalized, "users": 1}, {"text": "ちずたるとすき", "users": 1}],
                               ensure_ascii=False),
            replies=json.dumps(["そうなんだ、もっと聞かせて！"], ensure_ascii=False),
        ))  # fmt: skip
    before = holding(bot, "チーズタルト", FOLDED + "なんだよね")
    assert {
        "history.text",
        "fan_facts.value",
        "ledger.normalized",
        "inbox.body",
        "candidates.members",
    } <= set(before), before
    replies = len(bot.line.replies())
    cost = [(r.layer, r.yen, r.prompt_tokens) for r in bot.ledger()]

    bot.post(unsend_event(said["message"]["id"], "Ufan1", timestamp_ms=bot.clock.ms))
    bot.work()

    assert holding(bot, "チーズタルト", FOLDED + "なんだよね") == {}
    assert len(bot.line.replies()) == replies  # nothing said about it, nothing taken back from LINE
    assert [(r.layer, r.yen, r.prompt_tokens) for r in bot.ledger()] == cost  # the figures stay
    assert bot.services.store.facts("Ufan1") == {}
    history = bot.services.store.history("Ufan1", "botan", 10)
    assert ("user", "おはよう") in history and history[-1][0] == "assistant"  # the rest stays, her reply too
    with bot.services.engine.connect() as conn:
        (cand,) = conn.execute(select(candidates)).all()
    assert (
        json.loads(cand.members) == [{"text": "ちずたるとすき", "users": 1}]
        and cand.trigger == "ちずたるとすき"
    )


def test_an_unsent_bubble_of_a_merged_turn_and_a_nickname_asked_in_it(sbot):
    sbot.say("ミカって呼んで", user="Ufan1")
    asked = sbot.last()
    assert sbot.services.store.user("Ufan1").nickname == "ミカ"
    bubbles = [text_event(t, "Ufan1", timestamp_ms=sbot.clock.ms + i * 400)
               for i, t in enumerate(["ねえ聞いて", "実はこっそり小説を書いてるんだ", "読んでくれる？"])]  # fmt: skip
    sbot.deliver(*bubbles)
    assert asked.message_id is not None
    sbot.post(unsend_event(bubbles[1]["message"]["id"], "Ufan1", timestamp_ms=sbot.clock.ms))
    with sbot.services.engine.connect() as conn:
        nickname_event = conn.scalar(select(ledger.c.message_id).where(ledger.c.id == asked.id))
    sbot.post(unsend_event(nickname_event, "Ufan1", timestamp_ms=sbot.clock.ms))
    sbot.work()
    assert holding(sbot, "こっそり小説", "ミカって呼んで") == {}
    said = [t for role, t in sbot.services.store.history("Ufan1", "botan", 10) if role == "user"]
    assert said == ["ねえ聞いて", "読んでくれる？"]  # the other bubbles stay
    assert sbot.services.store.user("Ufan1").nickname is None  # asked for in the message taken back


def test_an_unsend_for_a_message_never_seen_changes_nothing(sbot):
    sbot.say("おはよう", user="Ufan1")
    sbot.post(unsend_event("999999999", "Ufan1", timestamp_ms=sbot.clock.ms))
    sbot.work()
    assert ("user", "おはよう") in sbot.services.store.history("Ufan1", "botan", 5)
    assert sbot.ledger()[-1].layer == "layer1"  # an unsend is answered with nothing, and costs nothing
