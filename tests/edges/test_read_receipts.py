"""既読 that means she read it: with the channel's markAsReadMode manual (Chat on in the Official Account
Manager), every message she answers is marked read with its own markAsReadToken once her answer is
delivered — every bubble of a merged turn — and none she did not answer is; with auto, none at all."""

from __future__ import annotations

from fakes import sticker_event, text_event


def token(event: dict) -> str:
    return event["message"]["markAsReadToken"]


def test_every_message_she_answers_is_marked_read_with_its_own_token_and_no_other(bot):
    bot.line.read_mode = "manual"
    answered, unanswered = [], []

    hello = text_event("おはよう", "Ufan1", timestamp_ms=bot.clock.ms)
    bot.deliver(hello)  # Layer 1
    answered.append(token(hello))

    bubbles = [text_event(t, "Ufan2", timestamp_ms=bot.clock.ms + i * 400)
               for i, t in enumerate(["ねえ聞いて", "今日ちょっといいことあってさ", "なんだと思う？"])]  # fmt: skip
    bot.deliver(*bubbles)  # one Layer 2 call, one reply: every bubble is read
    assert len(bot.line.replies()) == 2
    answered += [token(e) for e in bubbles]

    sticker = sticker_event("Ufan1", timestamp_ms=bot.clock.ms)
    bot.deliver(sticker)
    answered.append(token(sticker))

    chatter = text_event("今日の昼なに食べた？", "Ufan3", source_type="group", timestamp_ms=bot.clock.ms)
    bot.deliver(chatter)  # in a group and not for her: she says nothing, so it stays unread
    unanswered.append(token(chatter))

    stale = text_event("まだいる？", "Ufan4", timestamp_ms=bot.clock.ms - 120_000)
    bot.deliver(stale)  # its reply token is gone and pushing is off: never answered
    unanswered.append(token(stale))

    assert bot.line.read_tokens() == answered
    assert not set(unanswered) & set(bot.line.read_tokens())
    assert bot.line.attempts("/v2/bot/info") == 1  # read once, then kept


def test_an_answer_that_could_not_be_delivered_leaves_the_message_unread(sbot):
    sbot.line.read_mode = "manual"
    sbot.line.fail_next("/v2/bot/message/reply", 500, count=10)
    event = text_event("おはよう", "Ufan1", timestamp_ms=sbot.clock.ms)
    sbot.deliver(event)
    for _ in range(5):
        sbot.clock.advance(5)
        sbot.work()
    assert sbot.line.replies() == [] and sbot.line.read_tokens() == []


def test_with_automatic_read_receipts_nothing_is_marked(sbot):
    sbot.say("おはよう", user="Ufan1")
    sbot.say("ありがとう", user="Ufan1")
    assert sbot.line.read_tokens() == []
    assert sbot.line.attempts("/v2/bot/chat/markAsRead") == 0
    sbot.line.read_mode = "manual"  # switched in the console: noticed at the next reading
    sbot.clock.advance(11 * 60)
    event = text_event("おやすみ", "Ufan1", timestamp_ms=sbot.clock.ms)
    sbot.deliver(event)
    assert sbot.line.read_tokens() == [token(event)]
