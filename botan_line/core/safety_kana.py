"""Kana alternatives for the kanji a safety rule is written in.

The rules are written mostly in kanji (殴られ, 薬 何錠, 飛び降り), some with hand-written kana
alternatives. A fan who types in hiragana (なぐられた, くすり なんじょう, とびおり) — children, and
anyone flicking fast — slipped past them. When the rules are compiled, every run of kanji in a rule's
literal text becomes ``(?:漢字|かな)`` with its reading in that place, read from
``safety_readings.tsv`` (made offline with pykakasi by ``bench/safety_readings.py``; the bot never
imports pykakasi). A test keeps the table complete for the built-in rules.

Left alone, so the regex keeps its meaning: kanji inside a character class, inside a lookbehind
(it must stay fixed-width), directly under a quantifier (死? would bind differently), and readings
of one kana (手 → て would match everywhere).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources

KANJI = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff々]")
_HIRA = re.compile(r"[\u3041-\u3096ー]")
_QUANTIFIER = "?*+{"


@dataclass(frozen=True, slots=True)
class Run:
    start: int  # the kanji run's place in the pattern
    end: int
    context: str  # kana before + the run + kana after: what its reading is read from
    kanji: str


def runs(pattern: str) -> Iterator[Run]:
    """The kanji runs of ``pattern`` that may take a kana alternative (see the module docstring)."""
    stack: list[bool] = []  # for each open group: is it (or one around it) a lookbehind?
    i, n = 0, len(pattern)
    in_class = False
    while i < n:
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            if c == "]":
                in_class = False
            i += 1
            continue
        if c == "[":
            in_class = True
            i += 1
            if i < n and pattern[i] == "^":
                i += 1
            if i < n and pattern[i] == "]":  # a literal ] first in the class
                i += 1
            continue
        if c == "(":
            behind = pattern.startswith(("(?<=", "(?<!"), i)
            stack.append(behind or (bool(stack) and stack[-1]))
            i += 1
            continue
        if c == ")":
            if stack:
                stack.pop()
            i += 1
            continue
        if KANJI.match(c):
            start = i
            while i < n and KANJI.match(pattern[i]):
                i += 1
            if (stack and stack[-1]) or (i < n and pattern[i] in _QUANTIFIER):
                continue
            yield Run(
                start, i, _before(pattern, start) + pattern[start:i] + _after(pattern, i), pattern[start:i]
            )
            continue
        i += 1


def _before(pattern: str, start: int) -> str:
    j = start
    while j > 0 and _HIRA.match(pattern[j - 1]) and (j < 2 or pattern[j - 2] != "\\") and start - j < 2:
        j -= 1
    return pattern[j:start]


def _after(pattern: str, end: int) -> str:
    j = end
    while j < len(pattern) and _HIRA.match(pattern[j]) and j - end < 4:
        j += 1
    if j > end and j < len(pattern) and pattern[j] in _QUANTIFIER:
        j -= 1  # 死にた? : た is optional, not part of the word
    return pattern[end:j]


def load_readings() -> dict[tuple[str, str], str]:
    """(context, kanji) → the kanji's reading in that context."""
    table: dict[tuple[str, str], str] = {}
    text = resources.files(__package__).joinpath("safety_readings.tsv").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line and not line.startswith("#"):
            context, kanji, reading = line.split("\t")
            table[(context, kanji)] = reading
    return table


def with_kana(pattern: str, readings: dict[tuple[str, str], str]) -> tuple[str, list[str]]:
    """``pattern`` with each kanji run that has a reading of two kana or more as (?:漢字|かな), and
    those readings (anchors: a rule runs when one of its anchors is in the message)."""
    out: list[str] = []
    added: list[str] = []
    last = 0
    for run in runs(pattern):
        reading = readings.get((run.context, run.kanji))
        if not reading or len(reading) < 2:
            continue
        out.append(pattern[last : run.start])
        out.append(f"(?:{run.kanji}|{reading})")
        added.append(reading)
        last = run.end
    out.append(pattern[last:])
    return "".join(out), added
