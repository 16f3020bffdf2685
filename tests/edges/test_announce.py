"""/announce and the push quota over the real webhook path: previewed and priced, sent only after
/announce confirm, to the fans who asked (multicast) or to every friend (all), at once or at a time,
never twice; every push counted; the admins told once at 80%, and of a notice too late to send."""

from __future__ import annotations

import json

from conftest import ADMIN
from fakes import postback_event, text_event
from sqlalchemy import insert, select, update

from botan_line.doors.worker import Worker
from botan_line.storage.db import notice_batches, notices, pushes, users

FANS_IN = ("Ufan00000000000000000000000000001", "Ufan00000000000000000000000000002",
           "Ufan00000000000000000000000000003")  # fmt: skip
FANS_OUT = ("Ufan00000000000000000000000000004", "Ufan00000000000000000000000000005")


def admin(bot, text):
    event = text_event(text, ADMIN, timestamp_ms=bot.clock.ms)
    bot.deliver(event)
    (reply,) = [r for r in bot.line.replies() if r["replyToken"] == event["replyToken"]]
    return reply["messages"], event


def counted(bot):
    with bot.services.engine.connect() as conn:
        return [(r.kind, r.recipients) for r in conn.execute(select(pushes).order_by(pushes.c.id))]


def opted_in(bot, *fans):
    """Three ways to ask for notices: the command, her words, the rich menu's button."""
    ways = ["/notify on", "配信通知オンにして", None]
    for fan, way in zip(fans, ways * 3, strict=False):
        if way is None:
            bot.post(postback_event("notify=on", fan, timestamp_ms=bot.clock.ms))
            bot.work()
        else:
            bot.say(way, user=fan)


def reached(bot) -> list[str]:
    return sorted(u for m in bot.line.multicasts() for u in m["to"])


def test_a_confirmed_notice_reaches_exactly_the_fans_who_asked_by_multicast_once(bot):
    opted_in(bot, *FANS_IN)
    for fan in FANS_OUT:
        bot.say("おはよう", user=fan)
    bot.line.usage = 20
    bot.worker.line_side.refresh()  # the worker's reading: 200 a month, 20 used
    preview, _ = admin(bot, "/announce yuri 今夜21時から『夜ふかし読書会』やるよ…よかったら来てね")
    assert preview[0] == {"type": "text", "text": "今夜21時から『夜ふかし読書会』やるよ…よかったら来てね",
                          "sender": preview[0]["sender"]}  # fmt: skip
    assert preview[0]["sender"]["name"] == "ユリ"  # exactly as fans will see it
    summary = preview[1]["text"]
    assert "配信通知をオンにしているファン（マルチキャスト） 3人" in summary and "使う通数: 3通" in summary
    assert "今月の残り: 180通 → 送信後 177通" in summary and "送信: 今すぐ" in summary
    bot.say("おはよう", user=ADMIN)
    assert bot.line.multicasts() == []  # nothing goes out without the confirmation

    done, confirm = admin(bot, "/announce confirm")
    assert "3人に送ります（#1）" in done[0]["text"]
    (sent,) = bot.line.multicasts()
    assert sorted(sent["to"]) == sorted(FANS_IN) and sent["messages"] == preview[:1]
    assert bot.line.broadcasts() == [] and bot.line.pushes() == []  # no broadcast: the other two get nothing
    assert counted(bot) == [("announce", 3)] and bot.line.usage == 23

    again, _ = admin(bot, "/announce confirm")
    assert "確認待ちのお知らせはありません" in again[0]["text"]
    assert len(bot.line.multicasts()) == 1

    # the worker dies after LINE accepted the batch, before recording it: another takes it over
    with bot.services.engine.begin() as conn:
        conn.execute(update(notice_batches).values(sent_at=None))
        conn.execute(update(notices).values(status="sending", lease_until=bot.clock.t - 1))
    other = Worker(bot.services, name="other-worker", clock=bot.clock, inline=True)
    bot.clock.advance(2)
    other.drain()
    assert len(bot.line.multicasts()) == 1  # LINE refused the retry key a second time (409)
    assert bot.line.attempts("/v2/bot/message/multicast") == 2
    assert counted(bot) == [("announce", 3)] and bot.line.usage == 23
    with bot.services.engine.connect() as conn:
        row = conn.execute(select(notices)).one()
    assert (row.status, row.recipients, row.title) == ("sent", 3, "夜ふかし読書会")


def test_announce_all_keeps_the_broadcast_to_every_friend(sbot):
    opted_in(sbot, FANS_IN[0])
    sbot.worker.line_side.refresh()
    preview, _ = admin(sbot, "/announce all kasho 本日20時より、大切なお知らせがあります。")
    assert "友だち全員（ブロック中を除く・ブロードキャスト） 9人" in preview[1]["text"]
    admin(sbot, "/announce confirm")
    (sent,) = sbot.line.broadcasts()
    assert sent["messages"][0]["sender"]["name"] == "Kasho（花相）"
    assert sbot.line.multicasts() == [] and counted(sbot) == [("announce", 9)]


def test_a_notice_to_many_fans_goes_in_batches_of_500_each_with_its_own_retry_key(sbot):
    with sbot.services.engine.begin() as conn:
        conn.execute(insert(users), [dict(user_id=f"U{i:032d}", sister="botan", active=True, first_seen=0,
                                          last_seen=0, messages=1, notify=True) for i in range(1203)])  # fmt: skip
    sbot.line.quota = None
    sbot.worker.line_side.refresh()
    preview, _ = admin(sbot, "/announce botan 今夜は歌枠だよ〜！")
    assert " 1,203人" in preview[1]["text"]
    admin(sbot, "/announce confirm")
    sizes = [len(m["to"]) for m in sbot.line.multicasts()]
    assert sizes == [500, 500, 203] and len(set(reached(sbot))) == 1203
    keys = [r.headers["x-line-retry-key"] for r in sbot.line.requests if r.path.endswith("/multicast")]
    assert len(set(keys)) == 3
    assert counted(sbot) == [("announce", 500), ("announce", 500), ("announce", 203)]


def test_a_notice_scheduled_two_minutes_ahead_goes_out_on_time_once_even_across_workers(bot):
    opted_in(bot, *FANS_IN)
    bot.worker.line_side.refresh()
    assert bot.clock.now().isoformat() == "2026-11-28T12:00:00+09:00"
    due = bot.clock.t + 120  # two minutes ahead
    preview, _ = admin(bot, "/announce at 2026-11-28T12:02 botan 今夜は『マイクラ建築』やるよ〜！来てね！")
    assert "送信: " in preview[1]["text"] and "日本時間" in preview[1]["text"]
    done, _ = admin(bot, "/announce confirm")
    assert "に送ります（#1）" in done[0]["text"] and "/announce cancel 1" in done[0]["text"]
    assert bot.line.multicasts() == []

    restarted = Worker(bot.services, name="restarted", clock=bot.clock, inline=True)  # after a restart
    sent_at = None
    while bot.clock.t < due + 120:
        bot.clock.advance(7)
        bot.worker.drain()
        restarted.drain()
        if bot.line.multicasts() and sent_at is None:
            sent_at = bot.clock.t
    assert sent_at is not None and due <= sent_at < due + 60, (due, sent_at)
    (sent,) = bot.line.multicasts()  # once, though two workers looked every pass
    assert sorted(sent["to"]) == sorted(FANS_IN)
    listed, _ = admin(bot, "/announce list")
    assert "#1" in listed[0]["text"] and "送信済み（通知オンのファン・3人）" in listed[0]["text"]


def test_a_notice_whose_time_passed_while_down_goes_late_within_the_grace_else_it_is_dropped(sbot):
    opted_in(sbot, FANS_IN[0])
    sbot.worker.line_side.refresh()
    admin(sbot, "/announce at 2026-11-28T13:00 botan 13時から雑談するよ〜")
    admin(sbot, "/announce confirm")
    admin(sbot, "/announce at 2026-11-28T14:00+09:00 kasho 14時から『発声練習会』をします。")
    admin(sbot, "/announce confirm")
    sbot.clock.set("2026-11-28T14:20")  # down from 12:00 to 14:20: 13:00 is 80 minutes late, 14:00 20
    sbot.work()
    (sent,) = sbot.line.multicasts()
    assert "発声練習会" in sent["messages"][0]["text"]
    told = [p for p in sbot.line.pushes() if p["to"] == ADMIN]
    assert (
        len(told) == 1
        and "#1" in told[0]["messages"][0]["text"]
        and "送りませんでした" in told[0]["messages"][0]["text"]
    )
    with sbot.services.engine.connect() as conn:
        assert [r.status for r in conn.execute(select(notices).order_by(notices.c.id))] == ["dropped", "sent"]
    sbot.clock.advance(3600)
    sbot.work()
    assert len(sbot.line.multicasts()) == 1 and len([p for p in sbot.line.pushes() if p["to"] == ADMIN]) == 1


def test_a_scheduled_notice_is_listed_and_can_be_cancelled_by_its_number(sbot):
    opted_in(sbot, FANS_IN[0])
    sbot.worker.line_side.refresh()
    admin(sbot, "/announce at 2026-11-28T21:00 yuri 21時から『夜ふかし読書会』…")
    admin(sbot, "/announce confirm")
    listed, _ = admin(sbot, "/announce list")
    assert (
        "#1 11月28日(土) 21:00 ユリ 予約中（通知オンのファン）「21時から『夜ふかし読書会』…」"
        in listed[0]["text"]
    )
    assert "取り消し済み" not in admin(sbot, "/announce cancel 1")[0][0]["text"]
    assert "もう取り消し済みです" in admin(sbot, "/announce cancel 1")[0][0]["text"]
    assert "#7 のお知らせはありません" in admin(sbot, "/announce cancel 7")[0][0]["text"]
    sbot.clock.set("2026-11-28T21:01")
    sbot.work()
    assert sbot.line.multicasts() == []
    both, _ = admin(sbot, "/announce all at 2026-11-28T22:00 kasho 22時から『歌枠』です。")
    assert "ブロードキャスト" in both[1]["text"] and "送信: 11月28日(土) 22:00（日本時間）" in both[1]["text"]
    admin(sbot, "/announce cancel")
    past, _ = admin(sbot, "/announce at 2026-11-28T20:00 yuri もう過ぎた時間")
    assert "もう過ぎています" in past[0]["text"]
    bad, _ = admin(sbot, "/announce at あした yuri 配信")
    assert "時刻が読めません" in bad[0]["text"]


def test_an_unconfirmed_announcement_expires_and_cancel_drops_it(sbot):
    opted_in(sbot, FANS_IN[0])
    sbot.worker.line_side.refresh()
    admin(sbot, "/announce botan 今日は20時から配信だよ〜！")
    sbot.clock.advance(11 * 60)
    late, _ = admin(sbot, "/announce confirm")
    assert "時間が経ったので取り消しました" in late[0]["text"]
    admin(sbot, "/announce kasho 本日19時より配信いたします。")
    gone, _ = admin(sbot, "/announce cancel")
    assert "取り消しました" in gone[0]["text"]
    nothing, _ = admin(sbot, "/announce confirm")
    assert "確認待ちのお知らせはありません" in nothing[0]["text"]
    assert sbot.line.multicasts() == [] and sbot.line.broadcasts() == []


def test_announce_refuses_what_the_quota_cannot_pay_and_bad_input(sbot):
    preview, _ = admin(sbot, "/announce all botan 配信するよ！")
    assert "まだ今月の通数を読めていません" in preview[0]["text"]  # no reading yet: no guess
    sbot.line.usage = 195
    sbot.worker.line_side.refresh()
    nobody, _ = admin(sbot, "/announce botan 配信するよ！")
    assert "配信通知を受け取るファンがまだいません" in nobody[0]["text"]  # nobody asked: nothing to multicast
    preview, _ = admin(sbot, "/announce all botan 配信するよ！")
    # 195 of 200 is past 80%: the admins were told (one push), which leaves 4
    assert [p["to"] for p in sbot.line.pushes()] == [ADMIN]
    assert "残りは 4通" in preview[0]["text"] and len(preview) == 1
    assert "書き方" in admin(sbot, "/announce nobody 配信")[0][0]["text"]
    assert "書き方" in admin(sbot, "/announce botan")[0][0]["text"]
    assert "/announce confirm" not in preview[0]["text"]
    assert sbot.line.broadcasts() == []


def test_without_linewide_figures_the_reach_of_all_is_the_fans_the_bot_knows(sbot):
    for user in ("Ua", "Ub", "Uc"):
        sbot.say("おはよう", user=user)
    sbot.line.followers = None  # insight: "unready"
    sbot.worker.line_side.refresh()
    preview, _ = admin(sbot, "/announce all botan 配信するよ！")
    assert "推定" in preview[1]["text"] and " 3人" in preview[1]["text"]  # the three fans it knows


def test_every_push_is_counted_and_the_admins_hear_of_80_percent_once(make_bot, sqlite_url):
    bot = make_bot(sqlite_url, push_fallback=True)
    bot.line.quota, bot.line.usage = 10, 6
    bot.worker.line_side.refresh()
    stale = text_event("おはよう", "Ufan", timestamp_ms=bot.clock.ms - 120_000)  # the token is gone: push
    bot.deliver(stale)
    assert counted(bot) == [("answer", 1)]
    assert [p["to"] for p in bot.line.pushes()] == ["Ufan"]
    late = text_event("ありがとう", "Ufan", timestamp_ms=bot.clock.ms - 120_000)
    bot.deliver(late)  # 6 + 2 = 8 of 10: the admins hear of it, once
    notices_sent = [p for p in bot.line.pushes() if p["to"] == ADMIN]
    assert len(notices_sent) == 1 and "80%" in notices_sent[0]["messages"][0]["text"]
    assert counted(bot) == [("answer", 1), ("answer", 1), ("notice", 1)]
    bot.deliver(text_event("おやすみ", "Ufan", timestamp_ms=bot.clock.ms - 120_000))
    assert len([p for p in bot.line.pushes() if p["to"] == ADMIN]) == 1
    (card,) = admin(bot, "/stats")[0]
    assert "プッシュ 10 / 10通" in card["altText"]


def test_botan_line_stats_shows_pushes_against_the_quota_read_from_line(
    sbot, monkeypatch, capsys, characters_dir
):
    from conftest import SECRET, TOKEN

    from botan_line.ops.cli import main

    sbot.line.usage = 42
    env = {"LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN, "LINE_API_BASE_URL": sbot.line.url,
           "BOTAN_DATABASE_URL": sbot.services.settings.database_url, "BOTAN_CHARACTERS_DIR": str(characters_dir)}  # fmt: skip
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert main(["stats"]) == 0
    assert "pushes this month: 42 of 200 (21%, 158 left" in capsys.readouterr().out
    assert main(["stats", "--json"]) == 0
    assert '"limit": 200' in capsys.readouterr().out


def test_the_batches_keep_who_a_notice_went_to_only_until_the_retention(sbot):
    from botan_line.storage import inbox

    opted_in(sbot, FANS_IN[0])
    sbot.worker.line_side.refresh()
    admin(sbot, "/announce botan 今夜は歌枠！")
    admin(sbot, "/announce confirm")
    with sbot.services.engine.connect() as conn:
        (batch,) = conn.execute(select(notice_batches)).all()
    assert json.loads(batch.user_ids) == [FANS_IN[0]]
    inbox.prune(sbot.services.engine, 30, sbot.clock.t + 31 * 86400)
    with sbot.services.engine.connect() as conn:
        assert conn.execute(select(notice_batches)).all() == []
        assert conn.execute(select(notices.c.recipients)).scalar() == 1  # its figures stay
