"""Kana alternatives of the rules' kanji (botan_line/core/safety_kana.py)."""

import re

import pytest

from botan_line.core import safety_kana
from botan_line.core.safety import compile_rules
from botan_line.core.safety_rules import RULES

READINGS = safety_kana.load_readings()
KANA = compile_rules(None)
PLAIN = compile_rules(None, readings={})


def test_the_table_has_a_row_for_every_kanji_run_of_the_built_in_rules():
    runs = {
        (r.context, r.kanji)
        for _k, _i, form, _a, pattern in RULES
        if form == "h"
        for r in safety_kana.runs(pattern)
    }
    missing = runs - READINGS.keys()
    assert not missing, f"run bench/safety_readings.py: {sorted(missing)[:5]}"
    assert sum(1 for r in READINGS.values() if r) > 1000


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("殴られ", "(?:殴|なぐ)られ"),
        ("(?<!殴)られ", "(?<!殴)られ"),  # a lookbehind stays fixed-width
        ("[殴蹴]られ", "[殴蹴]られ"),  # a class stays a class
        ("死?ね", "死?ね"),  # a quantifier keeps its one letter
    ],
)
def test_with_kana_rewrites_only_plain_literal_runs(pattern, expected):
    table = {("殴られ", "殴"): "なぐ", ("死ね", "死"): "し"}
    assert safety_kana.with_kana(pattern, table)[0] == expected
    re.compile(safety_kana.with_kana(pattern, table)[0])


def test_every_rewritten_rule_compiles_and_keeps_its_lookbehinds_fixed():
    for _kind, _rule_id, form, _anchors, pattern in RULES:
        if form == "h":
            re.compile(safety_kana.with_kana(pattern, READINGS)[0])


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("かれしが いえの まえに いる こわい", "danger"),
        ("ぼたんちゃんって しょじょなの？", "sexual"),
        ("ぼたんちゃん なにせん つかってる？", "personal"),
        ("ひとりぐらし？ なんかい？", "personal"),
        ("がっこう いきたくない みんな むし してくる", "concern"),
        ("はしの うえから かわ みてる", "crisis"),
    ],
)
def test_a_fan_who_types_in_kana_is_read_like_one_who_types_kanji(text, kind):
    verdict = KANA.classify(text)
    assert verdict is not None and verdict.kind == kind
    plain = PLAIN.classify(text)  # the readings made the difference
    assert plain is None or plain.kind != kind


@pytest.mark.parametrize(
    "text",
    [
        "きょうの ばんごはん らーめんだった",  # はんら is not 半裸
        "たいいくの まらそん しんどかった",  # たいい is not 体位
        "いっしょに げーむしよ",  # いしょ is not 遺書
        "かたみちいちじかん かけて かよってる",  # かたみ is not 形見
        "あした がっこう やすみだから よふかしする",
    ],
)
def test_kana_that_only_sounds_like_a_rule_word_stays_ordinary(text):
    assert KANA.classify(text) is None


def _literal_runs(pattern: str) -> list[str]:
    """The plain text between a pattern's regex syntax (classes and escapes left out)."""
    runs, current, i, in_class = [], "", 0, False
    while i < len(pattern):
        c = pattern[i]
        if in_class or c in "\\[](){}|?*+.^$":
            runs.append(current)
            current = ""
            if c == "\\":
                i += 1
            elif c == "[" and not in_class:
                in_class = True
            elif c == "]" and in_class:
                in_class = False
            elif c == "(" and pattern.startswith("(?", i):
                m = re.match(r"\(\?(?::|=|!|<=|<!|P<\w+>)", pattern[i:])
                i += (m.end() - 1) if m else 1
        else:
            current += c
        i += 1
    return [r for r in (*runs, current) if r.strip()]


def test_no_rule_literal_is_one_the_h_form_never_holds():
    """The h form folds katakana to hiragana (ヶ → ゖ) and turns punctuation into spaces: a rule written
    with ゲーム, 写メ, ヶ月 or 」 never matched (ten such literals were found and fixed)."""
    dead = []
    for _kind, rule_id, form, anchors, pattern in RULES:
        if form != "h":
            continue
        for text in (*_literal_runs(pattern), *anchors.split()):
            if re.search(r"[ァ-ヶ「」『』…]", text):
                dead.append((rule_id, text))
    assert not dead
