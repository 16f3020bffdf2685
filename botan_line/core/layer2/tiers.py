"""Every rule that picks a tier: how much a message matters (DESIGN §3), budget pressure, the strong
tier's daily share, a worried fan, the retry after a rejected answer, and a tier whose model is gone.

Pure functions of plain values; ``core/layer2/layer.py`` reads the state they need and calls them.
"""

from __future__ import annotations

from dataclasses import dataclass

from botan_line.characters.normalize import fold
from botan_line.config import RouterConfig

CHEAP, STRONG = "cheap", "strong"
TIERS = (CHEAP, STRONG)
COOLER = 0.3  # the retry's temperature under budget pressure or for a concern (where the model takes one)


def other(tier: str) -> str:
    return STRONG if tier == CHEAP else CHEAP


def down_key(day: str, tier: str) -> str:
    """The shared state that says a tier's model was gone today (its calls go to the other tier)."""
    return f"layer2_down:{day}:{tier}"


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


def first_tier(
    routed: str, *, concern: bool, soft: bool, strong_ok: bool, down: frozenset[str] = frozenset()
) -> tuple[str, bool]:
    """The tier to try first, and whether the strong tier's daily share capped it.

    A worried fan gets the careful (strong) answer whatever the budget; budget pressure means cheap
    only; the strong tier's share of the day is capped; a tier whose model is gone today hands its
    calls to the other one."""
    tier = STRONG if concern else CHEAP if soft else routed
    capped = tier == STRONG and not concern and not strong_ok
    if capped:
        tier = CHEAP
    return failover(tier, down) or tier, capped


def retry_tier(tier: str, *, soft: bool, concern: bool, down: frozenset[str] | set[str] = frozenset()):
    """The one retry after a rejected answer: (tier, cooler temperature or None). The other tier,
    or under budget pressure the cheap one cooler; a concern stays careful (strong, cooler)."""
    if concern:
        name, cooler = STRONG, COOLER
    elif tier == STRONG or soft:
        name, cooler = CHEAP, COOLER
    else:
        name, cooler = STRONG, None
    return failover(name, down) or tier, cooler


def failover(tier: str, down: frozenset[str] | set[str]) -> str | None:
    """``tier`` when its model works today, else the other tier; None when both are gone."""
    if tier not in down:
        return tier
    return other(tier) if other(tier) not in down else None
