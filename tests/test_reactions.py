"""Reactions are answered as reactions to what the sister said last (when.after), never misread."""

from __future__ import annotations

import pytest

from botan_line.characters.recall import LastReply, asks, said_last

TOLD = "昨日ね、新しいカフェに行ってきたんだ〜！パフェがすごく大きかった！"
ASKED = "そういえば、最近なにかハマってることある？"


def category(pid):
    return {"morning": "greeting", "agree": "reaction", "hobby": "question"}.get(pid)


@pytest.mark.parametrize(
    "last, expected",
    [
        (None, "nothing"),
        (LastReply("layer2", None, TOLD, 1000), "told"),
        (LastReply("layer2", None, ASKED, 1000), "asked"),
        (LastReply("layer2", None, "それ食べたの〜？😋", 1000), "asked"),
        (LastReply("layer2", None, "つらかったね…無理しないで、ゆっくり休んでね？", 1000), "cared"),
        (LastReply("layer1", "botan:morning", "おはよ〜！今日もがんばろ！", 1000), "greeted"),
        (LastReply("layer1", "botan:agree", "だよね〜！", 1000), "reacted"),
        (LastReply("layer1", "botan:hobby", "ネイルとショッピング！", 1000), "told"),
        (LastReply("safety", "safety:crisis", "話してくれてありがとう", 1000), "nothing"),
        (LastReply("fallback", "lines:fallback", "ごめん、今ちょっと考えまとまんない！", 1000), "nothing"),
        (LastReply("command", "lines:switched", "牡丹だよ〜！", 1000), "greeted"),
    ],
)
def test_what_she_said_last(last, expected):
    assert said_last(last, category, now=1060) == expected


def test_a_line_from_long_ago_is_nothing_to_react_to():
    assert said_last(LastReply("layer2", None, TOLD, 0), category, now=3600) == "nothing"


def test_asks_looks_at_the_end_of_the_line():
    assert asks("マジ？ヤバくない？") and not asks("え、マジ？ヤバいじゃん！")


def _told(bot, user, sister):
    bot.say(f"/{sister}", user=user)
    bot.ai.queue(TOLD)
    bot.say("最近どうしてた？教えて", user=user)
    assert bot.last().layer == "layer2"


@pytest.mark.parametrize("sister", ["botan", "kasho", "yuri"])
def test_naruhodo_after_she_told_something_is_understanding(sbot, sister):
    _told(sbot, "Ufan", sister)
    sbot.say("なるほど〜", user="Ufan")
    assert sbot.last().layer == "layer1" and sbot.last().pattern == f"{sister}:i_see"
    sbot.say("へー！", user="Ufan2")  # a fan she never spoke to: nothing to react to, so Layer 2
    assert sbot.last().layer == "layer2"


def test_yuri_never_answers_naruhodo_or_hee_as_worry(sbot):
    for i, text in enumerate(["なるほど", "へえ", "へー", "ほう", "ふむふむ"]):
        _told(sbot, f"Uy{i}", "yuri")
        sbot.say(text, user=f"Uy{i}")
        assert sbot.last().pattern == "yuri:i_see", text
    sbot.say("/yuri", user="Uthink")
    sbot.say("うーん", user="Uthink")
    assert sbot.last().pattern == "yuri:hmm"  # thinking out loud: now she asks what is on their mind


def test_botan_answers_unun_as_the_one_who_was_listened_to(sbot):
    _told(sbot, "Ub", "botan")
    reply = sbot.say("うんうん", user="Ub")
    assert sbot.last().pattern == "botan:agree" and "聞いてるよ" not in reply
    sbot.ai.queue(ASKED)
    sbot.say("ねえねえ、話したいことがあるんだけど", user="Ub")
    sbot.say("うん！", user="Ub")
    assert sbot.last().pattern == "botan:answered_yes"


def test_after_comfort_a_quiet_un_goes_to_the_model(sbot):
    sbot.ai.queue("そっか…それはつらかったね。無理しないで、今日はゆっくり休んでね。")
    sbot.say("今日ほんとにしんどかった", user="Uc")
    sbot.say("うん", user="Uc")
    assert sbot.last().layer == "layer2"


def test_a_reaction_half_an_hour_later_is_not_a_reaction(sbot):
    _told(sbot, "Ulate", "kasho")
    sbot.clock.advance(31 * 60)
    sbot.say("なるほど", user="Ulate")
    assert sbot.last().layer == "layer2"


@pytest.mark.parametrize("text", ["おはようござます", "おはよおございます", "おっはー"])
def test_morning_greetings_with_a_slip_still_match(sbot, text):
    sbot.clock.set("2026-11-28T07:30")
    sbot.say(text, user="Umorning")
    assert sbot.last().pattern == "botan:morning"


def test_a_slip_that_adds_a_negation_is_not_forgiven(sbot):
    sbot.say("ありがとうございません", user="Uneg")
    assert sbot.last().layer == "layer2"
