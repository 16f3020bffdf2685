"""The safety layer: crisis, sexual and personal-information messages, before every other layer."""

from __future__ import annotations

import re
from functools import cache

from botan_line.characters.normalize import fold
from botan_line.characters.placeholders import CRISIS_PLACEHOLDERS, fill

CRISIS, SEXUAL, PERSONAL = "crisis", "sexual", "personal"


@cache
def _compiled(words: tuple[str, ...]) -> re.Pattern:
    folded = sorted({fold(w, contained=True) for w in words if fold(w)}, key=len, reverse=True)
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
    """The crisis reply of ``sister``, with ``{name}`` and the ``{contacts}`` list filled."""
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
    return fill(safety.crisis_reply[sister], CRISIS_PLACEHOLDERS, name=name, contacts="\n".join(contacts))


_PII = [
    re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"),  # e-mail
    re.compile(r"(?:\+?\d[\d\-() ]{8,}\d)"),  # phone numbers
    re.compile(r"〒|\d{3}-\d{4}|丁目|番地|号室|\d+-\d+-\d+"),  # postal codes, street addresses
    re.compile(r"[都道府県市区町村]\S{0,8}\d"),
    re.compile(
        r"(?:名前|なまえ|本名)(?:は|って)|と申します|っていいます|って言います|といいます|と言います|"
        r"(?:私|わたし|僕|ぼく|俺|おれ|うち)(?:は|の名前は)\S{1,10}です"
    ),  # names the user gave
]


def has_personal_data(raw: str) -> bool:
    """Phone numbers, e-mail addresses, addresses, names: such messages are never learned from."""
    return any(p.search(raw) for p in _PII)
