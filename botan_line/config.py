"""The optional BOTAN_CONFIG YAML: tiers, router weights, prices, budget, limits.

Every field has a default, so the bot runs without a file. Unknown fields are errors.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from botan_line.characters.yamlio import YamlProblem, load_with_lines, validate
from botan_line.errors import SettingsError


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Tier(Strict):
    model: str
    temperature: float = Field(0.8, ge=0, le=2)
    max_tokens: int = Field(200, ge=16, le=4000)


class Tiers(Strict):
    cheap: Tier = Tier(model="gpt-4o-mini")
    strong: Tier = Tier(model="gpt-4o")


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
    output: float = Field(ge=0, description="USD per 1M output tokens")
    cached_input: float | None = Field(
        None, ge=0, description="USD per 1M cached prompt tokens; omitted: the input price (no discount)"
    )

    @property
    def cached(self) -> float:
        return self.input if self.cached_input is None else self.cached_input


DEFAULT_PRICES = {  # DESIGN §6 and §8: cached input is half price on both
    "gpt-4o": Price(input=2.50, output=10.00, cached_input=1.25),
    "gpt-4o-mini": Price(input=0.15, output=0.60, cached_input=0.075),
}
FREE = Price(input=0, output=0)


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
        10, gt=0, description="how often the worker reads the quota from LINE"
    )
    announce_expiry_minutes: float = Field(
        10, gt=0, description="an unconfirmed /announce is dropped after this"
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


class SafetySection(Strict):
    """OpenAI moderation as a second opinion on messages the safety rules did not decide.

    A kind applies when any of its categories scores at or above its threshold; crisis is checked
    first, then sexual, then concern. Fails open to the rules when the call is slow or fails."""

    moderation_enabled: bool = Field(
        True, description="ask the moderation endpoint when Layer 2 is configured"
    )
    model: str = "omni-moderation-latest"
    timeout_seconds: float = Field(1.5, gt=0, le=10)
    crisis: dict[ModerationCategory, Threshold] = Field(
        default_factory=lambda: {"self-harm/intent": 0.5, "self-harm/instructions": 0.5, "self-harm": 0.7}
    )
    sexual: dict[ModerationCategory, Threshold] = Field(
        default_factory=lambda: {"sexual/minors": 0.3, "sexual": 0.6}
    )
    concern: dict[ModerationCategory, Threshold] = Field(default_factory=lambda: {"self-harm": 0.3})


class SisterOverride(Strict):
    tiers: Tiers | None = None
    router: RouterConfig | None = None


class BotConfig(Strict):
    tiers: Tiers = Tiers()
    router: RouterConfig = RouterConfig()
    prices: dict[str, Price] = Field(default_factory=lambda: dict(DEFAULT_PRICES))
    jpy_per_usd: float = Field(150.0, gt=0)
    budget: Budget = Budget()
    llm: LLMConfig = LLMConfig()
    learning: Learning = Learning()
    line: LineConfig = LineConfig()
    nickname: Nickname = Nickname()

    safety: SafetySection = SafetySection()
    sisters: dict[str, SisterOverride] = Field(default_factory=dict)

    def tiers_for(self, sister: str) -> Tiers:
        override = self.sisters.get(sister)
        return override.tiers if override and override.tiers else self.tiers

    def router_for(self, sister: str) -> RouterConfig:
        override = self.sisters.get(sister)
        return override.router if override and override.router else self.router

    def price(self, model: str | None) -> Price:
        """The model's prices; an unknown model (a local server) gets the longest known prefix, else free."""
        if not model:
            return FREE
        price = self.prices.get(model)
        if price is None:
            known = [m for m in self.prices if model.startswith(m)]
            price = self.prices[max(known, key=len)] if known else FREE
        return price

    def price_yen(
        self, model: str, prompt_tokens: int, completion_tokens: int, cached_tokens: int = 0
    ) -> float:
        """Yen for one call; ``cached_tokens`` of the prompt tokens are billed at the cached-input price."""
        price = self.price(model)
        cached = min(max(cached_tokens, 0), prompt_tokens)
        usd = (
            (prompt_tokens - cached) * price.input + cached * price.cached + completion_tokens * price.output
        ) / 1_000_000
        return usd * self.jpy_per_usd

    def cache_saving_yen(self, model: str | None, cached_tokens: int) -> float:
        """What ``cached_tokens`` would have cost more at the full input price."""
        price = self.price(model)
        return max(cached_tokens, 0) * (price.input - price.cached) / 1_000_000 * self.jpy_per_usd


def load_config(path: Path) -> BotConfig:
    if not path.is_file():
        raise SettingsError(f"BOTAN_CONFIG: no such file {path}")
    try:
        data, lines = load_with_lines(path)
        return validate(BotConfig, data, path, lines)
    except YamlProblem as exc:
        raise SettingsError(f"BOTAN_CONFIG: {exc.problems[0]}") from None
