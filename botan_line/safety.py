"""The safety layer: crisis, sexual and personal-information messages, before every other layer."""

from __future__ import annotations

import re
from functools import cache

from botan_line.normalize import fold

CRISIS, SEXUAL, PERSONAL = "crisis", "sexual", "personal"


@cache
def _compiled(words: tuple[str, ...]) -> re.Pattern:
    folded = sorted({fold(w) for w in words if fold(w)}, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, folded)))


def classify(text: str, safety) -> str | None:
    """Which safety rule a normalised message trips, most serious first; None if none."""
    if _compiled(tuple(safety.crisis_words)).search(text):
        return CRISIS
    if _compiled(tuple(safety.sexual_words)).search(text):
        return SEXUAL
    if _compiled(tuple(safety.personal_words)).search(text):
        return PERSONAL
    return None


def crisis_reply(safety, sister: str, name: str) -> str:
    contacts = []
    for c in safety.contacts:
        parts = [c.name]
        if c.tel:
            parts.append(c.tel)
        if c.hours:
            parts.append(f"（{c.hours}）")
        if c.url:
            parts.append(c.url)
        contacts.append("・" + " ".join(parts))
    return safety.crisis_reply[sister].replace("{contacts}", "\n".join(contacts)).replace("{name}", name)
