"""Words that name the time of day, and the hours at which each one is right.

Two uses: ``time_word(now)`` fills ``{band}`` with the word for the hour (夜 at 21:30, not 夕方),
and ``contradictions(line, hours)`` finds a word in a line that would be wrong at one of the hours
the line can be sent (``botan-line check``, every load, every approval). A word counts only when it
names the part of the day it is now: habits and compounds that are not about now (夜ふかし, 昼寝,
夜勤, 昨日の夜, 眠れない夜) are left out before looking.
"""

from __future__ import annotations

import re
from datetime import datetime

# hours (0–23) at which a word naming "now" is right; longest words first in the regex below
_FITS: dict[str, frozenset[int]] = {}


def _fit(hours, *words: str) -> None:
    for word in words:
        _FITS[word] = frozenset(hours)


_NIGHT = [*range(17, 24), *range(0, 5)]
_fit([23, 0, 1, 2, 3, 4], "深夜", "夜中", "真夜中")
_fit([22, 23, 0, 1, 2, 3, 4], "こんな時間")
_fit(_NIGHT, "今夜", "今晩", "夜", "晩")
_fit([16, 17, 18], "夕方", "夕暮れ")
_fit(range(10, 17), "お昼", "昼", "日中", "午後")
_fit(range(4, 10), "朝", "早朝")
_fit(range(5, 12), "午前")
_fit(range(5, 24), "今朝")

_WORDS = re.compile("|".join(sorted(map(re.escape, _FITS), key=len, reverse=True)))
# not about now: habits, other days, kinds of night, compounds
_NOT_NOW = re.compile(
    "夜ふかし|夜更かし|夜勤|徹夜|昼寝|昼夜|朝型|夜型|朝活|毎朝|毎晩|一晩|朝晩|朝日|夜空|夜景|一日中"
    "|(?:昨日|きのう|明日|あした|次の日|前の日|今度|週末|休み|土曜|日曜|いつか)の(?:朝|お昼|昼|夕方|夜|晩)"
    "|昨夜|昨晩|翌朝|前の晩"
    "|(?:眠れない|ねむれない|寝れない|そういう|こういう|そんな|長い)夜"
)

# the word {band} is filled with: [start hour, word), in order
_FILL = ((0, "深夜"), (5, "朝"), (10, "お昼"), (16, "夕方"), (19, "夜"))
FILL_WORDS = tuple(word for _start, word in _FILL)

BAND_HOURS: dict[str, tuple[int, ...]] = {
    "morning": tuple(range(5, 10)),
    "daytime": tuple(range(10, 17)),
    "evening": tuple(range(17, 22)),
    "night": (22, 23, 0, 1, 2, 3, 4),
}
ALL_HOURS = tuple(range(24))


def time_word(now: datetime) -> str:
    """What to call this part of the day: 朝 5–10, お昼 10–16, 夕方 16–19, 夜 19–24, 深夜 0–5."""
    word = _FILL[0][1]
    for start, name in _FILL:
        if now.hour >= start:
            word = name
    return word


def hours_of(bands) -> tuple[int, ...]:
    """Every hour a pattern restricted to ``bands`` (None: any time) can answer at."""
    if not bands:
        return ALL_HOURS
    return tuple(h for band in bands for h in BAND_HOURS[band])


def contradictions(line: str, hours) -> list[tuple[str, list[int]]]:
    """The time words of ``line`` (about now) that are wrong at some of ``hours``, with those hours."""
    text = _NOT_NOW.sub(" ", line.replace("{band}", " "))
    found = []
    for word in dict.fromkeys(_WORDS.findall(text)):
        wrong = sorted(h for h in hours if h not in _FITS[word])
        if wrong:
            found.append((word, wrong))
    return found


def fits(line: str, hour: int) -> bool:
    """Is every time word of a line that was sent at ``hour`` right?"""
    return not contradictions(line, (hour,))


def describe(hours: list[int]) -> str:
    """3, 4, 5, 22, 23 → '22–5 h' style ranges, for error messages."""
    ordered = sorted(set(hours))
    runs: list[list[int]] = []
    for h in ordered:
        if runs and h == runs[-1][-1] + 1:
            runs[-1].append(h)
        else:
            runs.append([h])
    if len(runs) > 1 and runs[0][0] == 0 and runs[-1][-1] == 23:  # wrap around midnight
        runs[0] = runs.pop() + runs[0]
    return ", ".join(f"{r[0]}–{(r[-1] + 1) % 24} h" if len(r) > 1 else f"{r[0]} h" for r in runs)
