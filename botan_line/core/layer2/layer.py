"""Layer 2: the current sister answers through an OpenAI chat model.

``answer`` (fast, no network) checks, in order: kill switch → monthly budget (hard stop; soft =
cheap tier only) → per-user daily cap → route, and returns the prepared call as a Deferred.
``run`` (slow) asks OpenAI's moderation endpoint for a second opinion (when configured) → makes
the call → guard → one retry on the other tier or a cooler temperature → price. Its side effects
(the daily counter, the one-time budget notices) travel in the Decision. The user never sees a
rejected text: a failed call ends in one of her fallback lines.

A *concern* (worrying but not clear, from the safety rules or from moderation) always gets the
strong tier with ``safety.yaml``'s ``concern_instruction`` as a system message after the persona
prompt (the cached prefix stays first), even under budget pressure; anything that stops it from
answering (budget, cap, no time left, a failed call) ends in her gentle ``concern`` line, never in
a joking fallback.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace

from botan_line.config import BotConfig
from botan_line.core import safety
from botan_line.core.conversation import Deferred, TurnContext
from botan_line.core.fallback import fallback
from botan_line.core.guard import check_reply
from botan_line.core.layer2 import profiles, prompt
from botan_line.core.layer2.budget import budget
from botan_line.core.layer2.tiers import (
    STRONG,
    TIERS,
    Route,
    down_key,
    failover,
    first_tier,
    importance,
    other,
    retry_tier,
    strong_allowed,
)
from botan_line.core.layers import safety_decision
from botan_line.core.memory import nickname_in, remembered
from botan_line.core.model import CountCall, CountTier, Decision, Effect, NoticeOnce, SetState
from botan_line.core.notices import stream_note
from botan_line.core.ports import Completion, LLMUnavailable, Model, ModelGone, Reads

PAUSED_KEY = "layer2_paused"
SERIOUS = safety.EMERGENCY | {safety.SEXUAL}  # a reading of the chat model's that replaces her reply
MIN_CALL_SECONDS = 1.0  # less reply-token life than this: don't start a call nobody will see


def build_messages(
    ctx: TurnContext, text: str, cfg: BotConfig, nickname: str | None = None, instruction: str | None = None
) -> list[dict]:
    """Her fixed part (the same bytes for every fan: the provider caches it), this fan's nickname
    and facts, the bounded history, the truncated message (``core/layer2/prompt.py``); ``instruction`` (a
    concern) goes just before the message, after everything cacheable."""
    uid, sister = ctx.user.user_id, ctx.sister
    messages = prompt.build_messages(
        prompt.fixed_prompt(ctx.chars, sister, cfg.llm.style_prefix_tokens),
        prompt.fan_note(nickname or ctx.user.nickname, ctx.reads.facts(uid), ctx.now.date()),
        ctx.reads.history(uid, sister, cfg.llm.history_turns),
        text,
        history_turns=cfg.llm.history_turns,
        history_tokens=cfg.llm.history_tokens,
        max_input_chars=cfg.llm.max_input_chars,
        streams=stream_note(ctx.reads, ctx.chars, sister, ctx.now),  # what recent notices announced
    )
    return with_instruction(messages, instruction) if instruction else messages


def with_instruction(messages: list[dict], instruction: str) -> list[dict]:
    """The same messages with a system ``instruction`` just before the fan's message."""
    return [*messages[:-1], {"role": "system", "content": instruction}, messages[-1]]


@dataclass
class Spent:
    """What the attempts of one turn cost, as its ledger row keeps it."""

    tier: str | None = None
    model: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0  # reasoning tokens included: OpenAI bills them as output
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    cache_write_tokens: int = 0
    yen: float = 0.0
    strong_yen: float = 0.0  # the same tokens on the strong tier's model

    def add(self, done: Completion, messages: list[dict], tier: str, model: str, strong: str, cfg: BotConfig):
        prompt_tokens, completion_tokens = done.prompt_tokens, done.completion_tokens
        if not done.usage_reported:  # some local servers omit usage: estimate, ~1 token per character
            profile = cfg.profile(model)
            per_image = (profile.image_tokens if profile else None) or prompt.patches(512, 512)
            prompt_tokens = sum(
                len(prompt.text_of(m["content"])) + per_image * prompt.image_parts(m["content"])
                for m in messages
            )
            completion_tokens = len(done.text)
        cached = min(done.cached_tokens, prompt_tokens)
        written = min(done.cache_write_tokens, prompt_tokens - cached)
        self.tier, self.model = tier, done.model or model
        self.prompt_tokens += prompt_tokens
        self.completion_tokens += completion_tokens
        self.cached_tokens += cached
        self.reasoning_tokens += min(done.reasoning_tokens, completion_tokens)
        self.cache_write_tokens += written
        self.yen += cfg.price_yen(model, prompt_tokens, completion_tokens, cached, written)
        self.strong_yen += cfg.price_yen(strong, prompt_tokens, completion_tokens, cached, written)

    def ledger(self) -> dict:
        return asdict(self)


@dataclass
class Layer2Call:
    """A model call decided in the fast lane. Its prompt (history, facts: reads a greeting never
    needs) is built by ``run``, in the slow lane, unless the caller built it already."""

    route: Route
    tier: str  # the tier to try first
    soft: bool  # budget pressure: cheap tier only, cooler retry
    text: str  # what the fan said (bubbles joined)
    nickname: str | None = None  # asked for in merged bubbles: in the prompt already
    instruction: str | None = None  # a concern's careful instruction
    effects: list[Effect] = field(default_factory=list)
    concern: safety.SafetyVerdict | None = None  # the rules found it worrying: strong tier, careful
    messages: list[dict] | None = None
    down: frozenset[str] = frozenset()  # tiers whose model was gone today (their calls fail over)
    images: int = 0  # photos in the fan's message (``core/media.py``): only a model that takes images

    @property
    def built(self) -> list[dict]:
        """The messages, once ``Layer2.prompt`` built them (in the Layer 2 lane, before the call)."""
        if self.messages is None:
            raise ValueError("the prompt is built before the call")
        return self.messages


class Layer2:
    name = "layer2"
    counts_as_message = True

    def __init__(self, llm: Model | None, cfg: BotConfig, monotonic: Callable[[], float] = time.monotonic):
        self.llm = llm
        self.cfg = cfg
        self.monotonic = monotonic

    @property
    def enabled(self) -> bool:
        return self.llm is not None

    # --- fast: decide whether and how to call ------------------------------------------------
    def answer(
        self, ctx: TurnContext, concern: safety.SafetyVerdict | None = None
    ) -> Deferred | Decision | None:
        """None when Layer 2 is off or paused (the fallback layer answers; for a ``concern``, the
        safety layer's gentle line). ``concern``: the safety layer's verdict on a worrying message."""
        if self.llm is None or ctx.reads.state(PAUSED_KEY) == "1":
            return None
        b = budget(ctx.reads, self.cfg, ctx.now)
        month = ctx.now.strftime("%Y-%m")
        admins = tuple(sorted(ctx.admins))
        notices: list[Effect] = []
        if b.stopped:
            text = f"今月のLayer 2予算（¥{b.monthly:,.0f}）に達しました。月が変わるまでLayer 1と定型文だけで応答します。"
            notices.append(NoticeOnce(f"budget_notice:{month}:hard", text, admins))
            decision = fallback(ctx, "budget_hard", concern=concern, line="budget_stop")
            decision.effects += notices
            return decision
        if b.soft:
            text = (
                f"今月の予算の{self.cfg.budget.soft_ratio:.0%}を超えました（¥{b.spent:,.0f} / ¥{b.monthly:,.0f}）。"
                "以後は安いモデルだけを使います。"
            )
            notices.append(NoticeOnce(f"budget_notice:{month}:soft", text, admins))
        day = ctx.now.strftime("%Y-%m-%d")
        if ctx.reads.daily_calls(ctx.user.user_id, day) >= self.cfg.budget.per_user_daily_calls:
            decision = fallback(ctx, "daily_cap", concern=concern, line="daily_cap")
            decision.effects += notices
            return decision

        persona = ctx.persona
        router = self.cfg.router_for(persona.id)
        recently = (
            ctx.user.switched_at is not None
            and ctx.now.timestamp() - ctx.user.switched_at < router.switched_within_seconds
        )
        text = "\n".join([*ctx.turn.earlier, ctx.turn.text.strip()])
        route = importance(
            text,
            new_user=ctx.user.messages < router.new_user_messages,
            switched=ctx.switched or recently,
            cfg=router,
        )
        wants_strong = not concern and not b.soft and route.tier == STRONG
        down = frozenset(t for t in TIERS if ctx.reads.state(down_key(day, t)))  # gone today: failed over
        tier, capped = first_tier(
            route.tier,
            concern=concern is not None,
            soft=b.soft,
            strong_ok=not wants_strong or self._strong_allowed(ctx.reads, day),
            down=down,
        )
        memory = remembered(ctx, self.cfg)  # facts shared, a nickname asked for in merged bubbles
        call = Layer2Call(
            route=route,
            tier=tier,
            soft=b.soft or capped,  # the day's strong share is spent: cheap only, like budget pressure
            text=text,
            nickname=nickname_in(memory),
            instruction=ctx.chars.safety.concern_instruction if concern else None,
            effects=[CountCall(ctx.user.user_id, day), CountTier(day, tier), *notices, *memory],
            concern=concern,
            down=down,
        )
        return Deferred(ctx, call, self)

    def prompt(self, ctx: TurnContext, call: Layer2Call) -> Layer2Call:
        """The call with its messages: her fixed part, this fan's note and history, the message."""
        if call.messages is not None:
            return call
        return replace(
            call, messages=build_messages(ctx, call.text, self.cfg, call.nickname, call.instruction)
        )

    def _strong_allowed(self, reads: Reads, day: str) -> bool:
        calls = reads.tier_calls(day)
        b = self.cfg.budget
        return strong_allowed(
            calls.get(STRONG, 0),
            sum(calls.values()),
            max_share=b.max_strong_share,
            grace=b.strong_grace_calls,
        )

    # --- slow: the second opinion ----------------------------------------------------------
    def _second_opinion(
        self, ctx: TurnContext, call: Layer2Call, deadline: float
    ) -> tuple[Layer2Call | Decision, str | None]:
        """OpenAI moderation on a message the rules did not decide, leaving the chat call at least
        ``MIN_CALL_SECONDS``: a crisis or sexual flag answers at once (the fixed crisis reply, never a
        model); a concern makes the call careful. Fails open: an unreachable endpoint changes nothing
        but the ledger. Returns the call (or the decision) and the ledger's safety signal."""
        cfg = self.cfg.safety
        moderate = getattr(self.llm, "moderate", None)
        if call.concern is not None or not cfg.moderation_enabled or moderate is None:
            return call, call.concern.signal if call.concern else None
        # what the model would answer (with photos: the fan's words; the photos were moderated already)
        text = call.text if call.images else call.built[-1]["content"]
        if not text.strip():
            return call, None
        result = moderate(
            text, model=cfg.model, timeout=cfg.timeout_seconds, deadline=deadline - MIN_CALL_SECONDS
        )
        if not result.available:
            return call, f"moderation_unavailable:{result.reason}"
        verdict = safety.from_moderation(result, cfg)
        if verdict is None:
            return call, None
        if verdict.kind != safety.CONCERN:
            decision = safety_decision(ctx, verdict).record(score=call.route.score)
            decision.effects += [
                e for e in call.effects if not isinstance(e, CountCall | CountTier)
            ]  # no chat call
            return decision, verdict.signal
        instruction = ctx.chars.safety.concern_instruction
        careful = replace(
            call,
            tier=failover(STRONG, call.down) or STRONG,
            concern=verdict,
            messages=with_instruction(call.built, instruction),
        )
        return careful, verdict.signal

    # --- slow: the call ----------------------------------------------------------------------
    def run(self, ctx: TurnContext, call: Layer2Call, time_left: float | None = None) -> Decision:
        """Call, guard, retry once, price. ``time_left``: every attempt must end before the token expires."""
        limit = (
            self.cfg.llm.deadline_seconds
            if time_left is None
            else min(self.cfg.llm.deadline_seconds, time_left)
        )
        if limit < MIN_CALL_SECONDS:
            decision = fallback(ctx, "no_time_left", concern=call.concern, score=call.route.score)
            decision.effects += [e for e in call.effects if not isinstance(e, CountCall | CountTier)]
            return decision
        deadline = self.monotonic() + limit
        llm = self.llm
        if llm is None:  # a Deferred call exists only when a model is configured
            raise RuntimeError("Layer 2 has no model to call")
        call = self.prompt(ctx, call)
        checked, signal = self._second_opinion(ctx, call, deadline)
        if isinstance(checked, Decision):
            return checked
        call = checked
        persona = ctx.persona
        tiers = self.cfg.tiers_for(persona.id)
        fragments = prompt.guard_fragments(ctx.chars, persona.id)
        spent = Spent()
        verdicts: list[str] = []
        effects: list[Effect] = []
        down = set(call.down)
        text = None
        reading: safety.SafetyVerdict | None = None  # the chat model's own reading of the message
        answers = 0
        name: str | None = call.tier
        cooler: float | None = None
        while name is not None:
            tier = getattr(tiers, name)
            if call.images and not self.cfg.takes_images(tier.model):  # never a photo to a model without eyes
                verdicts.append(f"no_images:{name}")
                down.add(name)
                name = failover(name, down)
                continue
            try:
                ask = profiles.ask(tier, self.cfg, temperature=cooler, verdict=self.cfg.safety.model_verdict)
                done = llm.complete(ask, call.built, deadline=deadline)
            except ModelGone as exc:  # this tier fails over for the rest of the day; not a retry
                verdicts.append(f"gone:{name}")
                effects += self._gone(ctx, name, exc, tiers)
                down.add(name)
                name = failover(name, down)
                continue
            except LLMUnavailable as exc:
                verdicts.append(f"error:{exc.reason}")
                break
            spent.add(done, call.built, name, tier.model, tiers.strong.model, self.cfg)
            verdict = check_reply(
                done.text,
                forbidden=persona.rules.forbidden,
                max_sentences=persona.rules.max_sentences,
                max_chars=self.cfg.llm.max_output_chars,
                prompt_fragments=fragments,
                names=ctx.chars.speaker_names,
            )
            if verdict.ok:
                verdicts.append("pass")
                text = verdict.cleaned
                reading = safety.from_chat_model(done.risk)
                break
            verdicts.append(f"reject:{verdict.reason}")
            answers += 1
            if answers >= 2 or self.monotonic() >= deadline:
                break
            # one retry: the other tier, or a cooler temperature under budget pressure (a concern
            # stays on the strong tier, cooler)
            name, cooler = retry_tier(name, soft=call.soft, concern=call.concern is not None, down=down)
        ledger = spent.ledger()
        guard = ",".join(verdicts)
        if reading is not None and reading.kind in SERIOUS:
            # the model read danger, a crisis, abuse or a sexual message that the rules and the reader
            # missed: the safety layer's fixed reply instead of her text (the call is still paid)
            decision = safety_decision(ctx, reading).record(score=call.route.score, guard=guard, **ledger)
            decision.effects += [*call.effects, *effects]
            return decision
        if reading is not None:  # a concern or a personal question: her careful reply stands, noted
            signal = signal or reading.signal
        if text is not None:
            decision = ctx.reply(text, "layer2", score=call.route.score, guard=guard,
                                 normalized=ctx.learnable(call.concern or reading), reply=text,
                                 safety=signal, **ledger)  # fmt: skip
        else:
            if not ledger["model"]:
                ledger["tier"] = None  # no model answered: no tier to count
            decision = fallback(ctx, guard, concern=call.concern, score=call.route.score, **ledger)
            decision.record(safety=signal)
        decision.effects += [*call.effects, *effects]
        return decision

    def _gone(self, ctx: TurnContext, name: str, exc: ModelGone, tiers) -> list[Effect]:
        """The tier ``name``'s model is gone: its calls go to the other tier for the rest of the day
        (the shared state every worker reads), and the admins are told once."""
        day = ctx.now.strftime("%Y-%m-%d")
        profile = self.cfg.profile(exc.model)
        instead = f"（例: {profile.replacement}）" if profile and profile.replacement else ""
        backup = getattr(tiers, other(name)).model
        text = (
            f"⚠️ モデル {exc.model}（{name}）が使えません（{exc.reason}）。今日は{name}の応答を"
            f"{other(name)}（{backup}）で返します。BOTAN_CONFIG の tiers.{name}.model を今のモデル{instead}に変えてください。"
        )
        admins = tuple(sorted(ctx.admins))
        return [SetState(down_key(day, name), exc.model), NoticeOnce(f"model_gone:{exc.model}", text, admins)]
