"""Conversations through the real webhook: time of day, no repeats, sister switching, safety."""

from __future__ import annotations

import pytest


def persona(bot, sister):
    return bot.services.characters.current.persona(sister)


def pattern(bot, sister, pid):
    return bot.services.characters.current.pattern(sister, pid)


def filled(bot, sister, pid, band="朝"):
    address = persona(bot, sister).address
    return [r.replace("{name}", address).replace("{band}", band) for r in pattern(bot, sister, pid).replies]


def test_morning_greeting_in_the_morning(sbot):
    sbot.clock.set("2026-11-28T07:30")
    assert sbot.say("おはよう") in filled(sbot, "botan", "morning")
    assert sbot.last().layer == "layer1"
    assert sbot.last().pattern == "botan:morning"


def test_the_same_words_at_23_00_get_another_line(sbot):
    sbot.clock.set("2026-11-28T23:00")
    sbot.say("おはよー")
    assert sbot.last().pattern == "botan:morning_late"


def test_no_variation_repeats_until_all_were_used(sbot):
    sbot.clock.set("2026-11-28T07:30")
    replies = pattern(sbot, "botan", "morning").replies
    seen = [sbot.say("おはよう") for _ in replies]
    assert len(set(seen)) == len(replies)
    nxt = sbot.say("おはよう")
    assert nxt != seen[-1]  # a new cycle never starts with the line just used


def test_no_repeat_is_per_user(sbot):
    sbot.clock.set("2026-11-28T07:30")
    n = len(pattern(sbot, "botan", "morning").replies)
    for _ in range(n - 1):
        sbot.say("おはよう", user="Ua")
    # another user starts a fresh cycle: 1 line used, not n - 1
    sbot.say("おはよう", user="Ub")
    assert sbot.services.store.used_variations("Ub", "botan", "morning").__len__() == 1


def test_naming_a_sister_switches_to_her_and_she_answers(bot):
    bot.clock.set("2026-11-28T07:30")
    reply = bot.say("ユリちゃん、おはよう")
    assert bot.user_sister() == "yuri"
    assert bot.line.replies()[-1]["messages"][0]["sender"]["name"] == "ユリ"
    assert bot.last().pattern == "yuri:morning"
    assert reply in filled(bot, "yuri", "morning")


def test_just_her_name_gets_her_answer(sbot):
    reply = sbot.say("Kashoお姉ちゃん")
    assert sbot.user_sister() == "kasho"
    assert reply in sbot.lines("kasho", "switched")


def test_slash_commands_switch_sister_and_cost_nothing(bot):
    bot.say("/kasho")
    assert bot.user_sister() == "kasho"
    assert bot.last().layer == "command" and bot.last().yen == 0
    bot.say("/yuri")
    assert bot.user_sister() == "yuri"
    assert bot.ai.calls() == []


def test_the_switch_is_remembered(sbot):
    sbot.say("/yuri")
    sbot.say("ありがとう")
    assert sbot.last().sister == "yuri"


def test_crisis_gets_the_fixed_careful_reply_from_the_current_sister(bot):
    bot.say("/kasho")
    reply = bot.say("もう死にたい")
    assert "0120-279-338" in reply  # a public consultation service from safety.yaml
    assert bot.line.replies()[-1]["messages"][0]["sender"]["name"] == "Kasho（花相）"
    row = bot.last()
    assert (row.layer, row.pattern, row.model, row.yen) == ("safety", "safety:crisis", None, 0)
    assert bot.ai.calls() == []


def test_crisis_even_when_it_contains_a_greeting(sbot):
    sbot.say("おはよう、消えたい")
    assert sbot.last().pattern == "safety:crisis"


def test_sexual_messages_are_refused_in_character(sbot):
    sbot.say("/yuri")
    reply = sbot.say("えっちな写真送って")
    assert reply in sbot.lines("yuri", "refuse_sexual")
    assert sbot.last().layer == "safety"
    assert sbot.ai.calls() == []


def test_a_worrying_message_gets_a_gentle_fixed_line_never_a_joke(sbot):
    sbot.say("/yuri")
    reply = sbot.say("もう無理かも…")
    assert reply in sbot.lines("yuri", "concern")
    assert (sbot.last().layer, sbot.last().pattern) == ("safety", "safety:concern")
    assert sbot.ai.calls() == []


def test_look_alikes_are_ordinary_chat(sbot):
    sbot.ai.queue("スカイツリーいいよね〜！あたしも行きたい！")
    sbot.say("やっぱりスカイツリーからの眺めは最高だった")
    assert sbot.last().layer == "layer2"


def test_personal_information_is_deflected(sbot):
    reply = sbot.say("どこの学校に通ってるの？")
    assert reply in sbot.lines("botan", "deflect_personal")
    assert sbot.last().pattern == "safety:personal"


def test_unmatched_text_goes_to_layer2_with_the_loading_animation(sbot):
    sbot.ai.queue("え〜それめっちゃ気になる！もっと教えて〜！")
    reply = sbot.say("最近見た映画がすごく良かったんだけど聞いてくれる？")
    assert reply == "え〜それめっちゃ気になる！もっと教えて〜！"
    assert sbot.last().layer == "layer2"
    assert len(sbot.line.loadings()) == 1
    assert sbot.line.loadings()[0]["chatId"] == "Utest1"


@pytest.mark.parametrize(
    "text, sister",
    [
        ("まあいっか、しょうがないね", None),
        ("なんかしょうもない…", None),
        ("ゆりかごの歌", None),
        ("botanical garden", None),
        ("ぼたんが押せない", None),
        ("ユリカって子がいてさ", None),
        ("牡丹とユリ、どっちが年上？", None),  # two sisters named: nobody is switched to
        ("ユリちゃん、おはよう", "yuri"),
        ("おはよう牡丹", "botan"),
        ("Kashoお姉ちゃん", "kasho"),
        ("かしょう、聞いて", "kasho"),
        ("ﾕﾘ", "yuri"),
    ],
)
def test_only_a_real_call_switches_sister(text, sister):
    from pathlib import Path

    from botan_line.characters.loader import load_characters
    from botan_line.core.conversation import called_sister

    chars = load_characters(Path(__file__).resolve().parents[1] / "characters")
    assert called_sister(text, chars)[0] == sister
