"""How a decided answer goes out — reply, push or give up — as pure functions of what is known.

LINE's rules (DESIGN §4, §8): a reply token is single-use and guaranteed for one minute; replies
are free, pushes count against the monthly quota and are sent only when the operator allows it
(``BOTAN_PUSH_FALLBACK``). A resend after a crash must never risk a second answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from botan_line.core.inbound import Inbound

REPLY_WINDOW_SECONDS = 50.0  # LINE guarantees a reply token for one minute; keep a margin
HOLD_BEFORE_SECONDS = 8.0  # with push on, a holding line goes out when the token has this little life left

REPLY, PUSH, GIVE_UP = "reply", "push", "give_up"


def event_seconds(event: dict) -> float | None:
    """When the event happened (LINE's ``timestamp``, epoch ms), or None if it is not a plausible time."""
    ts = event.get("timestamp")
    if (
        isinstance(ts, bool) or not isinstance(ts, (int, float)) or not 0 < ts < 10**14
    ):  # nan, inf, 400 digits
        return None
    return ts / 1000.0


def token_time_left(event: Inbound, now: float, window: float = REPLY_WINDOW_SECONDS) -> float | None:
    """Seconds the event's reply token has left (within our margin), or None if there is none to use."""
    if not event.reply_token:
        return None
    left = window - (now - event.time)
    return min(left, window) if left > 0 else None  # a clock a little ahead of ours is still fresh


@dataclass(frozen=True)
class Plan:
    how: str  # reply | push | give_up
    outcome: str  # what the inbox records if it goes as planned

    @property
    def sends(self) -> bool:
        return self.how != GIVE_UP


def plan(*, fresh: bool, push_ok: bool, token_used: bool = False) -> Plan:
    """The first way to send a decided answer.

    ``fresh``: the reply token still has life; ``push_ok``: pushing is allowed and there is a chat
    to push to; ``token_used``: a holding line already used the token (the answer follows by push)."""
    if fresh and not token_used:
        return Plan(REPLY, "replied")
    if push_ok:
        return Plan(PUSH, "held_pushed" if token_used else "pushed")
    return Plan(GIVE_UP, "held" if token_used else "expired")


def after_reply_rejected(*, resend: bool, push_ok: bool) -> Plan:
    """LINE said "Invalid reply token". On a resend our earlier attempt may have used it: never
    risk a second answer. Otherwise push if allowed."""
    if resend:
        return Plan(GIVE_UP, "already_sent")
    if push_ok:
        return Plan(PUSH, "pushed")
    return Plan(GIVE_UP, "token_invalid")


def should_hold(*, time_left: float | None, push_ok: bool, answered: bool, held: bool) -> bool:
    """Send a holding line now? Only while the real answer can still follow by push."""
    return (
        push_ok and not answered and not held and time_left is not None and time_left <= HOLD_BEFORE_SECONDS
    )


def expired_before_deciding(
    *, is_message: bool, time_left: float | None, push_ok: bool, resend: bool
) -> bool:
    """A message nobody would see an answer to: decide nothing, spend nothing."""
    return is_message and not resend and time_left is None and not push_ok
