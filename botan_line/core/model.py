"""Plain data passed between the front doors (webhook, chat console), the pipeline and the edges."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Turn:
    """One thing a user did, as the pipeline sees it."""

    user_id: str
    text: str
    now: datetime  # aware, in BOTAN_TIMEZONE
    chat: str = "one_on_one"  # one_on_one | group
    mentioned: bool = False  # the bot was @-mentioned (groups)
    display_name: str | None = None
    time_left: float | None = None  # seconds until the reply token expires (None: no token to race)


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
    """One text a sister sends (the LINE edge splits long ones and adds sender/quick reply)."""

    sister: str
    text: str
    quick_reply: bool = False

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Outgoing:
        return cls(**data)


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


@dataclass
class Decision:
    """What to send and what to remember. Applied in one transaction by the store."""

    messages: list[Outgoing] = field(default_factory=list)
    ledger: LedgerEntry | None = None
    history: list[tuple[str, str, str]] = field(default_factory=list)  # (sister, role, text)
    user: UserState | None = None  # the user's new state (None: leave as is)
    variation: tuple[str, str, str] | None = None  # (sister, pattern key, used indexes)
    forget: bool = False  # delete this user's history (the /forget command)
    notices: list[tuple[str, str]] = field(default_factory=list)  # (admin user id, text) to push

    @property
    def layer(self) -> str | None:
        return self.ledger.layer if self.ledger else None

    @property
    def text(self) -> str:
        return "\n".join(m.text for m in self.messages)
