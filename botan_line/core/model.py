"""Plain data passed between the front doors (webhook worker, chat console), the core and the adapters.

A :class:`Decision` is everything the core concluded about one turn: the messages to send, one
ledger row, and the side effects as data (:data:`Effect`). Nothing in the core writes anywhere;
``storage.store.Store.apply`` writes the effects in the same transaction that saves the outgoing
messages, so a crash never leaves half of a decision behind.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Turn:
    """One text a fan sent (or several bubbles answered together), as the core sees it."""

    user_id: str
    text: str
    now: datetime  # aware, in BOTAN_TIMEZONE
    chat: str = "one_on_one"  # one_on_one | group
    mentioned: bool = False  # the bot was @-mentioned (groups)
    display_name: str | None = None
    time_left: float | None = None  # seconds until the reply token expires (None: no token to race)
    earlier: tuple[str, ...] = ()  # the same fan's earlier bubbles, answered together with this one


@dataclass(frozen=True)
class UserState:
    user_id: str
    sister: str
    messages: int = 0  # how many messages this user sent before this one
    display_name: str | None = None
    switched_at: float | None = None
    active: bool = True

    @property
    def first_visit(self) -> bool:
        return self.messages == 0


@dataclass(frozen=True)
class Outgoing:
    """One text a sister sends (the LINE adapter splits long ones and adds sender/quick reply)."""

    sister: str
    text: str
    quick_reply: bool = False

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Outgoing:
        return cls(**data)


REMEMBERED_LAYERS = ("layer1", "layer2", "fallback")  # answers that become conversation history


@dataclass
class LedgerEntry:
    user_id: str
    sister: str
    layer: str  # command|safety|layer1|layer2|fallback|event
    pattern: str | None = None
    model: str | None = None
    tier: str | None = None
    score: float | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    yen: float = 0.0
    strong_yen: float = 0.0
    latency_ms: float = 0.0
    guard: str | None = None
    normalized: str | None = None  # the normalised message, when Layer 2 was asked
    reply: str | None = None  # the guard-passing Layer 2 reply (learning)


# --- side effects, as data ------------------------------------------------------------------


@dataclass(frozen=True)
class SaveUser:
    """The fan's state after this turn (current sister, message count, switch time, name)."""

    user: UserState


@dataclass(frozen=True)
class SetActive:
    """follow / unfollow; a follow may bring the LINE display name."""

    user_id: str
    active: bool
    display_name: str | None = None


@dataclass(frozen=True)
class AddHistory:
    user_id: str
    sister: str
    role: str  # user | assistant
    text: str


@dataclass(frozen=True)
class UseVariation:
    """Which variations of one pattern (or persona line) this fan has had, oldest first."""

    user_id: str
    sister: str
    key: str
    used: tuple[int, ...]


@dataclass(frozen=True)
class Forget:
    """/forget: the fan's history goes, and what they wrote leaves learning and reports."""

    user_id: str


@dataclass(frozen=True)
class SetState:
    """A shared switch (Layer 2 paused, the monthly budget)."""

    key: str
    value: str


@dataclass(frozen=True)
class CountCall:
    """One more Layer 2 call for this fan today (the per-user daily cap)."""

    user_id: str
    day: str


@dataclass(frozen=True)
class NoticeOnce:
    """Tell the admins ``text`` — only the first decision ever to carry ``key`` does."""

    key: str
    text: str
    to: tuple[str, ...]


@dataclass(frozen=True)
class Approve:
    """/approve: write a learned pattern that ``ops.learning.plan_approval`` checked (the character
    set still loads with it) — only if the learned patterns are still at ``version``."""

    candidate_id: int
    admin: str
    sister: str
    kind: str  # pattern | variation
    pattern_id: str  # learned_<candidate id>, or the file pattern a variation extends
    body: str  # JSON in the learned.yaml schema
    replies: tuple[str, ...]
    version: int  # learned_version when it was checked


@dataclass(frozen=True)
class Reject:
    """/reject: the candidate is closed (if it is still open)."""

    candidate_id: int
    admin: str


Effect = (
    SaveUser
    | SetActive
    | AddHistory
    | UseVariation
    | Forget
    | SetState
    | CountCall
    | NoticeOnce
    | Approve
    | Reject
)


@dataclass(frozen=True)
class Notice:
    """A message for one admin, pushed after the decision's own messages."""

    to: str
    text: str


@dataclass
class Decision:
    """What to send and what to remember; applied in one transaction by the store."""

    messages: list[Outgoing] = field(default_factory=list)
    ledger: LedgerEntry | None = None
    effects: list[Effect] = field(default_factory=list)

    @property
    def layer(self) -> str | None:
        return self.ledger.layer if self.ledger else None

    @property
    def text(self) -> str:
        return "\n".join(m.text for m in self.messages)
