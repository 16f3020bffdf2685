"""What the core needs from outside, written down in one place (llm's ``hookspecs.py`` does the same).

The core is plain Python fed plain data: it reads the stored state through :class:`Reads`, asks a
model through :class:`Model`, fetches a fan's photo or voice note through :class:`ContentSource`,
and runs admin tools through :class:`AdminTools`. Adapters implement these (``storage/store.py``,
``adapters/openai_api.py``, ``adapters/line_api.py``, ``storage/admin.py``); tests pass fakes.
Nothing here imports an SDK, a database driver or a web framework.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, BinaryIO, Protocol

if TYPE_CHECKING:  # types only: the ports stay importable without loading what implements them
    from botan_line.characters.loader import CharacterSet
    from botan_line.characters.recall import LastReply
    from botan_line.config import BotConfig
    from botan_line.core.model import Approve, Reject, UserState
    from botan_line.core.notices import NoticeInfo
    from botan_line.core.stats import Report


# --- the stored state ---------------------------------------------------------------------------
class Reads(Protocol):
    """What the core may read of the stored state (``storage.store.Store`` implements it; the worker's
    ``storage.overlay.Overlay`` adds a batch's unsaved effects on top)."""

    def user(self, user_id: str) -> UserState: ...
    def used_variations(self, user_id: str, sister: str, key: str) -> list[int]: ...
    def history(self, user_id: str, sister: str, turns: int) -> list[tuple[str, str]]: ...
    def state(self, key: str) -> str | None: ...
    def spent_yen(self, since: float, until: float) -> float: ...
    def daily_calls(self, user_id: str, day: str) -> int: ...
    def pushes(self, since: float, until: float) -> int: ...  # messages LINE counted (core/quota.py)
    def facts(self, user_id: str) -> dict[str, str]: ...
    def tier_calls(self, day: str) -> dict[str, int]: ...
    def last_reply(self, user_id: str, sister: str) -> LastReply | None: ...  # None: not hers
    def subscribers(self) -> int: ...  # fans who asked for notices (core/announce.py)
    def notices(self, limit: int) -> list[NoticeInfo]: ...  # the newest notices by id
    def remembered_notices(self, now: float) -> list[NoticeInfo]: ...  # what the sisters still know
    def daily_media(self, user_id: str, day: str) -> int: ...  # photo and voice turns today


class Profiles(Protocol):
    """A fan's LINE profile, best effort (``adapters/line_api.LineEdge``)."""

    def display_name(self, user_id: str) -> str | None: ...


# --- the admin tools ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Candidate:
    """A candidate Layer 1 line waiting for an admin (``storage/learned.py`` reads them)."""

    id: int
    sister: str
    kind: str  # pattern | variation
    pattern_id: str | None
    trigger: str
    replies: list[str]
    users: int
    status: str
    triggers: tuple[str, ...] = ()  # every wording of the cluster (patterns); () for variations
    members: tuple[dict, ...] = ()  # {"text": normalised message, "users": fans who sent it}


class AdminTools(Protocol):
    """What admin commands may do beyond reading and returning effects (``storage/admin.py`` implements
    it). A refusal is a ``LearningError`` whose message is safe to show the admin."""

    layer2_enabled: bool
    cfg: BotConfig

    def reload(self) -> tuple[list[str] | None, CharacterSet]: ...  # problems (None: loaded), the live set
    def candidates(self, limit: int, time_left: float | None) -> tuple[list[Candidate], bool]: ...  # mined?
    # checked now, written by the effect with the reply
    def approval(self, candidate_id: int, admin: str, replies: list[str] | None, add: bool) -> Approve: ...
    def rejection(self, candidate_id: int, admin: str) -> Reject: ...
    def learn(self, sister: str, trigger: str, replies: list[str], admin: str) -> str: ...
    def report(self, period: str, now: datetime) -> Report: ...


# --- the model ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Ask:
    """How one chat call is asked, as the model's profile allows (``core/layer2/profiles.py``)."""

    model: str
    max_tokens: int  # the output cap (a reasoning model's reasoning tokens included)
    token_param: str = "max_completion_tokens"  # or "max_tokens" (older and local servers)
    temperature: float | None = None  # None: not sent (reasoning models take it only at effort none)
    effort: str | None = None  # reasoning_effort; None: not sent
    service_tier: str | None = None  # "flex" for offline work on a model that offers it
    response_format: dict | None = None  # the reply as {"reply", "risk"} (``core/layer2/verdict.py``)


@dataclass(frozen=True)
class Completion:
    text: str
    model: str
    prompt_tokens: int
    completion_tokens: int  # reasoning tokens included, as OpenAI bills them
    usage_reported: bool
    latency_ms: float
    cached_tokens: int = 0  # of prompt_tokens, served from the provider's prompt cache
    reasoning_tokens: int = 0  # of completion_tokens, spent reasoning
    cache_write_tokens: int = 0  # of prompt_tokens, written to the cache (billed at the write price)
    finish_reason: str | None = None  # "length": the cap ran out (a reasoning model may leave no text)
    risk: str | None = None  # the model's own reading of the message, when the call asked for it


@dataclass(frozen=True)
class Moderation:
    """OpenAI's moderation scores for one message; ``available`` False when the call failed.

    ``scores`` maps categories as the API spells them ("self-harm/intent", "sexual/minors") to
    0..1. An unavailable result carries a short ``reason`` and no scores: callers fail open."""

    available: bool
    scores: dict[str, float] = field(default_factory=dict)
    flagged: bool = False
    model: str | None = None
    latency_ms: float = 0.0
    reason: str | None = None


@dataclass(frozen=True)
class ModelStatus:
    """What ``GET /v1/models/{id}`` said of one model: its shutdown date, or that it is gone."""

    model: str
    shutdown: str | None = None  # YYYY-MM-DD, as the API gives it
    gone: bool = False  # 404: the API does not know it (any more)


class LLMUnavailable(Exception):
    """Every attempt failed; ``reason`` is a short code for the ledger."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


class ModelGone(LLMUnavailable):
    """The model itself is refused for good (404 ``model_not_found``, or a 400 that no change to
    the request can fix): its tier fails over to the other one for the rest of the day."""

    def __init__(self, model: str, reason: str):
        self.model = model
        super().__init__(reason)


@dataclass(frozen=True)
class Transcript:
    """What a transcription model heard in one voice note."""

    text: str
    model: str
    latency_ms: float = 0.0


class Model(Protocol):
    """A chat model behind an OpenAI-compatible API (``adapters/openai_api.LLM``), with the moderation
    and transcription endpoints beside it."""

    def complete(self, ask: Ask, messages: list[dict], *, deadline: float) -> Completion: ...

    def moderate(self, text: str, *, model: str, timeout: float, deadline: float) -> Moderation: ...

    def moderate_image(self, image_url: str, *, model: str, timeout: float, deadline: float) -> Moderation:
        """Moderation of one image (a ``data:`` URL): unavailable results carry a reason, as for text."""
        ...

    def transcribe(
        self,
        audio: bytes,
        *,
        filename: str,
        model: str,
        language: str | None,
        timeout: float,
        deadline: float,
    ) -> Transcript:
        """The words of a voice note; raises LLMUnavailable (``reason``: a short code) when it cannot."""
        ...


# --- a fan's photo or voice note ------------------------------------------------------------------
class ContentUnavailable(Exception):
    """A photo or voice note could not be fetched; ``reason`` (``expired``, ``not_found``,
    ``too_large``, ``timeout``, ``not_ready``, ``http_500`` …) goes to the ledger, never the bytes."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


class UnreadableImage(Exception):
    """The bytes are not an image the bot can read (or one too large to decode safely)."""

    def __init__(self, reason: str = "unreadable"):
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class Shrunk:
    """A photo scaled down for the model: JPEG bytes and their size in pixels."""

    jpeg: bytes
    width: int
    height: int


class ContentSource(Protocol):
    """Where a fan's photo or voice note is fetched from (``adapters/line_api.LineEdge``): LINE's data
    host for ``message_id``, or ``url`` when LINE says the content is external. The content comes as a
    readable binary stream that the caller closes (a photo goes straight into the decoder, never into
    memory whole), never more than ``max_bytes`` of it; opening or reading raises
    :class:`ContentUnavailable`."""

    def open_content(
        self, message_id: str, *, url: str | None, max_bytes: int, timeout: float
    ) -> BinaryIO: ...


class Shrinker(Protocol):
    """Scales a photo down in memory, reading it from a stream (``adapters/images.shrink``); raises
    :class:`UnreadableImage` (and lets the stream's ContentUnavailable through)."""

    def __call__(self, stream: BinaryIO, max_px: int, quality: int) -> Shrunk: ...
