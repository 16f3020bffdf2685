"""How a tier's model is asked: the parameters its profile says it takes (``botan_line/models.yaml``).

- A reasoning model gets ``max_completion_tokens`` (its reasoning tokens count against it, so an
  allowance for the effort is added to the reply's cap), ``reasoning_effort`` (the tier's, else the
  lowest it accepts: a chat line wants it fast and cheap), and a temperature only where it takes
  one (gpt-6-luna and gpt-6-sol at effort none; gpt-6.1-sol and gpt-6.2-sol never).
- A model of the gpt-4o generation gets ``max_completion_tokens`` and its temperature.
- A model nobody described (a local Ollama, llama.cpp or vLLM model, or one newer than the
  shipped file) gets what the bot always sent, ``max_tokens`` and a temperature; when OpenAI
  answers that it refuses one of them, the adapter adapts once and remembers
  (``adapters/openai_api.py``).
"""

from __future__ import annotations

from botan_line.config import BotConfig, ModelProfile, Tier
from botan_line.core.layer2 import verdict as reading
from botan_line.core.ports import Ask

# Output tokens a reply may spend reasoning at each effort, on top of the reply's own cap. OpenAI
# counts reasoning against max_completion_tokens: without room for it a reasoning model can end
# with finish_reason "length" and no text at all.
REASONING_ALLOWANCE = {"none": 0, "minimal": 256, "low": 1024, "medium": 4096, "high": 8192, "xhigh": 16384,
                       "max": 32768}  # fmt: skip


def effort_for(tier: Tier, profile: ModelProfile | None) -> str | None:
    """The effort to send: the tier's own, else the lowest the model accepts; None for a model
    that takes none (the gpt-4o generation) or that nobody described and the tier does not set."""
    if profile is None:
        return tier.reasoning_effort
    if not profile.efforts:
        return None
    return tier.reasoning_effort or profile.efforts[0]


def takes_sampling(profile: ModelProfile | None, effort: str | None) -> bool:
    if profile is None:
        return True
    return profile.sampling == "always" or (profile.sampling == "at_none" and effort in (None, "none"))


def ask(
    tier: Tier,
    cfg: BotConfig,
    *,
    temperature: float | None = None,
    offline: bool = False,
    verdict: bool = False,
) -> Ask:
    """The parameters one call on ``tier`` is sent with. ``temperature`` overrides the tier's (a
    cooler retry) where the model takes one; ``offline`` (drafting variations, ``botan-line vary``)
    asks for the Flex tier at half price on a model that offers it; ``verdict`` asks a model that
    keeps to a JSON schema for its own safety reading beside the reply (``verdict.py``)."""
    profile = cfg.profile(tier.model)
    effort = effort_for(tier, profile)
    sampled = temperature if temperature is not None else tier.temperature
    if profile is None:
        return Ask(tier.model, tier.max_output_tokens, "max_tokens", sampled, effort)
    allowance = REASONING_ALLOWANCE.get(effort or "none", 0) if profile.reasoning else 0
    return Ask(
        model=tier.model,
        max_tokens=tier.max_output_tokens + allowance,
        token_param=profile.token_param,
        temperature=sampled if takes_sampling(profile, effort) else None,
        effort=effort,
        service_tier="flex" if offline and profile.flex else None,
        response_format=reading.schema() if verdict and profile.structured else None,
    )
