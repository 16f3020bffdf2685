"""Facts a fan chose to share (推し, a like, an exam date): a labelled corpus, the prompt's wording,
and the round trip through the bot (kept, shown to Layer 2, gone with /forget)."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest
from conftest import REPO, TZ

from botan_line.characters.loader import load_characters
from botan_line.core.facts import describe, extract
from botan_line.core.nickname import sister_forms

CORPUS = Path(__file__).resolve().parents[1] / "data" / "facts.jsonl"
SAID_ON = datetime(2026, 11, 28, 12, tzinfo=TZ)


@pytest.fixture(scope="module")
def chars():
    return load_characters(REPO / "characters")


def found(text: str, chars) -> dict[str, str]:
    names = sister_forms(n for s in chars.sisters.values() for n in s.persona.nicknames)
    return extract(text, SAID_ON, chars.safety, names)


def corpus(split: str) -> list[dict]:
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()[1:]]
    return [r for r in rows if r["split"] == split]


def test_every_tuning_example_is_decided_right(chars):
    wrong = [(r["text"], r["expect"], found(r["text"], chars)) for r in corpus("tune")]
    assert [w for w in wrong if w[1] != w[2]] == []


def test_held_out_never_keeps_a_wrong_fact(chars):
    rows = corpus("held")
    wanted = [(r, k, v) for r in rows for k, v in r["expect"].items()]
    got = [(r, k, v) for r in rows for k, v in found(r["text"], chars).items()]
    wrong = [(r["text"], k, v) for r, k, v in got if r["expect"].get(k) != v]
    assert len(rows) >= 20 and wrong == []
    assert sum(found(r["text"], chars).get(k) == v for r, k, v in wanted) / len(wanted) >= 0.8


def test_exam_dates_are_shown_until_a_week_after():
    facts = {"exam": "2026-12-03 期末テスト", "oshi": "ユリ"}
    assert describe(facts, date(2026, 11, 28)) == {"oshi": "ユリ", "exam": "12月3日の期末テスト（あと5日）"}
    assert describe(facts, date(2026, 12, 3))["exam"] == "12月3日の期末テスト（今日）"
    assert describe(facts, date(2026, 12, 9))["exam"] == "12月3日の期末テスト（もう終わった）"
    assert "exam" not in describe(facts, date(2026, 12, 11))
    assert describe({"exam": "garbage"}, date(2026, 12, 1)) == {}


def test_a_date_said_in_november_for_january_is_next_year(chars):
    assert found("共通テストは1月17日", chars) == {"exam": "2027-01-17 共通テスト"}


CHAT = "ユリ推しなんだけど、最近ユリの配信を見られてなくてちょっと寂しいんだよね"


def test_a_fact_is_kept_shown_to_layer2_and_forgotten(core):
    core.model.answer("えっ、ユリ推しなの！？あたしじゃないの〜？でも寂しいのはわかる！")
    core.say(CHAT)
    assert core.services.store.facts("Utest1") == {"oshi": "ユリ"}
    core.model.answer("テストかぁ…キミなら絶対いけるって！")
    core.say("そういえば期末テストが12月3日からなんだよね、ちょっと不安かも")
    assert core.services.store.facts("Utest1") == {"oshi": "ユリ", "exam": "2026-12-03 期末テスト"}
    core.model.answer("それな〜！")
    core.say("今日は学校で友達とずっとしゃべってて楽しかった")
    note = core.model.calls[-1].messages[1]
    assert (
        note["role"] == "system"
        and "推し：ユリ" in note["content"]
        and "12月3日の期末テスト（あと5日）" in note["content"]
    )
    core.say("/forget")
    assert core.services.store.facts("Utest1") == {}
    core.model.answer("うんうん！")
    core.say("今日は学校で友達とずっとしゃべってて楽しかった")
    assert not any("推し" in m["content"] for m in core.model.calls[-1].messages[1:])


def test_nothing_is_kept_from_a_message_with_personal_data(core):
    core.model.answer("そうなんだ！")
    core.say("ユリ推しです！連絡はmika@example.comにちょうだい")
    assert core.services.store.facts("Utest1") == {}
