"""Layer 2: the current sister answers through an OpenAI chat model.

Order of checks: kill switch → monthly budget (hard stop, soft = cheap tier only) → per-user daily
cap → route → call → guard → (one retry on the other tier or a cooler temperature) → price.
The user never sees a rejected text: the caller falls back to the sister's fixed lines.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from botan_line.adapters.openai_api import LLM, LLMUnavailable
from botan_line.clock import month_bounds
from botan_line.config import BotConfig
from botan_line.core.guard import check_reply
from botan_line.core.router import CHEAP, STRONG, Route, importance

log = logging.getLogger(__name__)

PAUSED_KEY = "layer2_paused"
BUDGET_KEY = "budget_monthly_yen"


@dataclass
class L2Result:
    text: str | None  # None: answer with the persona lines named by ``lines``
    lines: str = "fallback"  # fallback | daily_cap | budget_stop
    route: Route | None = None
    model: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    yen: float = 0.0
    strong_yen: float = 0.0
    latency_ms: float = 0.0
    guard: str | None = None
    notices: list[str] = field(default_factory=list)  # one-time messages for the admins


def prompt_fragments(system_prompt: str, size: int = 16) -> list[str]:
    lines = [ln.strip() for ln in system_prompt.splitlines() if len(ln.strip()) >= size]
    return [ln[:size] for ln in lines]


def build_messages(
    system_prompt: str, history: list[tuple[str, str]], text: str, cfg: BotConfig
) -> list[dict]:
    """Fixed system prefix (provider prompt caching), bounded history, the truncated message."""
    budget = cfg.llm.history_tokens
    kept: list[dict] = []
    for role, content in reversed(history[-cfg.llm.history_turns * 2 :] if cfg.llm.history_turns else []):
        cost = len(content) + 4  # Japanese: about one token per character
        if cost > budget:
            break
        budget -= cost
        kept.append({"role": role, "content": content})
    kept.reverse()
    if kept and kept[0]["role"] == "assistant":
        kept = kept[1:]
    return [
        {"role": "system", "content": system_prompt},
        *kept,
        {"role": "user", "content": text[: cfg.llm.max_input_chars]},
    ]


class Layer2:
    def __init__(
        self, llm: LLM | None, cfg: BotConfig, store, monotonic: Callable[[], float] = time.monotonic
    ):
        self.llm = llm
        self.cfg = cfg
        self.store = store
        self.monotonic = monotonic

    @property
    def enabled(self) -> bool:
        return self.llm is not None

    def monthly_budget(self) -> float:
        raw = self.store.get_state(BUDGET_KEY)
        try:
            value = float(raw) if raw else None
        except ValueError:
            value = None
        return (
            value
            if value is not None and math.isfinite(value) and value >= 0
            else self.cfg.budget.monthly_yen
        )

    def answer(
        self,
        *,
        persona,
        user,
        text: str,
        now: datetime,
        switched: bool,
        on_slow: Callable[[], None],
        time_left: float | None = None,
    ) -> L2Result:
        """``time_left``: seconds until the reply token expires; every attempt must end before it."""
        if self.llm is None or self.store.get_state(PAUSED_KEY) == "1":
            return L2Result(None, "fallback", guard="layer2_off")
        budget = self.monthly_budget()
        spent = self.store.spent_yen(*month_bounds(now))
        month = now.strftime("%Y-%m")
        notices: list[str] = []
        if budget <= 0 or spent >= budget:
            if self.store.set_state_once(f"budget_notice:{month}:hard", "1"):
                notices.append(
                    f"今月のLayer 2予算（¥{budget:,.0f}）に達しました。月が変わるまでLayer 1と定型文だけで応答します。"
                )
            return L2Result(None, "budget_stop", guard="budget_hard", notices=notices)
        soft = spent >= budget * self.cfg.budget.soft_ratio
        if soft and self.store.set_state_once(f"budget_notice:{month}:soft", "1"):
            notices.append(
                f"今月の予算の{self.cfg.budget.soft_ratio:.0%}を超えました（¥{spent:,.0f} / ¥{budget:,.0f}）。"
                "以後は安いモデルだけを使います。"
            )
        if not self.store.take_daily_call(
            user.user_id, now.strftime("%Y-%m-%d"), self.cfg.budget.per_user_daily_calls
        ):
            return L2Result(None, "daily_cap", guard="daily_cap", notices=notices)

        tiers = self.cfg.tiers_for(persona.id)
        route = importance(
            text,
            new_user=user.messages < self.cfg.router_for(persona.id).new_user_messages,
            switched=switched,
            cfg=self.cfg.router_for(persona.id),
        )
        tier_name = CHEAP if soft else route.tier
        history = self.store.recent_history(user.user_id, persona.id, self.cfg.llm.history_turns)
        messages = build_messages(persona.system_prompt, history, text, self.cfg)
        fragments = prompt_fragments(persona.system_prompt)
        budget_s = (
            self.cfg.llm.deadline_seconds
            if time_left is None
            else min(self.cfg.llm.deadline_seconds, time_left)
        )
        if budget_s < 1.0:
            return L2Result(None, "fallback", route=route, guard="no_time_left", notices=notices)
        deadline = self.monotonic() + budget_s
        on_slow()

        result = L2Result(None, "fallback", route=route, notices=notices)
        verdicts: list[str] = []
        # one retry after a rejected output: the other tier, or a cooler temperature under budget pressure
        retry = (CHEAP, 0.3) if tier_name == STRONG or soft else (STRONG, None)
        for name, temperature in ((tier_name, None), retry):
            tier = getattr(tiers, name)
            try:
                done = self.llm.complete(
                    tier.model,
                    messages,
                    temperature=temperature if temperature is not None else tier.temperature,
                    max_tokens=tier.max_tokens,
                    deadline=deadline,
                )
            except LLMUnavailable as exc:
                verdicts.append(f"error:{exc.reason}")
                break
            result.model = done.model if done.model else tier.model
            prompt_tokens, completion_tokens = done.prompt_tokens, done.completion_tokens
            if not done.usage_reported:  # some local servers omit usage: estimate, ~1 token per character
                prompt_tokens = sum(len(m["content"]) for m in messages)
                completion_tokens = len(done.text)
            result.prompt_tokens += prompt_tokens
            result.completion_tokens += completion_tokens
            result.latency_ms += done.latency_ms
            result.yen += self.cfg.price_yen(tier.model, prompt_tokens, completion_tokens)
            result.strong_yen += self.cfg.price_yen(tiers.strong.model, prompt_tokens, completion_tokens)
            result.route = Route(name, route.score, route.reasons)
            verdict = check_reply(
                done.text,
                forbidden=persona.rules.forbidden,
                max_sentences=persona.rules.max_sentences,
                max_chars=self.cfg.llm.max_output_chars,
                prompt_fragments=fragments,
            )
            if verdict.ok:
                verdicts.append("pass")
                result.text = verdict.cleaned
                break
            verdicts.append(f"reject:{verdict.reason}")
            if self.monotonic() >= deadline:
                break
        result.guard = ",".join(verdicts)
        return result
