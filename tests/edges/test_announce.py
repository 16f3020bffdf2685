"""/announce and the push quota over the real webhook path: previewed and priced, sent only after
/announce confirm, never twice; every push counted; the admins told once at 80%."""

from __future__ import annotations

from conftest import ADMIN
from fakes import text_event
from sqlalchemy import select, update

from botan_line.storage.db import inbox, pushes


def admin(bot, text):
    event = text_event(text, ADMIN, timestamp_ms=bot.clock.ms)
    bot.deliver(event)
    (reply,) = [r for r in bot.line.replies() if r["replyToken"] == event["replyToken"]]
    return reply["messages"], event


def counted(bot):
    with bot.services.engine.connect() as conn:
        return [(r.kind, r.recipients) for r in conn.execute(select(pushes).order_by(pushes.c.id))]


def test_announce_previews_prices_and_sends_only_after_confirm_and_only_once(bot):
    bot.line.usage = 20
    bot.worker.line_side.refresh()  # the worker's reading: 200 a month, 20 used, 10 followers − 1 block
    preview, _ = admin(bot, "/announce yuri 今夜21時から配信します…よかったら来てね")
    assert preview[0] == {"type": "text", "text": "今夜21時から配信します…よかったら来てね",
                          "sender": preview[0]["sender"]}  # fmt: skip
    assert preview[0]["sender"]["name"] == "ユリ"  # exactly as fans will see it
    summary = preview[1]["text"]
    assert "9人" in summary and "使う通数: 9通" in summary and "今月の残り: 180通 → 送信後 171通" in summary
    assert "/announce confirm" in summary
    bot.say("おはよう", user=ADMIN)
    assert bot.line.broadcasts() == []  # nothing goes out without the confirmation

    done, confirm = admin(bot, "/announce confirm")
    assert "9人に送ります" in done[0]["text"]
    (sent,) = bot.line.broadcasts()
    assert sent["messages"] == preview[:1]
    assert ("announce", 9) in counted(bot)

    again, _ = admin(bot, "/announce confirm")
    assert "確認待ちのお知らせはありません" in again[0]["text"]
    assert len(bot.line.broadcasts()) == 1

    # the worker dies after sending, before recording it: the event is taken over and re-sent
    with bot.services.engine.begin() as conn:
        conn.execute(update(inbox).where(inbox.c.event_id == confirm["webhookEventId"])
                     .values(status="pending", lease_until=None, claimed_by=None))  # fmt: skip
    bot.worker.chats.clear()
    bot.work()
    assert len(bot.line.broadcasts()) == 1  # LINE refused the retry key a second time (409)
    assert bot.line.attempts("/v2/bot/message/broadcast") == 2
    assert counted(bot).count(("announce", 9)) == 1
    assert bot.line.usage == 29


def test_an_unconfirmed_announcement_expires_and_cancel_drops_it(sbot):
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
    assert sbot.line.broadcasts() == []


def test_announce_refuses_what_the_quota_cannot_pay_and_bad_input(sbot):
    preview, _ = admin(sbot, "/announce botan 配信するよ！")
    assert "まだ今月の通数を読めていません" in preview[0]["text"]  # no reading yet: no guess
    sbot.line.usage = 195
    sbot.worker.line_side.refresh()
    preview, _ = admin(sbot, "/announce botan 配信するよ！")
    # 195 of 200 is past 80%: the admins were told (one push), which leaves 4
    assert [p["to"] for p in sbot.line.pushes()] == [ADMIN]
    assert "残りは 4通" in preview[0]["text"] and len(preview) == 1
    assert "書き方" in admin(sbot, "/announce nobody 配信")[0][0]["text"]
    assert "書き方" in admin(sbot, "/announce botan")[0][0]["text"]
    assert "/announce confirm" not in preview[0]["text"]
    assert sbot.line.broadcasts() == []


def test_without_linewide_figures_the_reach_is_the_fans_the_bot_knows(sbot):
    for user in ("Ua", "Ub", "Uc"):
        sbot.say("おはよう", user=user)
    sbot.line.followers = None  # insight: "unready"
    sbot.worker.line_side.refresh()
    preview, _ = admin(sbot, "/announce botan 配信するよ！")
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
    notices = [p for p in bot.line.pushes() if p["to"] == ADMIN]
    assert len(notices) == 1 and "80%" in notices[0]["messages"][0]["text"]
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
