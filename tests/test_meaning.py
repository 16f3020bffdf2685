"""Meaning matching: two wordings of one question meet, two questions sharing words do not."""

from __future__ import annotations

import pytest

from botan_line.characters.loader import Pattern
from botan_line.characters.matcher import Context, Matcher
from botan_line.characters.normalize import normalize
from botan_line.storage.learned import threshold_from

NAMES = {"botan": ["牡丹", "牡丹ちゃん", "ぼたんちゃん"], "yuri": ["ユリ", "ユリちゃん"]}


def matcher(*examples_by_id):
    patterns = [
        Pattern.model_validate(
            {"id": pid, "category": "question", "meaning": {"examples": ex}, "replies": ["うん", "そうだよ"]}
        )  # fmt: skip
        for pid, ex in examples_by_id
    ]
    return Matcher(patterns, sister="botan", names=NAMES)


def ask(m, text):
    n = normalize(text)
    found = m.match(n.text, n.question, Context("daytime"))
    return found.pattern.id if found else None


FOOD = ("food", ["好きな食べ物なに？", "好物ってなに？", "好きな食べ物教えて"])
BIRTHDAY = ("birthday", ["誕生日いつ？", "誕生日っていつ？", "誕生日教えて"])


@pytest.mark.parametrize(
    "text", ["牡丹ちゃんの好きな食べ物ってなんですか？", "すきなたべもの教えて〜", "好物は？"]
)
def test_other_wordings_of_the_question_meet(text):
    assert ask(matcher(FOOD, BIRTHDAY), text) == "food"


@pytest.mark.parametrize(
    "text",
    ["嫌いな食べ物は？", "好きな飲み物は？", "ユリちゃんの好きな食べ物は？", "配信いつ？", "誕生日プレゼント何がいい？",
     "ちなみに私の好きな食べ物はカレーです"],
)  # fmt: skip
def test_different_questions_sharing_words_do_not(text):
    assert ask(matcher(FOOD, BIRTHDAY), text) not in ("food", "birthday")


def test_when_is_not_what():
    m = matcher(("next_when", ["次の配信いつ？", "次の配信っていつ？", "次いつ配信する？"]))
    assert ask(m, "次の枠いつ〜？") == "next_when"
    assert ask(m, "次の配信なにやるの？") is None
    assert ask(m, "前回の配信いつだった？") is None


def test_a_stricter_threshold_answers_fewer_wordings():
    loose = matcher(("food", FOOD[1]))
    strict = Matcher([Pattern.model_validate({"id": "food", "category": "question", "replies": ["a", "b"],
                      "meaning": {"examples": FOOD[1], "threshold": 1.0}})], sister="botan", names=NAMES)  # fmt: skip
    text = "最近好きな食べ物ある？"
    assert ask(loose, text) == "food" and ask(strict, text) is None


def test_threshold_is_read_from_an_approval():
    assert threshold_from(["しきい値0.85", "返事"]) == (0.85, ["返事"])
    assert threshold_from(["返事"]) == (None, ["返事"])


@pytest.mark.parametrize("text, expected", [("こんにちわ", "hello"), ("おはようござます", "morning"),
                                            ("ごんにちは", None), ("こんにちか", None)])  # fmt: skip
def test_a_greeting_forgives_only_a_slip_of_the_finger(text, expected):
    m = Matcher([Pattern.model_validate({"id": "hello", "category": "greeting", "replies": ["a", "b"],
                                         "triggers": [{"exact": ["こんにちは"]}]}),
                 Pattern.model_validate({"id": "morning", "category": "greeting", "replies": ["c", "d"],
                                         "triggers": [{"exact": ["おはようございます"]}]})])  # fmt: skip
    assert ask(m, text) == expected
