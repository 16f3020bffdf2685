"""Stickers in kind, quoted replies in groups, Flex cards for admins — over the real webhook path.

Randomness is injected: ``Scripted`` answers ``random()`` from a list (the sticker decisions) and
is a seeded ``random.Random`` for everything else, so nothing here is flaky.
"""

from __future__ import annotations

import json
import random

import pytest
from conftest import ADMIN
from fakes import sticker_event, text_event

from botan_line.characters.loader import SENDABLE_STICKERS, load_characters
from botan_line.core.model import FLEX, STICKER, Outgoing
from botan_line.errors import CharacterError


class Scripted(random.Random):
    def __init__(self, *draws: float):
        super().__init__(7)
        self.draws = list(draws)

    def random(self) -> float:
        return self.draws.pop(0) if self.draws else super().random()

    def getrandbits(self, k: int) -> int:  # choice() keeps using these, not random()
        return super().getrandbits(k)


def answer_to_sticker(bot, *draws, keywords=("happy", "joy"), user="Utest1"):
    bot.services.conversation.rng = Scripted(*draws)
    event = sticker_event(user, timestamp_ms=bot.clock.ms)
    if keywords is None:
        del event["message"]["keywords"]
    else:
        event["message"]["keywords"] = list(keywords)
    before = len(bot.line.replies())
    bot.deliver(event)
    (reply,) = bot.line.replies()[before:]
    return reply["messages"]


def test_a_sticker_is_sometimes_answered_with_a_sticker_chosen_by_its_keywords(bot):
    only = answer_to_sticker(bot, 0.0, 0.99)  # a sticker (0.0 < chance), without her line (0.99)
    assert only == [{"type": "sticker", "packageId": "11537", "stickerId": "52002745",
                     "sender": only[0]["sender"]}]  # fmt: skip
    assert bot.last().pattern == "sticker:11537/52002745" and bot.last().layer == "event"
    both = answer_to_sticker(bot, 0.0, 0.0, keywords=("Good night", "Sleepy"))
    assert [m["type"] for m in both] == ["text", "sticker"]
    assert both[0]["text"] in bot.lines("botan", "sticker") and both[1]["stickerId"] == "52002761"
    line = answer_to_sticker(bot, 0.99)  # no sticker this time: her line alone
    assert [m["type"] for m in line] == ["text"] and bot.last().pattern == "lines:sticker"


def test_without_keywords_she_picks_one_of_her_general_stickers(sbot):
    (msg,) = answer_to_sticker(sbot, 0.0, 0.99, keywords=None)
    assert (msg["packageId"], msg["stickerId"]) == ("11537", "52002768")
    sbot.say("/kasho")
    (msg,) = answer_to_sticker(sbot, 0.0, 0.99, keywords=("angry",))
    assert (msg["packageId"], msg["stickerId"]) == ("8515", "16581250")
    assert msg["sender"]["name"] == "Kasho（花相）"


def test_over_many_stickers_each_sister_answers_in_kind_about_as_often_as_her_file_says(sbot):
    chars = sbot.services.characters.current
    for sister in ("botan", "kasho", "yuri"):
        kit = chars.sisters[sister].stickers
        sbot.say(f"/{sister}", user=f"U{sister}")
        sbot.services.conversation.rng = random.Random(11)
        kinds = []
        for _ in range(60):
            event = sticker_event(f"U{sister}", timestamp_ms=sbot.clock.ms)
            before = len(sbot.line.replies())
            sbot.deliver(event)
            kinds.append(any(m["type"] == "sticker" for m in sbot.line.replies()[before]["messages"]))
        share = sum(kinds) / len(kinds)
        assert abs(share - kit.chance) < 0.2, (sister, share)


def test_every_sticker_in_the_character_files_is_one_bots_may_send():
    chars = load_characters(__import__("pathlib").Path(__file__).resolve().parents[2] / "characters")
    for sister in chars.sisters.values():
        assert sister.stickers is not None and len(sister.stickers.stickers) >= 10
        for s in sister.stickers.stickers:
            first, last = SENDABLE_STICKERS[s.package_id]
            assert first <= s.sticker_id <= last


def test_a_sticker_outside_lines_list_is_refused_with_file_and_line(characters_dir):
    path = characters_dir / "yuri" / "stickers.yaml"
    text = path.read_text(encoding="utf-8").replace("sticker_id: 10855", "sticker_id: 1")
    path.write_text(text + "surprise: 1\n", encoding="utf-8")
    with pytest.raises(CharacterError) as err:
        load_characters(characters_dir)
    problems = "\n".join(err.value.problems)
    assert f"{path}:6:" in problems and "not on LINE's list of stickers bots may send" in problems
    assert "surprise: unknown field" in problems


# --- quoted replies ---------------------------------------------------------------------------------
def test_a_group_reply_quotes_the_message_it_answers(bot):
    event = text_event("@bot おはよう", "Um1", source_type="group", group_id="Cg", mentioned_self=True,
                       timestamp_ms=bot.clock.ms)  # fmt: skip
    bot.deliver(event)
    (reply,) = [r for r in bot.line.replies() if r["replyToken"] == event["replyToken"]]
    assert reply["messages"][0]["quoteToken"] == event["message"]["quoteToken"]
    assert all("quoteToken" not in m for m in reply["messages"][1:])
    room = text_event(
        "ユリちゃん、おはよう", "Um2", source_type="room", group_id="Rr", timestamp_ms=bot.clock.ms
    )
    bot.deliver(room)
    (reply,) = [r for r in bot.line.replies() if r["replyToken"] == room["replyToken"]]
    assert reply["messages"][0]["quoteToken"] == room["message"]["quoteToken"]
    one = text_event("おはよう", "Um1", timestamp_ms=bot.clock.ms)  # one-on-one: nothing to point at
    bot.deliver(one)
    (reply,) = [r for r in bot.line.replies() if r["replyToken"] == one["replyToken"]]
    assert "quoteToken" not in reply["messages"][0]


def test_a_layer2_answer_in_a_group_quotes_too(sbot):
    sbot.ai.queue("それ気になる〜！どんな配信だったの？")
    event = text_event("@bot 昨日の配信めっちゃ面白かったんだけど見た？", "Um1", source_type="group",
                       group_id="Cg", mentioned_self=True, timestamp_ms=sbot.clock.ms)  # fmt: skip
    sbot.deliver(event)
    assert sbot.last().layer == "layer2"
    (reply,) = [r for r in sbot.line.replies() if r["replyToken"] == event["replyToken"]]
    assert reply["messages"][0]["quoteToken"] == event["message"]["quoteToken"]


# --- Flex cards for admins --------------------------------------------------------------------------
def admin_reply(bot, text):
    event = text_event(text, ADMIN, timestamp_ms=bot.clock.ms)
    bot.deliver(event)
    (reply,) = [r for r in bot.line.replies() if r["replyToken"] == event["replyToken"]]
    return reply["messages"]


def test_stats_for_an_admin_is_a_flex_card_with_pushes_against_the_quota(bot):
    bot.say("おはよう")
    bot.line.usage = 150  # LINE's count this month
    bot.worker.line_side.refresh()
    (card,) = admin_reply(bot, "/stats")
    assert card["type"] == "flex" and card["contents"]["type"] == "bubble"
    assert "プッシュ 150 / 200通" in card["altText"] and "Layer1" in card["altText"]
    body = json.dumps(card["contents"], ensure_ascii=False)
    assert "150 / 200通" in body and "応答の内訳" in body and '"width": "75%"' in body  # the quota bar
    (text,) = admin_reply(bot, "/stats today text")
    assert text["type"] == "text" and "プッシュ 今月 150通 / 上限 200通（75%、残り 50通）" in text["text"]
    assert "メッセージ" in text["text"]


def test_stats_before_the_quota_was_read_says_so(sbot):
    (card,) = admin_reply(sbot, "/stats week")
    assert "上限は未取得" in card["altText"]


def test_candidates_come_as_cards_with_approve_and_reject_buttons(sbot):
    sbot.ai.queue("わかる〜！推しの配信終わるとロスだよね")
    for user in ("Ua", "Ub", "Uc"):
        sbot.say("推しの配信が終わっちゃってさみしい", user=user)
    (card,) = admin_reply(sbot, "/candidates")
    assert card["type"] == "flex" and card["contents"]["type"] == "carousel"
    bubble = card["contents"]["contents"][0]
    buttons = [c["action"]["text"] for c in bubble["footer"]["contents"]]
    assert buttons[0].startswith("/approve ") and buttons[1].startswith("/reject ")
    assert "3人" in card["altText"]
    assert admin_reply(sbot, "/candidates text")[0]["type"] == "text"
    assert "承認しました" in sbot.say(buttons[0], user=ADMIN)  # the button's text is the command


def test_outgoing_is_saved_compatibly():
    old = {"sister": "botan", "text": "やっほ〜", "quick_reply": False}
    assert Outgoing.from_json(old) == Outgoing("botan", "やっほ〜")
    assert Outgoing("botan", "やっほ〜").to_json() == old  # a plain text saves exactly as before
    sticker = Outgoing("yuri", kind=STICKER, sticker=("789", "10855"), quote_token="q1")
    assert Outgoing.from_json(json.loads(json.dumps(sticker.to_json()))) == sticker
    card = Outgoing("kasho", "alt", kind=FLEX, flex={"type": "bubble"})
    assert Outgoing.from_json(card.to_json()) == card


def test_the_reply_json_is_exactly_what_the_sdks_models_make():
    """LineEdge.as_json (the hot path) and build (the SDK's typed models) never drift apart."""
    from pathlib import Path

    from botan_line.adapters.line_api import LineEdge
    from botan_line.characters.loader import load_characters
    from botan_line.core.model import STICKER, Outgoing

    chars = load_characters(Path(__file__).resolve().parents[2] / "characters")
    edge = LineEdge("http://127.0.0.1:9", "t", personas=lambda: chars)
    cases = [
        [Outgoing("botan", "おはよ〜！")],
        [Outgoing("kasho", "おはようございます。", quick_reply=True)],
        [
            Outgoing("yuri", "😀" * 3000 + "あ" * 100, quote_token="q123")
        ],  # split in UTF-16 units, quoted once
        [
            Outgoing("botan", "", kind=STICKER, sticker=("11537", "52002734"), quote_token="q9"),
            Outgoing("botan", "いいね！"),
        ],
        [Outgoing("nobody", "ふむ")],  # an unknown sister: no sender
        [Outgoing("botan", "あ" * 30000, quick_reply=True)],  # cut to five, the quick reply on the last
    ]
    for outgoing in cases:
        assert edge.as_json(outgoing) == [m.to_dict() for m in edge.build(outgoing)]
