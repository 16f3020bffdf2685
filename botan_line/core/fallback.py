"""Her fixed line instead of a model's answer: the one place it is said.

Layer 2 off or paused, over the month's budget, past the fan's daily cap, out of reply-token time,
every attempt failed or rejected, or a decision that could not be made at all: each ends here, with
the reason in the ledger's ``guard``. A worried fan (a concern) always gets her gentle concern line,
never a joke or 「もう一回言って」.
"""

from __future__ import annotations

from botan_line.core.conversation import Conversation, TurnContext
from botan_line.core.model import Decision, Turn
from botan_line.core.ports import Reads


def fallback(ctx: TurnContext, reason: str, *, concern=None, line: str = "fallback", **ledger) -> Decision:
    """Her fixed line for ``reason`` (``layer2_off``, ``budget_hard``, ``daily_cap``, ``no_time_left``,
    ``error``, or the attempts' verdicts); ``line``: the persona line for a reason that has its own
    (``budget_stop``, ``daily_cap``); ``concern``: the safety verdict of a worried fan; ``ledger``:
    more fields of the ledger row (the route's score, what the attempts cost)."""
    decision = ctx.say_line("concern" if concern is not None else line, "fallback")
    return decision.record(
        guard=reason,
        normalized=ctx.learnable(concern),  # what fell through is still worth knowing (never a worry)
        safety=concern.signal if concern is not None else None,
        **ledger,
    )


def apology(conversation: Conversation, turn: Turn, reads: Reads) -> Decision:
    """Deciding failed: a text gets her fallback line rather than silence (ledger guard ``error``)."""
    return fallback(conversation.event_context(turn, reads), "error")
