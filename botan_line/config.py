"""The optional BOTAN_CONFIG YAML: tiers, router weights, prices, budget, limits.

Every field has a default, so the bot runs without a file. Unknown fields are errors.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator

from botan_line.errors import SettingsError
from botan_line.yamlio import YamlProblem, load_with_lines, validate


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Effort = Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"]
EFFORTS: tuple[str, ...] = ("none", "minimal", "low", "medium", "high", "xhigh", "max")  # lowest first


class Tier(Strict):
    """One tier's model and how it is asked (what the model takes comes from its profile)."""

    model: str
    reasoning_effort: Effort | None = Field(
        None, description="None: the lowest effort the model accepts (a chat line wants it fast and cheap)"
    )
    max_output_tokens: int = Field(
        200,
        ge=16,
        le=4000,
        validation_alias=AliasChoices("max_output_tokens", "max_tokens"),  # the name before 2026-12
        description="the reply's length cap; a reasoning model gets an allowance for its reasoning on top",
    )
    temperature: float = Field(0.8, ge=0, le=2, description="sent only to a model that takes it")


class Tiers(Strict):
    cheap: Tier = Tier(model="gpt-6-luna")
    strong: Tier = Tier(model="gpt-6-sol")


class Weights(Strict):
    new_user: float = 0.4
    banter: float = 0.5
    long_message: float = 0.2
    switched_sister: float = 0.3
    consultation: float = 0.3
    plain_greeting: float = -0.5


class RouterConfig(Strict):
    weights: Weights = Weights()
    threshold: float = 0.7
    long_message_chars: int = 50
    plain_greeting_chars: int = Field(
        12, description="a greeting word counts as a plain greeting up to this length"
    )
    switched_within_seconds: int = Field(300, description="a switch this recent counts as 'just switched'")
    new_user_messages: int = Field(3, ge=1, description="a user is new for this many messages")
    banter_words: tuple[str, ...] = (
        "AI",
        "ロボット",
        "機械",
        "人間",
        "証明",
        "嘘",
        "うそ",
        "ウソ",
        "分以内",
        "秒で",
        "今すぐ",
        "できないでしょ",
        "どうせ",
        "ポンコツ",
        "かわいい",
        "可愛い",
        "結婚",
        "好き",
        "勝負",
        "賭け",
        "ばか",
        "バカ",
        "つまらない",
    )
    consultation_words: tuple[str, ...] = (
        "相談",
        "悩み",
        "悩んで",
        "つらい",
        "辛い",
        "しんどい",
        "不安",
        "困って",
        "どうしたら",
        "助けて",
        "苦しい",
        "寂しい",
    )
    greeting_words: tuple[str, ...] = (
        "おはよう",
        "こんにちは",
        "こんばんは",
        "おやすみ",
        "ただいま",
        "おつかれ",
        "お疲れ",
        "やっほ",
        "またね",
    )


class Price(Strict):
    input: float = Field(ge=0, description="USD per 1M input tokens")
    output: float = Field(ge=0, description="USD per 1M output tokens (reasoning tokens are output)")
    cached_input: float | None = Field(
        None, ge=0, description="USD per 1M cached prompt tokens; omitted: the input price (no discount)"
    )
    cache_write: float | None = Field(
        None, ge=0, description="USD per 1M prompt tokens written to the cache; omitted: the input price"
    )
    per_minute: float | None = Field(None, ge=0, description="USD per minute of audio (transcription)")

    @property
    def cached(self) -> float:
        return self.input if self.cached_input is None else self.cached_input

    @property
    def write(self) -> float:
        return self.input if self.cache_write is None else self.cache_write


FREE = Price(input=0, output=0)
Sampling = Literal["always", "at_none", "never"]


class ModelProfile(Strict):
    """What one model takes, what it costs and when it stops (``botan_line/models.yaml``)."""

    kind: Literal["chat", "moderation", "transcription"] = "chat"
    reasoning: bool = Field(False, description="its cap includes reasoning tokens, billed as output")
    efforts: tuple[Effort, ...] = Field((), description="reasoning_effort values it accepts, lowest first")
    sampling: Sampling = Field("always", description="when it takes temperature")
    token_param: Literal["max_completion_tokens", "max_tokens"] = "max_completion_tokens"
    images: bool = False
    image_tokens: int | None = Field(
        None,
        ge=0,
        description="prompt tokens one image of at most 512 px costs at detail low (an estimate: the chat "
        "usage does not say which of its prompt tokens were the image's); None: one per 32×32 patch",
    )
    flex: bool = Field(False, description="offers service_tier=flex at half price (offline work only)")
    structured: bool = Field(
        False, description="keeps to a JSON schema (response_format json_schema, strict)"
    )
    shutdown: dt.date | None = None
    replacement: str | None = None
    price: Price | None = None


class ModelCatalogue(Strict):
    checked: dt.date
    models: dict[str, ModelProfile]


MODELS_FILE = Path(__file__).with_name("models.yaml")


@functools.cache
def shipped_models() -> dict[str, ModelProfile]:
    """The profiles that ship with the code (``botan_line/models.yaml``), read once."""
    data = yaml.safe_load(MODELS_FILE.read_text(encoding="utf-8"))
    return ModelCatalogue.model_validate(data).models


def _default_prices() -> dict[str, Price]:
    return {name: p.price for name, p in shipped_models().items() if p.price is not None}


class Budget(Strict):
    monthly_yen: float = Field(3000, ge=0)
    soft_ratio: float = Field(0.8, gt=0, le=1, description="past this share of the budget, cheap tier only")
    per_user_daily_calls: int = Field(40, ge=0)
    max_strong_share: float = Field(
        0.30,
        ge=0,
        le=1,
        description="the strong tier's share of a day's Layer 2 calls never exceeds this (DESIGN's 70/30 plan)",
    )
    strong_grace_calls: int = Field(
        10, ge=0, description="strong calls a day may start with before the share applies (mornings are few)"
    )


class Nickname(Strict):
    """A name the fan asked to be called (core/nickname.py)."""

    max_chars: int = Field(10, ge=1, le=20)
    refused_words: tuple[str, ...] = Field(
        (), description="more words a nickname may never contain, besides the built-in insults and pet names"
    )


class LLMConfig(Strict):
    timeout_seconds: float = Field(12, gt=0)
    max_retries: int = Field(2, ge=0, le=5)
    deadline_seconds: float = Field(
        40, gt=0, description="all attempts must end inside the reply-token window"
    )
    history_turns: int = Field(8, ge=0)
    history_tokens: int = Field(1200, ge=0)
    max_input_chars: int = Field(400, ge=20, le=5000)
    max_output_chars: int = Field(300, ge=20)
    style_prefix_tokens: int = Field(
        1152,
        ge=0,
        le=8000,
        description="her own lines are added as style examples until the fixed prompt reaches this many "
        "estimated tokens (OpenAI caches prompts from 1,024 tokens; 0: no examples)",
    )


class Learning(Strict):
    min_distinct_users: int = Field(3, ge=1)
    max_replies_per_candidate: int = Field(5, ge=1)


class LineConfig(Strict):
    quota_notice_ratio: float = Field(
        0.8, gt=0, le=1, description="tell the admins once when this share of the push quota is used"
    )
    quota_refresh_minutes: float = Field(
        10, gt=0, description="how often the worker reads the quota (and the read mode) from LINE"
    )
    announce_expiry_minutes: float = Field(
        10, gt=0, description="an unconfirmed /announce is dropped after this"
    )
    notice_grace_minutes: float = Field(
        30, ge=0, description="a notice whose time passed while the bot was down goes out this late at most"
    )
    notice_memory_hours: float = Field(
        36, ge=0, description="how long after a notice the sisters know what it announced"
    )


ModerationCategory = Literal[
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
]
Threshold = Annotated[float, Field(gt=0, le=1)]


def _crisis_thresholds() -> dict[ModerationCategory, float]:
    return {"self-harm/intent": 0.5, "self-harm/instructions": 0.5, "self-harm": 0.7}


def _sexual_thresholds() -> dict[ModerationCategory, float]:
    return {"sexual/minors": 0.3, "sexual": 0.6}


def _concern_thresholds() -> dict[ModerationCategory, float]:
    return {"self-harm": 0.3}


class SafetySection(Strict):
    """OpenAI moderation as a second opinion on messages the safety rules did not decide.

    A kind applies when any of its categories scores at or above its threshold; crisis is checked
    first, then sexual, then concern. Fails open to the rules when the call is slow or fails."""

    moderation_enabled: bool = Field(
        True, description="ask the moderation endpoint when Layer 2 is configured"
    )
    model: str = "omni-moderation-latest"
    timeout_seconds: float = Field(1.5, gt=0, le=10)
    crisis: dict[ModerationCategory, Threshold] = Field(default_factory=_crisis_thresholds)
    sexual: dict[ModerationCategory, Threshold] = Field(default_factory=_sexual_thresholds)
    concern: dict[ModerationCategory, Threshold] = Field(default_factory=_concern_thresholds)
    model_verdict: bool = Field(
        True,
        description="a chat model that keeps to a JSON schema also gives its own reading of the fan's "
        "message (crisis, abuse, danger, sexual, ...) in the same call; a flag answers with the safety reply",
    )


class Lifecycle(Strict):
    """The watch on the configured models' shutdown dates (``GET /v1/models``)."""

    warn_days: int = Field(30, ge=1, le=365, description="warn this many days before a model shuts down")
    check_hours: float = Field(24, gt=0, description="how often the worker reads the dates")


class MediaConfig(Strict):
    """Fans' photos and voice notes (``core/media.py``): fetched from LINE, never kept, always priced."""

    photos: bool = Field(True, description="photos are seen by the model (False: her fixed media line)")
    voice: bool = Field(True, description="voice notes are transcribed and answered like a text")
    transcription_model: str = "gpt-transcribe"
    language: str | None = Field("ja", description="the language voice notes are transcribed as (ISO-639-1)")
    max_voice_seconds: float = Field(
        60, gt=0, le=600, description="a longer voice note gets her line, unheard"
    )
    max_image_bytes: int = Field(
        10_000_000, ge=100_000, description="a larger photo is not fetched past this"
    )
    max_audio_bytes: int = Field(
        10_000_000, ge=100_000, le=25_000_000, description="OpenAI takes at most 25 MB per transcription"
    )
    image_px: int = Field(512, ge=128, le=2048, description="the longer side a photo is scaled down to")
    jpeg_quality: int = Field(80, ge=30, le=95)
    images_per_turn: int = Field(4, ge=1, le=10, description="photos of one image set the model sees")
    image_set_wait_seconds: float = Field(
        5.0, ge=0, le=20, description="how long the first photo of a set waits for the others"
    )
    fetch_timeout_seconds: float = Field(10, gt=0, le=30)
    transcribe_timeout_seconds: float = Field(20, gt=0, le=40)
    per_user_daily: int = Field(10, ge=0, description="photo and voice turns per fan per day")
    group_window_seconds: float = Field(
        90, ge=0, description="in a group, a photo is answered when she answered that fan this recently"
    )
    concurrent: int = Field(
        2, ge=1, le=16, description="photos fetched and decoded at once per process (bounds the memory)"
    )


class SisterOverride(Strict):
    tiers: Tiers | None = None
    router: RouterConfig | None = None


class BotConfig(Strict):
    tiers: Tiers = Tiers()
    router: RouterConfig = RouterConfig()
    models: dict[str, ModelProfile] = Field(default_factory=shipped_models)
    prices: dict[str, Price] = Field(default_factory=_default_prices)
    jpy_per_usd: float = Field(150.0, gt=0)
    budget: Budget = Budget()
    llm: LLMConfig = LLMConfig()
    learning: Learning = Learning()
    line: LineConfig = LineConfig()
    nickname: Nickname = Nickname()

    safety: SafetySection = SafetySection()
    lifecycle: Lifecycle = Lifecycle()
    media: MediaConfig = MediaConfig()
    sisters: dict[str, SisterOverride] = Field(default_factory=dict)

    @field_validator("models", mode="before")
    @classmethod
    def _merge_models(cls, value):
        """An operator's ``models:`` entry replaces that model's profile; the others stay shipped."""
        return {**shipped_models(), **(value or {})}

    @field_validator("prices", mode="before")
    @classmethod
    def _merge_prices(cls, value):
        """``prices:`` merges per model and per field: ``{gpt-6-luna: {output: 0.6}}`` changes one
        figure; a model not shipped needs at least input and output."""
        merged = {name: p.model_dump(exclude_none=True) for name, p in _default_prices().items()}
        for name, fields in (value or {}).items():
            if isinstance(fields, Price):
                fields = fields.model_dump(exclude_none=True)
            # not a mapping: left as given, so that validation says what is wrong with it
            merged[name] = {**merged.get(name, {}), **fields} if isinstance(fields, dict) else fields
        return merged

    @model_validator(mode="after")
    def _tiers_fit_their_models(self):
        """A tier setting its model's profile says it refuses (a typo in an effort would otherwise
        fail every call): refused when the configuration is read."""
        for who, name, tier in self.all_tiers():
            profile = self.profile(tier.model)
            where = f"tiers.{name}" if who == "all" else f"sisters.{who}.tiers.{name}"
            if profile is None:
                continue
            if profile.kind != "chat":
                raise ValueError(f"{where}.model: {tier.model} is a {profile.kind} model, not a chat model")
            effort = tier.reasoning_effort
            if effort is not None and effort not in profile.efforts:
                accepted = ", ".join(profile.efforts) or "none: leave reasoning_effort out"
                raise ValueError(
                    f"{where}.reasoning_effort: {tier.model} does not take {effort!r} ({accepted})"
                )
        heard = self.profile(self.media.transcription_model)
        if heard is not None and heard.kind != "transcription":
            raise ValueError(
                f"media.transcription_model: {self.media.transcription_model} is a {heard.kind} model, "
                "not a transcription model"
            )
        return self

    def profile(self, model: str | None) -> ModelProfile | None:
        """The model's profile: its own, else the longest known prefix (gpt-4o-mini-2024-07-18 →
        gpt-4o-mini); None for a model nobody described (a local server's)."""
        return _longest_prefix(self.models, model)

    def all_tiers(self) -> list[tuple[str, str, Tier]]:
        """(who, tier name, tier) of every configured tier: the shared ones, then per-sister overrides."""
        out = [("all", "cheap", self.tiers.cheap), ("all", "strong", self.tiers.strong)]
        for sister, override in sorted(self.sisters.items()):
            if override.tiers is not None:
                out += [(sister, "cheap", override.tiers.cheap), (sister, "strong", override.tiers.strong)]
        return out

    def tiers_for(self, sister: str) -> Tiers:
        override = self.sisters.get(sister)
        return override.tiers if override and override.tiers else self.tiers

    def router_for(self, sister: str) -> RouterConfig:
        override = self.sisters.get(sister)
        return override.router if override and override.router else self.router

    def price(self, model: str | None) -> Price:
        """The model's prices; an unknown model (a local server) gets the longest known prefix, else free."""
        return _longest_prefix(self.prices, model) or FREE

    def price_yen(
        self,
        model: str,
        prompt_tokens: int,
        completion_tokens: int,
        cached_tokens: int = 0,
        cache_write_tokens: int = 0,
    ) -> float:
        """Yen for one call as OpenAI bills it: ``cached_tokens`` of the prompt at the cached-input
        price, ``cache_write_tokens`` at the cache-write price, the rest at the input price; the
        completion (reasoning tokens included) at the output price."""
        price = self.price(model)
        cached = min(max(cached_tokens, 0), prompt_tokens)
        written = min(max(cache_write_tokens, 0), prompt_tokens - cached)
        usd = (
            (prompt_tokens - cached - written) * price.input
            + cached * price.cached
            + written * price.write
            + completion_tokens * price.output
        ) / 1_000_000
        return usd * self.jpy_per_usd

    def minutes_yen(self, model: str | None, seconds: float) -> float:
        """Yen for ``seconds`` of audio transcribed by ``model`` (billed per minute, by the second)."""
        per_minute = self.price(model).per_minute or 0.0
        return max(seconds, 0.0) / 60 * per_minute * self.jpy_per_usd

    def takes_images(self, model: str | None) -> bool:
        """Whether ``model`` takes image parts in a chat request (a model nobody described: assumed not)."""
        profile = self.profile(model)
        return profile is not None and profile.images

    def cache_saving_yen(self, model: str | None, cached_tokens: int) -> float:
        """What ``cached_tokens`` would have cost more at the full input price."""
        price = self.price(model)
        return max(cached_tokens, 0) * (price.input - price.cached) / 1_000_000 * self.jpy_per_usd


def _longest_prefix(table: dict, model: str | None):
    if not model:
        return None
    found = table.get(model)
    if found is None:
        known = [m for m in table if model.startswith(m)]
        found = table[max(known, key=len)] if known else None
    return found


def load_config(path: Path) -> BotConfig:
    if not path.is_file():
        raise SettingsError(f"BOTAN_CONFIG: no such file {path}")
    try:
        data, lines = load_with_lines(path)
        return validate(BotConfig, data, path, lines)
    except YamlProblem as exc:
        raise SettingsError(f"BOTAN_CONFIG: {exc.problems[0]}") from None
