"""Reactions are answered as reactions to what the sister said last (when.after), never misread.

In-process (the ``core`` fixture); the worker's batches are covered in ``test_lanes.py``."""

from __future__ import annotations

import pytest

from botan_line.characters.recall import WINDOW_SECONDS, LastReply, asks, said_last

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


def _told(core, user, sister):
    core.say(f"/{sister}", user=user)
    core.model.answer(TOLD)
    core.say("最近どうしてた？教えて", user=user)
    assert core.last().layer == "layer2"


@pytest.mark.parametrize("sister", ["botan", "kasho", "yuri"])
def test_naruhodo_after_she_told_something_is_understanding(core, sister):
    _told(core, "Ufan", sister)
    core.say("なるほど〜", user="Ufan")
    assert core.last().layer == "layer1" and core.last().pattern == f"{sister}:i_see"
    core.say("へー！", user="Ufan2")  # a fan she never spoke to: nothing to react to, so Layer 2
    assert core.last().layer == "layer2"


def test_yuri_never_answers_naruhodo_or_hee_as_worry(core):
    for i, text in enumerate(["なるほど", "へえ", "へー", "ほう", "ふむふむ"]):
        _told(core, f"Uy{i}", "yuri")
        core.say(text, user=f"Uy{i}")
        assert core.last().pattern == "yuri:i_see", text
    core.say("/yuri", user="Uthink")
    core.say("うーん", user="Uthink")
    assert core.last().pattern == "yuri:hmm"  # thinking out loud: now she asks what is on their mind


def test_botan_answers_unun_as_the_one_who_was_listened_to(core):
    _told(core, "Ub", "botan")
    reply = core.say("うんうん", user="Ub")
    assert core.last().pattern == "botan:agree" and "聞いてるよ" not in reply
    core.model.answer(ASKED)
    core.say("ねえねえ、話したいことがあるんだけど", user="Ub")
    core.say("うん！", user="Ub")
    assert core.last().pattern == "botan:answered_yes"


def test_sou_nan_desu_ne_is_i_see_not_yes(core):
    # 「そうなんです」 answers her question with yes; with a closing ね it only takes in what she said
    core.model.answer("昨日ね、新しいカフェ行ったの！パフェ大きかった〜。キミは最近どこか行った？")
    core.say("ねえねえ、最近どう？", user="Une")
    core.say("そうなんですね", user="Une")
    assert core.last().pattern != "botan:answered_yes"
    core.model.answer("昨日ね、新しいカフェ行ったの！パフェ大きかった〜。キミは最近どこか行った？")
    core.say("ねえねえ、最近どう？", user="Une2")
    core.say("そうなんです", user="Une2")
    assert core.last().pattern == "botan:answered_yes"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("おすすめしてくれた曲聴いてみた！", "botan:tried_recommendation"),
        ("おすすめしてくれたスイーツ食べてみた！めっちゃおいしかった", "botan:liked_recommendation"),
        ("言ってたゲームやってみたらハマった", "botan:liked_recommendation"),
        ("花相さん、教えてもらったストレッチやってみたら最高でした", "kasho:liked_recommendation"),
        ("ユリちゃん、おすすめのラノベ読んだよ！めっちゃ面白かった", "yuri:liked_recommendation"),
        ("ユリちゃんのおすすめのラノベ読んだよ", "yuri:tried_recommendation"),  # の left by her name
        ("牡丹ちゃんのおすすめのスイーツ食べた！おいしかった", "botan:liked_recommendation"),
        ("言ってたやつやってみたけど、自分にはちょっと難しかったかも(；・∀・)", None),
        ("おすすめのお店行ってみたけど口に合わなかった…", None),
        ("勧めてくれた本、途中でやめちゃった", None),
    ],
)
def test_a_tried_recommendation_is_answered_by_how_it_went(core, text, expected):
    core.say(text, user="Utried")
    if expected is None:  # it went badly: the model listens instead of a cheer from the file
        assert core.last().layer == "layer2", core.last().pattern
    else:
        assert core.last().pattern == expected


def test_really_with_her_name_asks_if_it_is_really_her(core):
    core.say("ほんとにユリちゃん？", user="Ureal")
    assert core.last().pattern == "yuri:called_really"
    _told(core, "Ureal2", "botan")
    core.say("ほんとに？", user="Ureal2")
    assert core.last().pattern == "botan:really"
    _told(core, "Ureal3", "botan")
    core.say("牡丹、まじで？", user="Ureal3")  # a reaction to her story, by name: not "is it you?"
    assert core.last().pattern not in ("botan:called_really", "botan:really")


def test_after_comfort_a_quiet_un_goes_to_the_model(core):
    core.model.answer("そっか…それはつらかったね。無理しないで、今日はゆっくり休んでね。")
    core.say("今日ほんとにしんどかった", user="Uc")
    core.say("うん", user="Uc")
    assert core.last().layer == "layer2"


def test_a_reaction_half_an_hour_later_is_not_a_reaction(core):
    _told(core, "Ulate", "kasho")
    core.clock.advance(31 * 60)
    core.say("なるほど", user="Ulate")
    assert core.last().layer == "layer2"


def test_a_reaction_to_another_sister_is_not_hers(core):
    _told(core, "Uother", "kasho")
    core.say("牡丹、なるほど", user="Uother")  # Botan said nothing to react to
    assert core.last().sister == "botan" and core.last().layer == "layer2"


@pytest.mark.parametrize("text", ["おはようござます", "おはよおございます", "おっはー"])
def test_morning_greetings_with_a_slip_still_match(core, text):
    core.clock.set("2026-11-28T07:30")
    core.say(text, user="Umorning")
    assert core.last().pattern == "botan:morning"


def test_a_slip_that_adds_a_negation_is_not_forgiven(core):
    core.say("ありがとうございません", user="Uneg")
    assert core.last().layer == "layer2"


# --- the store and the worker's overlay answer "what did she say last" the same way ---------------
def test_the_store_reads_her_last_reply_from_the_ledger_and_history(core):
    store = core.services.store
    assert store.last_reply("Ulast", "botan") is None
    core.model.answer(TOLD)
    core.say("最近どうしてた？教えて", user="Ulast")
    last = store.last_reply("Ulast", "botan")
    assert (last.layer, last.text, last.at) == ("layer2", TOLD, core.clock.now().timestamp())
    assert store.last_reply("Ulast", "yuri") is None  # Botan spoke last
    core.say("/whoami", user="Ulast")
    assert store.last_reply("Ulast", "botan").layer == "command"


def test_the_overlay_sees_a_reply_decided_earlier_in_its_batch(core):
    from botan_line.core.model import Turn
    from botan_line.storage.overlay import Overlay

    store = core.services.store
    overlay = Overlay(store)
    now = core.clock.now()
    told = core.conversation.on_text(Turn("Ubatch", "勉強中", now), overlay)
    assert told.layer == "layer1" and not asks(told.text)
    overlay.add(told, now.timestamp())  # not saved yet: only the overlay knows
    assert store.last_reply("Ubatch", "botan") is None
    assert overlay.last_reply("Ubatch", "botan").text == told.text
    assert overlay.last_reply("Ubatch", "kasho") is None
    reaction = core.conversation.on_text(Turn("Ubatch", "なるほど", now), overlay)
    assert reaction.ledger.pattern == "botan:i_see"


def test_many_fans_last_replies_at_once_agree_with_one_at_a_time(core):
    store = core.services.store
    _told(core, "Ua", "kasho")  # Layer 2, told
    core.model.answer(ASKED)
    core.say("ねえねえ、話したいことがあるんだけど", user="Ub")  # Layer 2, asked
    core.say("勉強中", user="Uc")  # Layer 1
    core.say("/yuri", user="Ud")  # a command with her line
    core.say("/whoami", user="Ue")  # no users row, a command without a line
    fans = ["Ua", "Ub", "Uc", "Ud", "Ue", "Unever"]
    now = core.clock.now().timestamp()
    at_once = store.recent_replies(fans, now - WINDOW_SECONDS)
    for fan in fans:
        for sister in ("botan", "kasho", "yuri"):
            found = at_once.get(fan)
            mine = found[1] if found and found[0] == sister else None
            assert mine == store.last_reply(fan, sister), (fan, sister)
    assert store.recent_replies(fans, now + 1) == {}  # nothing that recent: as good as no reply
