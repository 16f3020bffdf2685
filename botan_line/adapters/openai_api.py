"""The OpenAI edge: one chat completion with explicit timeouts and bounded, deadline-aware retries.

Any OpenAI-compatible server works (OPENAI_BASE_URL: a local Ollama, another provider).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import openai

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Completion:
    text: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    usage_reported: bool
    latency_ms: float


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


class LLMUnavailable(Exception):
    """Every attempt failed; ``reason`` is a short code for the ledger."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


RETRYABLE = (
    openai.RateLimitError,
    openai.InternalServerError,
    openai.APITimeoutError,
    openai.APIConnectionError,
)


class LLM:
    def __init__(
        self,
        api_key: str,
        base_url: str,
        *,
        timeout: float,
        max_retries: int,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.client = openai.OpenAI(
            api_key=api_key or "not-needed",  # local OpenAI-compatible servers accept any key
            base_url=base_url or None,
            timeout=timeout,
            max_retries=0,  # retries are ours: they must fit inside the reply-token window
        )
        self.timeout = timeout
        self.max_retries = max_retries
        self.sleep = sleep
        self.monotonic = monotonic

    def complete(
        self, model: str, messages: list[dict], *, temperature: float, max_tokens: int, deadline: float
    ) -> Completion:
        """``deadline`` is a monotonic time after which no new attempt starts."""
        attempt = 0
        while True:
            started = self.monotonic()
            timeout = max(0.1, min(self.timeout, deadline - started))  # never outlive the reply window
            try:
                resp = self.client.with_options(timeout=timeout).chat.completions.create(
                    model=model, messages=messages, temperature=temperature, max_tokens=max_tokens
                )
                choice = resp.choices[0] if resp.choices else None
                text = (choice.message.content or "") if choice and choice.message else ""
                usage = resp.usage
                return Completion(
                    text=text,
                    model=resp.model or model,
                    prompt_tokens=usage.prompt_tokens if usage else 0,
                    completion_tokens=usage.completion_tokens if usage else 0,
                    usage_reported=usage is not None,
                    latency_ms=(self.monotonic() - started) * 1000,
                )
            except RETRYABLE as exc:
                reason = type(exc).__name__
            except openai.APIStatusError as exc:  # 4xx other than 429: retrying will not help
                log.warning("LLM request refused: HTTP %s", exc.status_code)
                raise LLMUnavailable(f"http_{exc.status_code}") from None
            except (openai.APIError, ValueError, AttributeError, IndexError, TypeError) as exc:
                # malformed JSON or a response without the expected shape
                log.warning("LLM response unusable: %s", type(exc).__name__)
                reason = "malformed_response"
            attempt += 1
            backoff = min(4.0, 0.5 * 2 ** (attempt - 1))
            if attempt > self.max_retries or self.monotonic() + backoff >= deadline:
                log.warning("LLM unavailable after %d attempt(s): %s", attempt, reason)
                raise LLMUnavailable(reason)
            self.sleep(backoff)

    def moderate(self, text: str, *, model: str, timeout: float, deadline: float) -> Moderation:
        """OpenAI's moderation endpoint as a second opinion on ``text``: one attempt, never retried.

        ``timeout`` bounds the call and ``deadline`` (monotonic) caps it further; a timeout, an
        HTTP error or an odd answer returns ``Moderation(available=False, reason=…)`` so that the
        caller falls back to its own rules. Nothing of the message is logged."""
        started = self.monotonic()
        budget = min(timeout, deadline - started)
        if budget <= 0.05:
            return Moderation(False, reason="no_time")
        try:
            resp = self.client.with_options(timeout=budget).moderations.create(model=model, input=text)
            result = resp.results[0]
            scores = {
                k: float(v)
                for k, v in result.category_scores.model_dump(by_alias=True).items()
                if v is not None
            }
            return Moderation(
                True,
                scores,
                bool(result.flagged),
                resp.model or model,
                (self.monotonic() - started) * 1000,
            )
        except openai.APIStatusError as exc:
            reason = f"http_{exc.status_code}"
        except (openai.APIError, ValueError, AttributeError, IndexError, TypeError) as exc:
            reason = "timeout" if isinstance(exc, openai.APITimeoutError) else type(exc).__name__
        log.warning("moderation unavailable: %s", reason)
        return Moderation(False, reason=reason, latency_ms=(self.monotonic() - started) * 1000)
