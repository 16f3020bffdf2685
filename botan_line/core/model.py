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
    quote_token: str | None = None  # LINE's quoteToken of the message answered (groups quote it)
    message_ids: tuple[str, ...] = ()  # LINE's ids of the bubbles, ``earlier`` first (an unsend finds them)

    def message_id(self, bubble: int = -1) -> str | None:
        """The LINE message id of one bubble (the last by default); None when it did not come from LINE."""
        try:
            return self.message_ids[bubble] or None
        except IndexError:
            return None


@dataclass(frozen=True)
class UserState:
    user_id: str
    sister: str
    messages: int = 0  # how many messages this user sent before this one
    display_name: str | None = None
    switched_at: float | None = None
    active: bool = True
    nickname: str | None = None  # what the fan asked to be called (SetNickname; never changed by SaveUser)
    notify: bool = False  # asked for notices (SetNotify; never changed by SaveUser)

    @property
    def first_visit(self) -> bool:
        return self.messages == 0


TEXT, STICKER, FLEX = "text", "sticker", "flex"


@dataclass(frozen=True)
class Outgoing:
    """One message a sister sends: a text (the LINE adapter splits long ones and adds sender and quick
    reply), a sticker (``sticker`` = (packageId, stickerId)) or a Flex card (``flex``: the container;
    ``text`` is then its plain-text altText). ``quote_token`` quotes the fan's message (groups)."""

    sister: str
    text: str = ""
    quick_reply: bool = False
    kind: str = TEXT  # text | sticker | flex
    sticker: tuple[str, str] | None = None
    flex: dict | None = None
    quote_token: str | None = None

    def to_json(self) -> dict:
        """Only what differs from a plain text: a text saves exactly as before these fields existed."""
        data = asdict(self)
        for key, default in _OPTIONAL.items():
            if data[key] == default:
                del data[key]
        return data

    @classmethod
    def from_json(cls, data: dict) -> Outgoing:
        data = dict(data)
        if data.get("sticker") is not None:
            data["sticker"] = tuple(data["sticker"])
        return cls(**data)


_OPTIONAL = {"kind": TEXT, "sticker": None, "flex": None, "quote_token": None}


@dataclass(frozen=True)
class LayerName:
    """One value of the ledger's ``layer``: how every report, card, page and terminal names and counts it."""

    key: str
    label: str  # English (the console, the terminal report)
    label_ja: str  # Japanese (what an admin reads in LINE)
    mark: str  # the terminal chat's short mark
    color: str  # its colour in charts and cards
    message: bool  # a fan's message (commands and event replies are not counted as messages)
    remembered: bool  # her answer becomes conversation history
    paid: bool  # it reached (or was meant for) Layer 2


# The one vocabulary of layers, in the order reports show them.
LAYERS: dict[str, LayerName] = {
    n.key: n
    for n in (
        LayerName("layer1", "Layer 1", "Layer 1", "L1", "#2f9e44", message=True, remembered=True, paid=False),
        LayerName("layer2", "Layer 2", "Layer 2", "L2", "#1c7ed6", message=True, remembered=True, paid=True),
        LayerName(
            "fallback",
            "fixed lines",
            "定型文",
            "fallback",
            "#f59f00",
            message=True,
            remembered=True,
            paid=True,
        ),
        LayerName(
            "safety", "safety", "安全", "safety", "#868e96", message=True, remembered=False, paid=False
        ),
        LayerName(
            "command", "commands", "コマンド", "cmd", "#adb5bd", message=False, remembered=False, paid=False
        ),
        LayerName(
            "event", "events", "イベント", "event", "#ced4da", message=False, remembered=False, paid=False
        ),
    )
}
REMEMBERED_LAYERS = tuple(k for k, n in LAYERS.items() if n.remembered)  # answers that become history
MESSAGE_LAYERS = tuple(k for k, n in LAYERS.items() if n.message)  # what a report counts as fans' messages
PAID_LAYERS = tuple(k for k, n in LAYERS.items() if n.paid)  # rows that reached (or were meant for) Layer 2


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
    cached_tokens: int = 0  # of prompt_tokens, served from the provider's prompt cache
    reasoning_tokens: int = 0  # of completion_tokens, spent reasoning (billed as output)
    cache_write_tokens: int = 0  # of prompt_tokens, written to the provider's cache (billed at its price)
    yen: float = 0.0
    strong_yen: float = 0.0
    latency_ms: float = 0.0
    guard: str | None = None
    normalized: str | None = None  # the normalised message, when Layer 2 was asked or Layer 1 answered
    reply: str | None = None  # the guard-passing Layer 2 reply (learning)
    safety: str | None = None  # which safety signal decided (a rule id, moderation:<category>), never words
    message_id: str | None = None  # the LINE message answered (the last bubble of a merged turn)
    media: str | None = None  # a photo or voice turn: "image", "image:3" (a set), "audio"; None for texts
    image_tokens: int = 0  # of prompt_tokens, the photos' (an estimate: OpenAI's usage does not split them)
    audio_seconds: float = 0.0  # transcribed (its price is in yen and strong_yen)


# --- side effects, as data ------------------------------------------------------------------


@dataclass(frozen=True)
class SaveUser:
    """The fan's state after this turn (current sister, message count, switch time, name; not the nickname)."""

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
    message_id: str | None = None  # a fan's bubble: the LINE message it came from


@dataclass(frozen=True)
class UseVariation:
    """Which variations of one pattern (or persona line) this fan has had, oldest first."""

    user_id: str
    sister: str
    key: str
    used: tuple[int, ...]


@dataclass(frozen=True)
class Forget:
    """/forget: the fan's history, nickname and facts go, and what they wrote leaves learning and reports."""

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
class CountTier:
    """One more Layer 2 call on ``tier`` today, all fans together (the strong tier's daily share)."""

    day: str
    tier: str


@dataclass(frozen=True)
class CountMedia:
    """One more photo or voice turn for this fan today (``media.per_user_daily``)."""

    user_id: str
    day: str


@dataclass(frozen=True)
class SetNickname:
    """What the fan asked to be called, shared by the sisters (None: forget it)."""

    user_id: str
    nickname: str | None
    message_id: str | None = None  # the LINE message that asked for it


@dataclass(frozen=True)
class SetFact:
    """One small thing the fan chose to share (``core/facts.py`` keys), remembered until /forget."""

    user_id: str
    key: str
    value: str
    message_id: str | None = None  # the LINE message it was said in


@dataclass(frozen=True)
class SetNotify:
    """The fan asked for notices, or to stop them (``/notify``, her words, the rich menu)."""

    user_id: str
    on: bool


@dataclass(frozen=True)
class Unsend:
    """The fan took a message back (送信取消): its text leaves her history, what she kept from it, learning,
    and the stored event; the ledger keeps its figures without text; a reply already sent stays sent."""

    user_id: str
    message_id: str
    chat_id: str = ""  # where it was sent (a group's id): the inbox keeps events by chat


@dataclass(frozen=True)
class ScheduleNotice:
    """A confirmed /announce: kept as notice ``id``, sent by the worker at ``due_at`` (now, or a set time)."""

    id: int
    key: str  # the draft's UUID (LINE's retry keys derive from it)
    sister: str
    text: str
    title: str | None
    audience: str  # optin | all
    due_at: float
    created_by: str


@dataclass(frozen=True)
class CancelNotice:
    """/announce cancel ID: a scheduled notice is not sent. Raises NoticeChanged when it is no longer
    scheduled (another worker started sending it meanwhile): the command is decided again."""

    id: int
    admin: str


@dataclass(frozen=True)
class NoticeOnce:
    """Tell the admins ``text`` — only the first decision ever to carry ``key`` does."""

    key: str
    text: str
    to: tuple[str, ...]


@dataclass(frozen=True)
class Approve:
    """/approve: write a learned pattern that ``storage.learned.plan_approval`` checked (the character
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
    | CountTier
    | CountMedia
    | SetNickname
    | SetFact
    | NoticeOnce
    | Approve
    | Reject
    | SetNotify
    | Unsend
    | ScheduleNotice
    | CancelNotice
)


# --- LINE-side actions, as data: saved with the outgoing messages, run by the worker ---------------


@dataclass(frozen=True)
class LinkMenu:
    """Show this fan the rich menu of ``sister`` (``POST /v2/bot/user/{userId}/richmenu/{richMenuId}``)."""

    user_id: str
    sister: str


@dataclass(frozen=True)
class MarkRead:
    """Mark the messages she answered as read, each with its own markAsReadToken, oldest first
    (``POST /v2/bot/chat/markAsRead``; only when the channel's markAsReadMode is manual, and only
    once her answer was delivered)."""

    tokens: tuple[str, ...]


Action = LinkMenu | MarkRead
ACTIONS: dict[str, type] = {"link_menu": LinkMenu, "mark_read": MarkRead}


def action_to_json(action: Action) -> dict:
    kind = next(k for k, t in ACTIONS.items() if isinstance(action, t))
    return {"action": kind, **asdict(action)}


def action_from_json(data: dict) -> Action:
    data = dict(data)
    kind = ACTIONS[data.pop("action")]
    return kind(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


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
    actions: list[Action] = field(default_factory=list)  # LINE-side, run by the worker after saving

    @property
    def layer(self) -> str | None:
        return self.ledger.layer if self.ledger else None

    def record(self, **fields) -> Decision:
        """Set fields of its ledger row (a decision that answers always has one)."""
        if self.ledger is None:
            raise ValueError("this decision has no ledger row to record in")
        for key, value in fields.items():
            setattr(self.ledger, key, value)
        return self

    @property
    def text(self) -> str:
        return "\n".join(m.text for m in self.messages if m.kind != STICKER)
