"""Time words: {band} names the hour, and a line whose time word is wrong for its pattern is an error."""

from __future__ import annotations

import re
import shutil
from datetime import datetime
from pathlib import Path

import pytest
from conftest import ADMIN, TZ

from botan_line.characters.loader import load_characters
from botan_line.characters.timewords import contradictions, fits, hours_of, time_word
from botan_line.errors import CharacterError

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "hour, word",
    [(0, "深夜"), (4, "深夜"), (5, "朝"), (9, "朝"), (10, "お昼"), (15, "お昼"), (16, "夕方"), (18, "夕方")]
    + [(19, "夜"), (21, "夜"), (23, "夜")],
)
def test_band_is_the_word_for_the_hour(hour, word):
    assert time_word(datetime(2026, 11, 28, hour, 30, tzinfo=TZ)) == word


def test_a_word_is_checked_against_every_hour_its_pattern_answers():
    assert contradictions("もう夕方ですよ", hours_of(["evening"])) == [("夕方", [19, 20, 21])]
    assert contradictions("夜ごはん何食べた？", hours_of(["evening", "night"])) == []
    assert contradictions("朝から元気だね", hours_of(None))[0][0] == "朝"
    assert fits("こんな時間までおつかれ", 23) and not fits("こんな時間までおつかれ", 15)


@pytest.mark.parametrize(
    "line",
    [
        "夜ふかしはだめですよ",
        "昨日の夜、本を読んでたの",
        "眠れない夜もあるよね",
        "お昼寝が好き",
        "夜勤明けならおつかれさま",
        "一日中パジャマで本を読むの",
        "もう{band}だよ",
    ],
)
def test_words_that_do_not_name_now_are_left_alone(line):
    assert contradictions(line, hours_of(None)) == []


def _with_line(tmp_path, old: str, new: str) -> Path:
    root = tmp_path / "characters"
    shutil.copytree(REPO / "characters", root, ignore=shutil.ignore_patterns("learned.yaml"))
    path = root / "botan" / "greetings.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    return root


def test_check_catches_a_time_word_that_contradicts_the_band(tmp_path):
    # `morning_late` answers おはよう at daytime, evening and night: 夕方 is wrong at most of those hours
    root = _with_line(tmp_path, "もう{band}なんだけど〜！", "もう夕方なんだけど〜！")
    with pytest.raises(CharacterError) as err:
        load_characters(root)
    (problem,) = err.value.problems
    assert "greetings.yaml:" in problem and "「夕方」" in problem and "{band}" in problem


def test_the_shipped_files_name_the_time_of_day_right():
    load_characters(REPO / "characters")  # raises on any contradiction


@pytest.mark.parametrize("hour", [2, 7, 13, 17, 21, 23])
def test_openers_name_the_hour_right(core, hour):
    core.clock.set(f"2026-11-28T{hour:02d}:30")
    for i, opener in enumerate(["こんにちは", "おはよう", "こんばんは", "おやすみ", "ただいま"] * 2):
        reply = core.say(opener, user=f"Utime{i % 3}")
        assert core.last().layer == "layer1"
        assert fits(reply, hour), (opener, reply)


def test_band_fills_every_kind_of_line_with_the_hour(core, characters_dir):
    """Persona lines (the fallback here) are filled by the same fill() as patterns."""
    persona = characters_dir / "botan" / "persona.yaml"
    text = persona.read_text(encoding="utf-8")
    line = "    - もう{band}だね、ちょっと待ってて！\n"
    persona.write_text(
        re.sub(r"(?m)^  fallback:.*\n", lambda m: m.group() + line, text, count=1), encoding="utf-8"
    )
    assert core.services.characters.reload() is None
    core.clock.set("2026-11-28T21:30")
    core.say("/pause", user=ADMIN)  # Layer 2 paused: her fallback lines answer
    count = len(core.services.characters.current.persona("botan").lines.fallback)
    lines = {core.say(f"晩ごはん何にしようかずっと迷ってるんだけど{i}") for i in range(count)}  # a full cycle
    assert "もう夜だね、ちょっと待ってて！" in lines and not any("夕方" in line for line in lines)
