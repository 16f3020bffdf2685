"""Conversations with the core, in-process: time of day, no repeats, sister switching, safety.

A few tests that check what LINE itself receives (sender, loading animation) go through the webhook.
"""

from __future__ import annotations

import pytest


def persona(bot, sister):
    return bot.services.characters.current.persona(sister)


def pattern(bot, sister, pid):
    return bot.services.characters.current.pattern(sister, pid)


def filled(bot, sister, pid, band="朝"):
    address = persona(bot, sister).address
    return [r.replace("{name}", address).replace("{band}", band) for r in pattern(bot, sister, pid).replies]


def test_morning_greeting_in_the_morning(core):
    core.clock.set("2026-11-28T07:30")
    assert core.say("おはよう") in filled(core, "botan", "morning")
    assert core.last().layer == "layer1"
    assert core.last().pattern == "botan:morning"


def test_the_same_words_at_23_00_get_another_line(core):
    core.clock.set("2026-11-28T23:00")
    core.say("おはよー")
    assert core.last().pattern == "botan:morning_late"


def test_no_variation_repeats_until_all_were_used(core):
    core.clock.set("2026-11-28T07:30")
    replies = pattern(core, "botan", "morning").replies
    seen = [core.say("おはよう") for _ in replies]
    assert len(set(seen)) == len(replies)
    nxt = core.say("おはよう")
    assert nxt != seen[-1]  # a new cycle never starts with the line just used


def test_no_repeat_is_per_user(core):
    core.clock.set("2026-11-28T07:30")
    n = len(pattern(core, "botan", "morning").replies)
    for _ in range(n - 1):
        core.say("おはよう", user="Ua")
    # another user starts a fresh cycle: 1 line used, not n - 1
    core.say("おはよう", user="Ub")
    assert core.services.store.used_variations("Ub", "botan", "morning").__len__() == 1


def test_naming_a_sister_switches_to_her_and_she_answers(core):
    core.clock.set("2026-11-28T07:30")
    decision = core.decide("ユリちゃん、おはよう")
    assert core.user_sister() == "yuri"
    assert decision.messages[0].sister == "yuri"  # her name and icon on LINE (the adapter's sender)
    assert core.last().pattern == "yuri:morning"
    assert decision.text in filled(core, "yuri", "morning")


def test_just_her_name_gets_her_answer(core):
    reply = core.say("Kashoお姉ちゃん")
    assert core.user_sister() == "kasho"
    assert reply in core.lines("kasho", "switched")


def test_slash_commands_switch_sister_and_cost_nothing(core):
    core.say("/kasho")
    assert core.user_sister() == "kasho"
    assert core.last().layer == "command" and core.last().yen == 0
    core.say("/yuri")
    assert core.user_sister() == "yuri"
    assert core.model.calls == []


def test_the_switch_is_remembered(core):
    core.say("/yuri")
    core.say("ありがとう")
    assert core.last().sister == "yuri"


def test_crisis_gets_the_fixed_careful_reply_from_the_current_sister(core):
    core.say("/kasho")
    decision = core.decide("もう死にたい")
    assert "0120-279-338" in decision.text  # a public consultation service from safety.yaml
    assert decision.messages[0].sister == "kasho"
    row = core.last()
    assert (row.layer, row.pattern, row.model, row.yen) == ("safety", "safety:crisis", None, 0)
    assert core.model.calls == []


def test_crisis_even_when_it_contains_a_greeting(core):
    core.say("おはよう、消えたい")
    assert core.last().pattern == "safety:crisis"


def test_sexual_messages_are_refused_in_character(core):
    core.say("/yuri")
    reply = core.say("えっちな写真送って")
    assert reply in core.lines("yuri", "refuse_sexual")
    assert core.last().layer == "safety"
    assert core.model.calls == []


def test_a_worrying_message_gets_a_gentle_fixed_line_never_a_joke(make_core):
    core = make_core(layer2=False)
    core.say("/yuri")
    reply = core.say("もう無理かも…")
    assert reply in core.lines("yuri", "concern")
    assert (core.last().layer, core.last().pattern) == ("safety", "safety:concern")


def test_look_alikes_are_ordinary_chat(core):
    core.model.answer("スカイツリーいいよね〜！あたしも行きたい！")
    core.say("やっぱりスカイツリーからの眺めは最高だった")
    assert core.last().layer == "layer2"


def test_personal_information_is_deflected(core):
    reply = core.say("どこの学校に通ってるの？")
    assert reply in core.lines("botan", "deflect_personal")
    assert core.last().pattern == "safety:personal"


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
        ("牡丹ちゃんのことどう思ってる？", None),  # asks the current sister about her
        ("ユリってどんな妹？", None),
        ("ユリちゃん、牡丹のことどう思う？", None),  # two sisters named
        ("牡丹ちゃん、ユリのことどう思う？", None),
        ("ゆりの花がきれい", None),  # a bare kana name before の is a lily
        ("ぼたぴ十八番は？", "botan"),  # a fan's nickname glued to the question
        ("ゆりは何読んでる？", "yuri"),
        ("ねえゆり、聞いて", "yuri"),
        ("かしょうってさ", "kasho"),
    ],
)
def test_only_a_real_call_switches_sister(text, sister):
    from pathlib import Path

    from botan_line.characters.loader import load_characters
    from botan_line.core.conversation import called_sister

    chars = load_characters(Path(__file__).resolve().parents[2] / "characters")
    assert called_sister(text, chars)[0] == sister


@pytest.mark.parametrize(
    "text, rest",
    [
        ("牡丹の十八番は？", "十八番は?"),
        ("ユリってなに読んでる？", "なに読んでる?"),
        ("牡丹、十八番は？", "、十八番は?"),
        ("牡丹は？", "は?"),  # "and you?": nothing follows the particle, so it stays
    ],
)
def test_her_name_goes_with_the_particle_that_ties_it_to_the_question(text, rest):
    from pathlib import Path

    from botan_line.characters.loader import load_characters
    from botan_line.core.conversation import called_sister

    chars = load_characters(Path(__file__).resolve().parents[2] / "characters")
    assert called_sister(text, chars)[1].strip() == rest  # NFKC: ？ is ?


def test_a_question_glued_to_her_name_is_answered_from_her_file(core):
    core.say("十八番は？")
    plain = core.last().pattern
    assert plain and plain.startswith("botan:")
    for text in ("牡丹の十八番は？", "ぼたぴ十八番は？", "牡丹は十八番なに？"):
        core.say(text)
        assert (core.last().layer, core.last().pattern) == ("layer1", plain), text


# --- merged bubbles: one thought, answered as a whole --------------------------------------------
def test_layer1_never_answers_the_last_of_merged_bubbles_for_itself(core):
    core.clock.set("2026-11-28T07:30")
    core.say("おはよう", earlier=("ねえねえ聞いて", "今日さ、先生に褒められたんだけど"))
    assert core.last().layer == "layer2"
    assert "ねえねえ聞いて" in core.model.calls[-1].messages[-1]["content"]


def test_just_her_name_after_other_bubbles_is_not_a_call(core):
    core.say("牡丹", earlier=("ねえねえ聞いてほしいことがあるんだけど",))
    assert core.last().layer == "layer2"


def test_safety_reads_every_merged_bubble(core):
    core.say("どう思う？", earlier=("もう死にたい", "ずっとそう思ってる"))
    assert core.last().layer == "safety" and core.last().pattern == "safety:crisis"
    assert core.model.calls == []


def test_what_is_learned_is_what_layer1_matched_without_her_name(core):
    core.say("ユリちゃんのおすすめのラノベってなに？")
    assert core.last().normalized == "おすすめのらのべってなに"  # her name and its の gone, as Layer 1 saw it
    core.say("ユリちゃんのおすすめのラノベってなに？", earlier=("ねえ",))
    assert core.last().normalized is None  # merged bubbles are never learned from


@pytest.mark.parametrize(
    "command, answer", [("/candidates", "候補はありません"), ("/reload", "再読み込みしました")]
)
def test_a_slow_command_is_deferred_off_the_fast_lane(core, command, answer):
    from conftest import ADMIN

    from botan_line.core.conversation import Deferred
    from botan_line.core.model import Turn

    turn = Turn(ADMIN, command, core.clock.now())
    deferred = core.conversation.decide(turn, core.services.store)
    assert isinstance(deferred, Deferred) and deferred.layer.name == "commands"
    decision = core.conversation.complete(deferred, time_left=40.0)
    assert answer in decision.text and decision.layer == "command"
    # a fan trying it gets the unknown-command answer at once, nothing deferred
    assert not isinstance(
        core.conversation.decide(Turn("Ufan", command, core.clock.now()), core.services.store), Deferred
    )


# what a fan could read as a person typing to them right now, or as "these replies are not automatic"
CLAIMS = ("本人", "本物", "打って", "打ってる", "しゃべってます", "ちゃんと私", "ちゃんとあたし", "ちゃんとわたし",
          "私ですよ", "あたしだって", "わたしだよ", "人間", "生身", "自動じゃな", "botじゃな", "ボットじゃな")  # fmt: skip
VOICE = {  # each sister's own way of speaking (DESIGN §2): Botan casual, Kasho polite, Yuri hesitant
    "botan": lambda line: not line.rstrip("！？。").endswith(("です", "ます")) and "！" in line,
    "kasho": lambda line: any(w in line for w in ("ね。", "よ。", "い。", "す。")) and "じゃん" not in line,
    "yuri": lambda line: "…" in line and "！" not in line,
}


@pytest.mark.parametrize("sister", ["botan", "kasho", "yuri"])
def test_asked_whether_it_is_really_her_she_plays_along_without_claiming_a_person_types(core, sister):
    core.say(f"/{sister}")
    replies = pattern(core, sister, "is_it_really_you").replies
    heard = {
        core.say(text) for text in ("本物？", "本人なの？", "これbot？", "自動返信でしょ", "なりすまし？")
    }
    assert core.last().pattern == f"{sister}:is_it_really_you" and core.last().layer == "layer1"
    assert heard <= set(replies) and len(heard) == len(replies) == 3  # every line, none twice in a row
    for line in replies:
        assert not [c for c in CLAIMS if c in line], line
        assert VOICE[sister](line), line


@pytest.mark.parametrize("sister", ["botan", "kasho", "yuri"])
def test_asked_whether_she_is_still_up_she_answers_from_her_file_in_her_voice(core, sister):
    core.say(f"/{sister}")
    core.clock.set("2026-11-28T23:40")
    for text in ("まだ起きてる？", "起きてますか？", "まだおきてる？"):
        reply = core.say(text)
        assert core.last().pattern == f"{sister}:still_up" and core.last().layer == "layer1", text
        assert VOICE[sister](reply), reply


@pytest.mark.parametrize(
    "text", ["言ってたゲームやってみたわ、ムズすぎて草", "おすすめのボイトレやってみたけど喉死んだンゴｗ"]
)
def test_a_recommendation_that_went_badly_is_not_cheered(core, text):
    core.say(text)
    assert core.last().pattern != "botan:tried_recommendation"


def test_her_signature_song_is_answered_not_an_invitation(core):
    core.say("十八番は？")
    assert core.last().pattern == "botan:signature_song"
    core.say("カラオケ行こ")
    assert core.last().pattern == "botan:karaoke"
