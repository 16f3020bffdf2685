"""The worker's two lanes over the real webhook: merging bubbles, order per chat, fairness, holding
lines, leases. The inline worker and the injected clock make these deterministic; the tests that
need real concurrency use the real pools and wait on the fakes, never on the clock."""

from __future__ import annotations

import threading

from conftest import ADMIN
from fakes import sticker_event, text_event
from sqlalchemy import select

from botan_line.doors.worker import Worker
from botan_line.storage.db import inbox as inbox_table

QUESTION = "ねえねえ聞いて、最近ずっと気になってることがあってさ"
GOOD = "え〜なになに？めっちゃ気になるんだけど！"


def rows(bot) -> dict:
    with bot.services.engine.connect() as conn:
        return {r.event_id: r for r in conn.execute(select(inbox_table))}


def test_bubbles_in_one_breath_get_one_model_call_and_one_reply(sbot):
    bubbles = ["ねえねえ聞いて", "今日さ、学校で先生に褒められたんだけど", "どう思う？"]
    events = []
    for i, text in enumerate(bubbles):
        events.append(text_event(text, timestamp_ms=sbot.clock.ms + i * 400))
    sbot.ai.queue(GOOD)
    sbot.post(*events)
    sbot.worker.drain()
    assert sbot.line.replies() == []  # still inside the merge window
    sbot.work()
    assert len(sbot.ai.calls()) == 1
    assert "\n".join(bubbles) in sbot.ai.calls()[0]["messages"][-1]["content"]
    assert len(sbot.line.replies()) == 1
    assert sbot.line.replies()[0]["replyToken"] == events[-1]["replyToken"]  # the newest token
    found = rows(sbot)
    assert [found[e["webhookEventId"]].outcome for e in events] == ["merged", "merged", "replied"]
    assert [r.event_id for r in sbot.ledger()] == [events[-1]["webhookEventId"]]  # one decision
    history = sbot.services.store.history("Utest1", "botan", 10)
    assert [t for role, t in history if role == "user"] == bubbles
    assert history[-1] == ("assistant", GOOD)


def test_the_merge_window_never_delays_a_layer1_answer(sbot):
    sbot.post(text_event("おはよう", timestamp_ms=sbot.clock.ms))
    sbot.worker.drain()  # the clock does not move
    assert len(sbot.line.replies()) == 1


def test_a_fans_second_message_is_not_answered_before_the_first(sbot):
    question = text_event(QUESTION, timestamp_ms=sbot.clock.ms)
    sticker = sticker_event(timestamp_ms=sbot.clock.ms + 100)
    help_ = text_event("/help", timestamp_ms=sbot.clock.ms + 200)
    sbot.ai.queue(GOOD)
    sbot.post(question, sticker, help_)
    sbot.work()  # something that cannot join the call waits behind it: the call starts at once
    tokens = [r["replyToken"] for r in sbot.line.replies()]
    assert tokens == [question["replyToken"], sticker["replyToken"], help_["replyToken"]]


def test_one_chats_backlog_never_delays_another_chat(sbot):
    backlog = [text_event(f"{QUESTION}その{i}", "Uchatty", timestamp_ms=sbot.clock.ms) for i in range(80)]
    sbot.post(*backlog)
    others = [text_event("おはよう", f"Uother{i}", timestamp_ms=sbot.clock.ms) for i in range(20)]
    sbot.post(*others)
    sbot.worker.step()  # one pass: every other chat is answered at once
    answered = {r["replyToken"] for r in sbot.line.replies()}
    assert {e["replyToken"] for e in others} <= answered
    sbot.work()  # the chatty fan gets one answer for everything, with the newest token
    assert sbot.line.replies()[-1]["replyToken"] == backlog[-1]["replyToken"]
    assert len(sbot.ai.calls()) == 1


def test_a_mention_after_an_emoji_is_cut_in_utf16_units(sbot):
    event = text_event(
        "😀@牡丹bot /help", "Um1", source_type="group", group_id="Cg", timestamp_ms=sbot.clock.ms
    )
    event["message"]["mention"] = {
        "mentionees": [{"index": 2, "length": 6, "type": "user", "userId": "Ubot", "isSelf": True}]
    }
    sbot.deliver(event)
    assert "使えるコマンド" in sbot.line.replies()[-1]["messages"][0]["text"]
    assert sbot.last().layer == "command"


def test_a_slow_model_with_push_on_gets_a_holding_line_then_the_answer_by_push(make_bot, sqlite_url):
    bot = make_bot(sqlite_url, push_fallback=True, merge_seconds=0.0)
    gate = threading.Event()
    bot.ai.queue(GOOD, gate=gate)
    worker = Worker(bot.services, name="lanes", clock=bot.clock)
    question = text_event(QUESTION, timestamp_ms=bot.clock.ms)
    bot.post(question)
    worker.start()
    try:
        assert bot.ai.wait_for(lambda: len(bot.ai.calls()) == 1)
        bot.clock.advance(45)  # the model is slow: 5 s of reply-token life left
        assert bot.line.wait_for(lambda: len(bot.line.replies()) == 1)
        assert bot.line.replies()[0]["messages"][0]["text"] in bot.lines("botan", "holding")
        gate.set()
        assert bot.line.wait_for(lambda: len(bot.line.pushes()) == 1)
        assert bot.line.pushes()[0]["messages"][0]["text"] == GOOD
    finally:
        gate.set()
        worker.stop()
    assert rows(bot)[question["webhookEventId"]].outcome == "held_pushed"
    assert [r.layer for r in bot.ledger()] == ["layer2"]


def test_a_slow_model_with_push_off_ends_in_her_line_before_the_token_expires(make_bot, sqlite_url):
    bot = make_bot(sqlite_url, merge_seconds=0.0)
    gate = threading.Event()  # the model never answers in time
    bot.ai.queue(GOOD, gate=gate)
    question = text_event(QUESTION, timestamp_ms=bot.clock.ms - 48_500)  # 1.5 s of token life left
    bot.post(question)
    try:
        bot.work()  # the call is cut off at the token's end (a real 1.5 s timeout)
    finally:
        gate.set()
    assert len(bot.line.replies()) == 1
    assert bot.line.replies()[0]["messages"][0]["text"] in bot.lines("botan", "fallback")
    assert bot.last().guard.startswith("error:")


def test_a_renewed_lease_keeps_a_slow_call_from_being_handled_twice(make_bot, sqlite_url):
    bot = make_bot(sqlite_url, merge_seconds=0.0)
    gate = threading.Event()
    bot.ai.queue(GOOD, gate=gate)
    slow = Worker(bot.services, name="slow", clock=bot.clock)
    other = Worker(bot.services, name="other", clock=bot.clock, inline=True)
    bot.post(text_event(QUESTION, timestamp_ms=bot.clock.ms))
    try:
        slow.step()
        assert bot.ai.wait_for(lambda: len(bot.ai.calls()) == 1)
        for _ in range(4):  # longer than the lease, but the slow worker keeps renewing it
            bot.clock.advance(bot.services.settings.lease_seconds / 2)
            slow.step()
            other.step()
        gate.set()
        slow.start()
        assert bot.line.wait_for(lambda: len(bot.line.replies()) == 1)
    finally:
        gate.set()
        slow.stop()
    assert len(bot.ai.calls()) == 1 and len(bot.line.replies()) == 1
    assert len(bot.ledger()) == 1


def test_an_admin_notice_is_sent_once_even_from_two_workers(make_bot, sqlite_url):
    from botan_line.config import BotConfig, Budget

    bot = make_bot(sqlite_url, config=BotConfig(budget=Budget(monthly_yen=0)))
    other = Worker(bot.services, name="other", clock=bot.clock, inline=True)
    bot.post(
        text_event(QUESTION, "Ua", timestamp_ms=bot.clock.ms),
        text_event(QUESTION, "Ub", timestamp_ms=bot.clock.ms),
    )
    other.step()
    bot.work()
    notices = [p for p in bot.line.pushes() if p["to"] == ADMIN]
    assert len(notices) == 1
    assert len(bot.line.replies()) == 2


def test_in_a_group_bubbles_are_never_merged_across_members(sbot):
    ask = text_event(
        f"牡丹、{QUESTION}", "Ua", source_type="group", group_id="Cg", timestamp_ms=sbot.clock.ms
    )
    other = text_event("それな", "Ub", source_type="group", group_id="Cg", timestamp_ms=sbot.clock.ms + 200)
    sbot.ai.queue(GOOD)
    sbot.post(ask, other)
    sbot.work()
    assert [r["replyToken"] for r in sbot.line.replies()] == [
        ask["replyToken"]
    ]  # only the one who called her
    assert "それな" not in sbot.ai.calls()[0]["messages"][-1]["content"]


def test_a_crisis_in_an_earlier_merged_bubble_gets_the_crisis_reply(sbot):
    bubbles = ["ねえねえ聞いて", "もう死にたい", "どう思う？"]
    events = [text_event(t, timestamp_ms=sbot.clock.ms + i * 400) for i, t in enumerate(bubbles)]
    sbot.post(*events)
    sbot.work()
    assert sbot.ai.calls() == []
    replies = sbot.line.replies()
    assert len(replies) == 1 and replies[0]["replyToken"] == events[-1]["replyToken"]
    assert "0120-279-338" in replies[0]["messages"][0]["text"]
    assert (sbot.last().layer, sbot.last().safety) == ("safety", "crisis:want_to_die")


# --- Layer 1 and merged bubbles (issue 10's reactions meet issue 8's merging) ---------------------
TOLD = "昨日ね、新しいカフェに行ってきたんだ〜！パフェがすごく大きかった！"


def test_a_reaction_at_the_end_of_merged_bubbles_is_not_answered_for_itself(sbot):
    sbot.ai.queue(TOLD)
    sbot.say("最近どうしてた？教えて")  # she told something: a lone なるほど would be a reaction now
    bubbles = [QUESTION, "なるほど"]
    sbot.ai.queue(GOOD)
    sbot.post(*[text_event(t, timestamp_ms=sbot.clock.ms + i * 300) for i, t in enumerate(bubbles)])
    sbot.work()
    assert len(sbot.ai.calls()) == 2  # one call for both bubbles, not a reaction for the last one
    assert "\n".join(bubbles) in sbot.ai.calls()[-1]["messages"][-1]["content"]
    assert sbot.last().layer == "layer2" and sbot.line.replies()[-1]["messages"][0]["text"] == GOOD


def test_a_greeting_bubble_behind_a_question_joins_the_call(sbot):
    sbot.clock.set("2026-11-28T07:30")
    bubbles = [QUESTION, "あ、おはよう！"]
    sbot.ai.queue(GOOD)
    sbot.post(*[text_event(t, timestamp_ms=sbot.clock.ms + i * 300) for i, t in enumerate(bubbles)])
    sbot.work()
    assert [r.layer for r in sbot.ledger()] == ["layer2"]
    assert len(sbot.line.replies()) == 1


def test_a_reaction_sees_the_answer_decided_just_before_it_in_the_same_batch(sbot):
    told = text_event("勉強中", timestamp_ms=sbot.clock.ms)  # Layer 1: she tells (never asks) something
    reaction = text_event("なるほど", timestamp_ms=sbot.clock.ms + 300)
    sbot.post(told, reaction)
    sbot.worker.step()  # one pass: both decided before either is saved
    assert [r.pattern for r in sbot.ledger()] == ["botan:studying", "botan:i_see"]
    assert sbot.ai.calls() == []


# --- slow commands run in the Layer 2 lane ----------------------------------------------------------
def test_candidates_is_deferred_and_nothing_merges_into_it(sbot):
    candidates = text_event("/candidates", ADMIN, timestamp_ms=sbot.clock.ms)
    hello = text_event("おはよう", ADMIN, timestamp_ms=sbot.clock.ms + 200)
    other = text_event("おはよう", "Ufan", timestamp_ms=sbot.clock.ms + 100)
    sbot.post(candidates, hello, other)
    sbot.worker.step()
    assert other["replyToken"] in {r["replyToken"] for r in sbot.line.replies()}  # the fast lane went on
    sbot.work()
    replies = {r["replyToken"]: r["messages"][0]["text"] for r in sbot.line.replies()}
    assert "候補はありません" in replies[candidates["replyToken"]]
    assert hello["replyToken"] in replies  # answered for itself, by Layer 1
    assert [r.layer for r in sbot.ledger() if r.user_id == ADMIN] == ["command", "layer1"]


def test_reload_is_answered_from_the_layer2_lane_and_the_fast_lane_goes_on(sbot):
    reload = text_event("/reload", ADMIN, timestamp_ms=sbot.clock.ms)
    other = text_event("おはよう", "Ufan", timestamp_ms=sbot.clock.ms + 100)
    sbot.post(reload, other)
    sbot.worker.step()
    assert other["replyToken"] in {r["replyToken"] for r in sbot.line.replies()}  # the fast lane went on
    sbot.work()
    replies = {r["replyToken"]: r["messages"][0]["text"] for r in sbot.line.replies()}
    assert "再読み込みしました" in replies[reload["replyToken"]]


# --- approvals are written with the reply; a race is re-decided ------------------------------------
ADMIN2 = "Uadmin0000000000000000000000000002"


def test_two_admins_approving_one_candidate_at_once_get_one_approval(make_bot, sqlite_url):
    from botan_line.storage.db import learned_patterns
    from botan_line.storage.inbox import backoff

    bot = make_bot(sqlite_url, admin_user_ids=frozenset({ADMIN, ADMIN2}))
    for i in range(3):
        bot.ai.queue(GOOD)
        bot.say("推しの新曲ってもう聴いた？", user=f"Ufan{i}")
    listing = bot.say("/candidates text", user=ADMIN)
    cand_id = int(listing.split("#", 2)[1].split()[0])
    first = text_event(f"/approve {cand_id}", ADMIN, timestamp_ms=bot.clock.ms)
    second = text_event(f"/approve {cand_id}", ADMIN2, timestamp_ms=bot.clock.ms + 10)
    bot.post(first, second)
    bot.work()  # both checked against the same version: the second save fails and is decided again
    bot.clock.advance(backoff(2) + 1)
    bot.work()
    replies = {r["replyToken"]: r["messages"][0]["text"] for r in bot.line.replies()}
    assert "承認しました" in replies[first["replyToken"]]
    assert "すでに処理済み" in replies[second["replyToken"]]
    with bot.services.engine.connect() as conn:
        assert len(conn.execute(select(learned_patterns)).all()) == 1


def test_an_approval_overtaken_between_its_check_and_its_save_is_decided_again(sbot):
    """The check runs while deciding; another change landing before the save makes the save fail
    (the version moved), and the event is decided again against the new state."""
    from sqlalchemy import insert

    from botan_line.storage import learned
    from botan_line.storage.db import candidates, learned_audit
    from botan_line.storage.inbox import backoff

    engine, characters = sbot.services.engine, sbot.services.characters
    with engine.begin() as conn:
        mine, other = (
            conn.execute(
                insert(candidates)
                .values(sister="yuri", kind="pattern", trigger=t, replies='["そうかも…"]', users=3, status="open",
                        created_at=0)
                .returning(candidates.c.id)
            ).scalar_one()
            for t in ("じゅんばんのはなし", "べつのはなし")
        )  # fmt: skip
    admin = sbot.services.conversation.layers[0].commands.admin
    checked = admin.approval
    overtaken = []

    def approval_then_someone_else(*args):
        plan = checked(*args)
        if not overtaken:  # between the check and the save, another admin's approval lands
            overtaken.append(learned.decide_now(engine, characters, other, "Uother", approve_it=True))
        return plan

    admin.approval = approval_then_someone_else
    event = text_event(f"/approve {mine}", ADMIN, timestamp_ms=sbot.clock.ms)
    sbot.post(event)
    sbot.work()
    assert sbot.line.replies() == []  # the save failed: nothing sent, nothing of it written
    sbot.clock.advance(backoff(1))
    sbot.work()
    (reply,) = sbot.line.replies()
    assert reply["replyToken"] == event["replyToken"] and "承認しました" in reply["messages"][0]["text"]
    with engine.connect() as conn:
        audit = conn.execute(select(learned_audit.c.admin, learned_audit.c.candidate_id)).all()
    assert sorted(audit) == sorted([("Uother", other), (ADMIN, mine)])


def test_a_batch_of_reactions_reads_every_fans_last_reply_in_two_statements(sbot):
    from sqlalchemy import event

    fans = [f"Ureact{i}" for i in range(6)]
    for fan in fans:
        sbot.say("勉強中", user=fan)  # Layer 1 tells each of them something
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(" ".join(statement.split()))

    event.listen(sbot.services.engine, "before_cursor_execute", record)
    try:
        sbot.post(*[text_event("なるほど", fan, timestamp_ms=sbot.clock.ms) for fan in fans])
        sbot.worker.step()
    finally:
        event.remove(sbot.services.engine, "before_cursor_execute", record)
    assert [r.pattern for r in sbot.ledger()[-len(fans) :]] == ["botan:i_see"] * len(fans)
    reads = [s for s in seen if s.startswith("SELECT") and ("FROM ledger" in s or "FROM history" in s)]
    assert len(reads) == 2, reads


NICKNAME_CHAT = "最近見た映画がすごく良かったんだけど、ちょっと聞いてくれる？"


def test_a_request_in_bubbles_merged_behind_a_layer2_call_is_kept_by_layer2(sbot):
    sbot.ai.queue("え〜そうなんだ！じゃあこれからミカって呼ぶね！")
    first = text_event(NICKNAME_CHAT, "Umerge", timestamp_ms=sbot.clock.ms)
    second = text_event("あ、これからはミカって呼んでね", "Umerge", timestamp_ms=sbot.clock.ms + 500)
    sbot.deliver(first, second)
    calls = sbot.ai.calls()
    assert len(calls) == 1  # one answer for the merged thought
    assert "「ミカ」" in calls[0]["messages"][1]["content"]
    assert sbot.services.store.user("Umerge").nickname == "ミカ"
