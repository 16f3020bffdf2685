"""The worker and the LINE edge: event types, reply tokens, LINE failures, crashes, two processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from fakes import (
    fixture_events,
    follow_event,
    join_event,
    media_event,
    postback_event,
    sticker_event,
    text_event,
    unfollow_event,
    unknown_event,
)
from sqlalchemy import select

from botan_line.storage.db import inbox as inbox_table

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def outcomes(bot) -> list[str]:
    with bot.services.engine.connect() as conn:
        return [r.outcome for r in conn.execute(select(inbox_table.c.outcome).order_by(inbox_table.c.id))]


def test_text_gets_one_reply_with_the_sisters_sender(bot):
    texts = bot.deliver(text_event("おはよう", timestamp_ms=bot.clock.ms))
    assert len(texts) == 1
    message = bot.line.replies()[0]["messages"][0]
    assert message["sender"]["name"] == "牡丹"
    assert message["sender"]["iconUrl"].startswith("https://")
    assert outcomes(bot) == ["replied"]


def test_sticker_and_media_get_in_character_lines(sbot):
    sbot.deliver(sticker_event(timestamp_ms=sbot.clock.ms))
    answer = sbot.line.replies()[-1]["messages"]
    texts = [m["text"] for m in answer if m["type"] == "text"]
    assert all(t in sbot.lines("botan", "sticker") for t in texts)  # her line, a sticker back, or both
    assert texts or answer[0]["type"] == "sticker"
    for kind in ("video", "file", "location"):  # photos and voice notes: tests/test_media_http.py
        assert sbot.deliver(media_event(kind, timestamp_ms=sbot.clock.ms))[0] in sbot.lines("botan", "media")


def test_follow_welcomes_with_the_sister_choice_quick_reply(sbot):
    sbot.line.profiles["Unew"] = {"displayName": "さくら", "userId": "Unew", "language": "ja"}
    texts = sbot.deliver(follow_event("Unew", timestamp_ms=sbot.clock.ms))
    assert len(texts) == 1
    message = sbot.line.replies()[0]["messages"][-1]
    items = message["quickReply"]["items"]
    assert [i["action"]["data"] for i in items] == ["sister=botan", "sister=kasho", "sister=yuri"]
    assert sbot.services.store.user("Unew").display_name == "さくら"


def test_unfollow_marks_the_user_inactive_and_sends_nothing(sbot):
    sbot.say("おはよう", user="Ubye")
    before = len(sbot.line.requests)
    sbot.deliver(unfollow_event("Ubye", timestamp_ms=sbot.clock.ms))
    assert len(sbot.line.requests) == before
    assert sbot.services.store.user("Ubye").active is False


def test_join_greets_the_group(sbot):
    texts = sbot.deliver(join_event("Cgroup1", timestamp_ms=sbot.clock.ms))
    assert texts and texts[0] in sbot.lines("botan", "join")


def test_postback_switches_sister(bot):
    texts = bot.deliver(postback_event("sister=yuri", timestamp_ms=bot.clock.ms))
    assert bot.user_sister() == "yuri"
    assert bot.line.replies()[0]["messages"][0]["sender"]["name"] == "ユリ"
    assert texts[0] in bot.lines("yuri", "switched")


def test_groups_answer_only_when_a_sister_is_named_or_the_bot_mentioned(sbot):
    ts = sbot.clock.ms
    assert (
        sbot.deliver(text_event("おはよう", "Um1", source_type="group", group_id="Cg", timestamp_ms=ts)) == []
    )
    assert (
        len(
            sbot.deliver(
                text_event(
                    "@bot おはよう",
                    "Um1",
                    source_type="group",
                    group_id="Cg",
                    mentioned_self=True,
                    timestamp_ms=ts,
                )
            )
        )
        == 1
    )
    assert sbot.last().layer == "layer1"  # the mention itself is not part of what she answers
    assert (
        len(
            sbot.deliver(
                text_event("牡丹おはよう", "Um1", source_type="group", group_id="Cg", timestamp_ms=ts)
            )
        )
        == 1
    )
    assert sbot.line.loadings() == []  # never in groups


def test_unknown_and_uninteresting_events_are_acked_and_send_nothing(sbot):
    beacon = unknown_event("beacon", replyToken="r" * 32, beacon={"hwid": "d41d8cd98f", "type": "enter"})
    response = sbot.post(unknown_event("somethingNew"), beacon)
    assert response.status_code == 200
    sbot.work()
    assert sbot.line.requests == []
    assert outcomes(sbot) == ["nothing", "nothing"]


def test_an_event_lines_schema_refuses_is_finished_as_refused_and_never_answered(sbot, caplog):
    broken = text_event("おはよう", timestamp_ms=sbot.clock.ms)
    broken["replyToken"] = 12345  # LINE's webhook.yml: a string
    response = sbot.post(broken, unknown_event("beacon"))  # a beacon without its beacon or token
    assert response.status_code == 200  # signed: acknowledged and stored (LINE must not redeliver it)
    sbot.work()
    assert sbot.line.requests == []
    assert outcomes(sbot) == ["refused", "refused"]
    refusals = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert len(refusals) == 2 and "replyToken: expected string, got int" in refusals[0]
    assert "おはよう" not in caplog.text


def test_every_fixture_event_is_handled_without_failure(bot):
    events = fixture_events(timestamp_ms=bot.clock.ms)
    for event in events:
        assert bot.post(event).status_code == 200
    bot.work(limit=100)
    with bot.services.engine.connect() as conn:
        rows = conn.execute(select(inbox_table.c.status, inbox_table.c.error)).all()
    assert len(rows) == len(events)
    assert all(r.status == "done" for r in rows), rows


def test_standby_sends_nothing(sbot):
    sbot.deliver(text_event("おはよう", mode="standby", timestamp_ms=sbot.clock.ms))
    assert sbot.line.requests == []
    assert outcomes(sbot) == ["standby"]


def test_stale_reply_token_is_recorded_as_expired_without_push_or_spending(sbot):
    sbot.post(
        text_event("最近見た映画がすごく良かったんだけど、ちょっと聞いてくれる？", timestamp_ms=sbot.clock.ms)
    )
    sbot.clock.advance(55)
    sbot.work()
    assert sbot.line.requests == []
    assert sbot.ai.calls() == [] and sbot.ledger() == []  # nobody would see it: nothing decided, nothing paid
    assert outcomes(sbot) == ["expired"]


def test_stale_reply_token_is_pushed_when_push_fallback_is_on(make_bot, sqlite_url):
    bot = make_bot(sqlite_url, push_fallback=True)
    bot.post(text_event("おはよう", "Upush", timestamp_ms=bot.clock.ms))
    bot.clock.advance(55)
    bot.work()
    pushes = [r for r in bot.line.requests if r.path.endswith("/push")]
    assert len(pushes) == 1 and pushes[0].json["to"] == "Upush"
    assert pushes[0].headers["x-line-retry-key"]
    assert outcomes(bot) == ["pushed"]


def test_invalid_reply_token_is_recorded(sbot):
    event = text_event("おはよう", timestamp_ms=sbot.clock.ms)
    sbot.line.expire_token(event["replyToken"])
    sbot.deliver(event)
    assert sbot.line.replies() == [] and sbot.line.pushes() == []
    assert outcomes(sbot) == ["token_invalid"]


def test_invalid_reply_token_falls_back_to_push_when_enabled(make_bot, sqlite_url):
    bot = make_bot(sqlite_url, push_fallback=True)
    event = text_event("おはよう", timestamp_ms=bot.clock.ms)
    bot.line.expire_token(event["replyToken"])
    bot.deliver(event)
    assert len(bot.line.pushes()) == 1
    assert outcomes(bot) == ["pushed"]


def test_push_retries_429_and_5xx_with_one_retry_key(make_bot, sqlite_url):
    bot = make_bot(sqlite_url, push_fallback=True)
    bot.line.fail_next("/push", 429, count=1)
    bot.line.fail_next("/push", 500, count=1)
    bot.post(text_event("おはよう", timestamp_ms=bot.clock.ms))
    bot.clock.advance(55)
    bot.work()
    attempts = [r for r in bot.line.requests if r.path.endswith("/push")]
    assert len(attempts) == 3
    assert len({r.headers["x-line-retry-key"] for r in attempts}) == 1
    assert len(bot.line.pushes()) == 1


def test_reply_failure_is_recorded_retried_and_the_worker_keeps_going(sbot):
    sbot.line.fail_next("/reply", 500, count=1)
    first = text_event("おはよう", "Ua", timestamp_ms=sbot.clock.ms)
    second = text_event("おはよう", "Ub", timestamp_ms=sbot.clock.ms)
    sbot.post(first, second)
    sbot.work()
    assert len(sbot.line.replies()) == 1  # the second event went on while the first waits
    sbot.clock.advance(6)
    sbot.work()
    assert len(sbot.line.replies()) == 2
    with sbot.services.engine.connect() as conn:
        row = conn.execute(select(inbox_table).where(inbox_table.c.event_id == first["webhookEventId"])).one()
    assert (row.status, row.outcome, row.attempts) == ("done", "replied", 1)
    assert "reply_http_500" in row.error  # what went wrong on the way stays with the event
    assert len([r for r in sbot.ledger() if r.layer == "layer1"]) == 2  # decided once each


def test_events_without_a_usable_source_are_done_at_once_and_block_nobody(sbot, caplog):
    import logging

    caplog.set_level(logging.INFO)
    nobody = [text_event("おはよう", timestamp_ms=sbot.clock.ms) for _ in range(60)]
    for event in nobody[:30]:
        del event["source"]  # PNP "delivery" events and the like come without one
    for event in nobody[30:]:
        event["source"] = "nonsense"
    good = text_event("おはよう", "Ugood", timestamp_ms=sbot.clock.ms)
    sbot.post(*nobody, good)
    sbot.work()
    assert len(sbot.line.replies()) == 1
    with sbot.services.engine.connect() as conn:
        rows = {r.event_id: r for r in conn.execute(select(inbox_table))}
    assert rows[good["webhookEventId"]].outcome == "replied"
    outcome = {
        e["webhookEventId"]: (rows[e["webhookEventId"]].status, rows[e["webhookEventId"]].outcome)
        for e in nobody
    }
    assert {outcome[e["webhookEventId"]] for e in nobody[:30]} == {("done", "nothing")}  # no source: allowed
    assert {outcome[e["webhookEventId"]] for e in nobody[30:]} == {
        ("done", "refused")
    }  # LINE's schema says object
    assert all(rows[e["webhookEventId"]].attempts == 1 for e in nobody)
    assert not any(rows[e["webhookEventId"]].error for e in nobody[:30])
    assert "ERROR" not in caplog.text


def test_an_internal_error_gets_an_in_character_line_and_logs_no_message_text(sbot, caplog):
    from sqlalchemy import text

    with sbot.services.engine.begin() as conn:  # the database breaks under the worker
        conn.execute(text("DROP TABLE history"))
    reply = sbot.say("ありがとう、秘密の電話番号は090-1234-5678だよ")
    assert reply in sbot.lines("botan", "fallback")
    assert outcomes(sbot) == ["error_fallback"]
    assert "090-1234-5678" not in caplog.text and "秘密" not in caplog.text
    with sbot.services.engine.connect() as conn:
        error = conn.execute(select(inbox_table.c.error)).scalar_one()
    assert error.startswith("OperationalError") and "090" not in error


def test_long_text_is_split_by_utf16_length_into_at_most_five_messages():
    from botan_line.adapters.line_api import split_text, utf16_len

    text = "😀" * 3000 + "あ" * 100  # emoji are two UTF-16 units each
    pieces = split_text(text)
    assert all(utf16_len(p) <= 5000 for p in pieces)
    assert "".join(pieces) == text
    assert len(split_text("あ" * 30000)) == 6  # the edge then keeps the first five


def test_a_reclaimed_event_is_resent_not_redecided(sbot):
    """The worker died after deciding and sending: the one that takes over must not answer twice."""
    from botan_line.doors.worker import Worker

    event = text_event("おはよう", timestamp_ms=sbot.clock.ms)
    sbot.post(event)
    dead = Worker(sbot.services, name="dead-worker", clock=sbot.clock, inline=True)
    dead.step()  # decided, saved and sent ... and then the process died before recording it
    assert len(sbot.line.replies()) == 1
    sbot.work()
    assert outcomes(sbot) == [None]  # its chat lease still holds: nobody touches the event
    sbot.clock.advance(sbot.services.settings.lease_seconds + 1)
    sbot.work()
    assert len(sbot.line.replies()) == 1
    assert outcomes(sbot) == ["already_sent"]
    assert len([r for r in sbot.ledger() if r.layer == "layer1"]) == 1


def _worker_env(bot, database_url: str) -> dict:
    s = bot.services.settings
    env = dict(os.environ)
    env.update(
        BOTAN_DATABASE_URL=database_url,
        BOTAN_CHARACTERS_DIR=str(s.characters_dir),
        LINE_CHANNEL_SECRET=s.line_channel_secret,
        LINE_CHANNEL_ACCESS_TOKEN=s.line_channel_access_token,
        LINE_API_BASE_URL=s.line_api_base_url,
        OPENAI_API_KEY="test-key",
        OPENAI_BASE_URL=s.openai_base_url,
        BOTAN_LEASE_SECONDS="5",
        BOTAN_LOG_LEVEL="WARNING",
    )
    return env


def test_a_worker_killed_mid_event_loses_nothing_and_answers_once(bot, database_url):
    bot.ai.queue("うんうん、わかるよ〜その気持ち！", delay=30)  # the worker hangs inside Layer 2
    event = text_event(
        "最近ちょっと考えごとしてて、なんか落ち着かないんだよね", timestamp_ms=int(time.time() * 1000)
    )
    bot.post(event)
    proc = subprocess.Popen(
        [sys.executable, "-m", "botan_line", "work"],
        env=_worker_env(bot, database_url),
        cwd=REPO,
    )
    try:
        assert bot.ai.wait_for(lambda: len(bot.ai.calls()) >= 1, timeout=30)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    assert bot.line.replies() == []
    bot.clock.t = time.time() + 6  # past the 5 s lease of the dead worker
    bot.ai.queue("そういう時もあるよね。あたしでよければ話聞くよ！")
    bot.work()
    assert len(bot.line.replies()) == 1 and bot.line.pushes() == []
    with bot.services.engine.connect() as conn:
        row = conn.execute(select(inbox_table)).one()
    assert (row.status, row.outcome, row.attempts) == ("done", "replied", 2)


@pytest.mark.parametrize("processes", [2])
def test_two_processes_share_one_inbox_and_never_handle_an_event_twice(bot, database_url, processes):
    now_ms = int(time.time() * 1000)
    events = [text_event("おはよう", f"Uuser{i:03d}", timestamp_ms=now_ms) for i in range(40)]
    for i in range(0, 40, 10):
        assert bot.post(*events[i : i + 10]).status_code == 200
    env = _worker_env(bot, database_url)
    procs = [
        subprocess.Popen([sys.executable, "-m", "botan_line", "work", "--until-idle"], env=env, cwd=REPO)
        for _ in range(processes)
    ]
    for p in procs:
        assert p.wait(120) == 0
    tokens = [r["replyToken"] for r in bot.line.replies()]
    assert len(tokens) == 40
    assert len(set(tokens)) == 40
    with bot.services.engine.connect() as conn:
        rows = conn.execute(select(inbox_table.c.status, inbox_table.c.attempts)).all()
    assert all(r.status == "done" and r.attempts == 1 for r in rows)
