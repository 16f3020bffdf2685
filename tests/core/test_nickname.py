"""A fan's chosen name: recognised on a labelled corpus, checked, remembered across turns and sisters, forgotten.

``tests/data/nicknames.jsonl`` is written by hand: the ``tune`` part is what the rules were adjusted
on, the ``held`` part was never tuned on (its figures are the ones the README reports)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import REPO

from botan_line.characters.loader import load_characters
from botan_line.core.nickname import REFUSED, TOO_LONG, find_request, refusal

CORPUS = Path(__file__).resolve().parents[1] / "data" / "nicknames.jsonl"
CHAT = "最近見た映画がすごく良かったんだけど、ちょっと聞いてくれる？"


@pytest.fixture(scope="module")
def chars():
    return load_characters(REPO / "characters")


def sister_names(chars) -> tuple[str, ...]:
    return tuple(n for s in chars.sisters.values() for n in (*s.persona.nicknames, s.persona.display_name))


def outcome(row: dict, chars) -> str | None:
    """The name kept, "!refused", or None — as the nickname layer would decide."""
    request = find_request(row["text"], last_reply=row.get("last"), sister_names=sister_names(chars))
    if request is None:
        return None
    why = refusal(request.name, row["text"], rules=chars.safety, max_chars=10)
    return "!refused" if why else request.name


def corpus(split: str) -> list[dict]:
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()[1:]]
    return [r for r in rows if r["split"] == split]


def scores(rows: list[dict], chars) -> dict[str, float]:
    kept = [(r, outcome(r, chars)) for r in rows]
    named = [(r, got) for r, got in kept if got not in (None, "!refused")]
    wanted = [r for r in rows if r["expect"] not in (None, "!refused")]
    return {
        "precision": sum(got == r["expect"] for r, got in named) / len(named),  # a name kept is the right one
        "recall": sum(got == r["expect"] for r, got in kept if r in wanted) / len(wanted),
        "refused_kept": sum(r["expect"] == "!refused" and got not in (None, "!refused") for r, got in kept),
        "exact": sum(got == r["expect"] for r, got in kept) / len(rows),
    }


def test_the_corpus_is_large_enough_and_mixed():
    for split in ("tune", "held"):
        rows = corpus(split)
        kinds = {("name" if r["expect"] not in (None, "!refused") else str(r["expect"])) for r in rows}
        assert len(rows) >= 50 and kinds == {"name", "None", "!refused"}


def test_every_tuning_example_is_decided_right(chars):
    wrong = [
        (r["text"], r["expect"], outcome(r, chars))
        for r in corpus("tune")
        if outcome(r, chars) != r["expect"]
    ]
    assert wrong == []


def test_held_out_precision_and_recall(chars):
    s = scores(corpus("held"), chars)
    assert s["refused_kept"] == 0  # an insult or a pet name is never kept
    assert s["precision"] >= 0.95 and s["recall"] >= 0.9 and s["exact"] >= 0.9


@pytest.mark.parametrize(
    "name, why",
    [
        ("ミカ", None),
        ("かすみ", None),  # a name that contains かす is still a name
        ("和夫", None),
        ("ゆっきー", None),
        ("Mika", None),
        ("ばか", REFUSED),
        ("バカちゃん", REFUSED),
        ("ご主人様", REFUSED),
        ("ダーリン", REFUSED),
        ("お兄ちゃん", REFUSED),
        ("あいうえおかきくけこさ", TOO_LONG),
        ("ミカ<3", "characters"),
        ("12345", "characters"),
        ("えっち", "unsafe"),  # the safety rules' sexual words
    ],
)
def test_what_a_nickname_may_be(chars, name, why):
    assert refusal(name, f"{name}って呼んで", rules=chars.safety, max_chars=10) == why


def test_personal_data_in_the_message_keeps_nothing(chars):
    raw = "ミカって呼んで、電話は090-1234-5678だよ"
    assert find_request(raw) is not None
    assert refusal("ミカ", raw, rules=chars.safety, max_chars=10) == "personal"


# --- through the bot --------------------------------------------------------------------------
def filled(core, sister: str, key: str, name: str) -> set[str]:
    persona = core.services.characters.current.persona(sister)
    return {line.replace("{name}", name) for line in getattr(persona.lines, key)}


def name_lines(core, sister: str, pattern: str, name: str) -> set[str]:
    replies = core.services.characters.current.pattern(sister, pattern).replies
    return {r.replace("{name}", name) for r in replies if "{name}" in r}


def test_the_nickname_survives_many_turns_and_sisters_and_goes_with_forget(core):
    reply = core.say("これからはミカって呼んでね")
    assert reply in filled(core, "botan", "nickname_set", "ミカ")
    assert core.services.store.user("Utest1").nickname == "ミカ"
    assert (core.last().layer, core.last().pattern) == ("layer1", "lines:nickname_set")
    said = [core.say("ありがとう") for _ in range(10)]  # Layer 1, ten further turns
    assert name_lines(core, "botan", "thanks", "ミカ") <= set(said)  # {name} is her chosen name
    for i in range(3):  # Layer 2, long after the request left the history
        core.model.answer(f"{i}、それめっちゃ気になる！続き聞かせて〜！")
        core.say(CHAT)
    messages = core.model.calls[-1].messages
    assert messages[1]["role"] == "system" and "「ミカ」" in messages[1]["content"]
    assert not any("これからはミカ" in m["content"] for m in messages[2:])  # the request is long gone
    core.say("/yuri")
    hello = [core.say("やっほ") for _ in range(3)]
    assert name_lines(core, "yuri", "hi_casual", "ミカ") <= set(hello)  # shared by the sisters
    core.say("/forget")
    assert core.services.store.user("Utest1").nickname is None
    after = [core.say("やっほ") for _ in range(3)]
    assert not any("ミカ" in text for text in after)
    core.model.answer("そうなんだ…。聞かせてくれて、うれしいな。")
    core.say(CHAT)
    messages = core.model.calls[-1].messages
    assert [m["role"] for m in messages[:2]] != ["system", "system"]  # no note about this fan any more
    assert not any("ミカ" in m["content"] for m in messages)


def test_a_refused_nickname_is_answered_in_character_and_not_kept(core):
    reply = core.say("バカって呼んで")
    assert reply in filled(core, "botan", "nickname_refused", "")
    assert core.services.store.user("Utest1").nickname is None
    assert core.last().guard == "nickname:refused_word"
    assert core.model.calls == []


def test_kashos_confirmation_is_hers(core):
    core.say("/kasho")
    reply = core.say("私のことはアヤと呼んでください")
    assert reply in filled(core, "kasho", "nickname_set", "アヤ")


def test_a_bare_answer_counts_only_after_she_asked(core):
    core.model.answer("ねえねえ、キミのことなんて呼べばいい？")
    core.say(CHAT)
    assert core.say("ミカでいいよ") in filled(core, "botan", "nickname_set", "ミカ")
    assert core.services.store.user("Utest1").nickname == "ミカ"
    calls = len(core.model.calls)
    core.model.answer("いいね〜！それにしよ！")
    core.say("ラーメンでいいよ", user="Ucold")  # nobody asked: not a name
    assert core.services.store.user("Ucold").nickname is None and len(core.model.calls) == calls + 1


@pytest.mark.parametrize(
    "text, expected",
    [
        ("ファンの呼び名はありますか", None),  # the fandom's name, asked
        ("リスナーの呼び名はなに？", None),
        ("呼び名はありますか", None),
        ("呼び名はミカです", "ミカ"),
        ("あだ名はあすか", "あすか"),  # a name may end in か
    ],
)
def test_a_question_about_the_fandoms_name_is_no_nickname(text, expected):
    found = find_request(text)
    assert (found.name if found else None) == expected
