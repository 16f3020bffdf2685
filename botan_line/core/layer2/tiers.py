"""Tier routing: how much a message matters (DESIGN §3), and which model answers it."""

from __future__ import annotations

from dataclasses import dataclass

from botan_line.characters.normalize import fold
from botan_line.config import RouterConfig

CHEAP, STRONG = "cheap", "strong"


@dataclass(frozen=True)
class Route:
    tier: str
    score: float
    reasons: tuple[str, ...]


def _has_any(text: str, words) -> bool:
    return any(fold(w, contained=True) in text for w in words)


def importance(text: str, *, new_user: bool, switched: bool, cfg: RouterConfig) -> Route:
    """Score a message 0..1 (``text`` is the raw message); at or above the threshold it goes to the strong tier."""
    folded = fold(text)
    w = cfg.weights
    terms: list[tuple[str, float]] = []
    if new_user:
        terms.append(("new_user", w.new_user))
    if _has_any(folded, cfg.banter_words):
        terms.append(("banter", w.banter))
    if len(text) > cfg.long_message_chars:
        terms.append(("long_message", w.long_message))
    if switched:
        terms.append(("switched_sister", w.switched_sister))
    if _has_any(folded, cfg.consultation_words):
        terms.append(("consultation", w.consultation))
    if len(folded) <= cfg.plain_greeting_chars and _has_any(folded, cfg.greeting_words):
        terms.append(
            ("plain_greeting", w.plain_greeting)
        )  # a plain greeting, not a greeting + a real question
    score = min(1.0, max(0.0, sum(v for _, v in terms)))
    return Route(
        STRONG if score >= cfg.threshold - 1e-9 else CHEAP, round(score, 3), tuple(n for n, _ in terms)
    )


def strong_allowed(strong: int, total: int, *, max_share: float, grace: int) -> bool:
    """May one more call go to the strong tier today, given ``strong`` of ``total`` calls so far did?

    The first ``grace`` strong calls of a day always may (a quiet morning's few calls would
    otherwise swing the share); after that the day's strong share stays at or under ``max_share``."""
    return strong < grace or strong + 1 <= max_share * (total + 1) + 1e-9
