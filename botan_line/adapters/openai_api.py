"""The OpenAI edge: one chat completion with explicit timeouts and bounded, deadline-aware retries.

Retries are ours, never the client's: a 429 or 5xx that says when to come back (``retry-after-ms``,
``Retry-After`` in seconds or as an HTTP date) is retried no sooner than that, others after an
exponential backoff; both with random jitter, so workers that were refused together do not come
back together; and no retry starts that could not finish before the reply-token deadline.

Any OpenAI-compatible server works (OPENAI_BASE_URL: a local Ollama, another provider).
"""

from __future__ import annotations

import logging
import random
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

# openai imports its aiohttp transport whenever aiohttp is installed (the LINE SDK installs it) — 9 MB
# in the one process that runs Layer 2, for an asyncio client this bot never uses. A None entry in
# sys.modules makes that optional import fail as if aiohttp were absent (tests/test_openai_api.py).
sys.modules.setdefault("openai._vendor.httpx_aiohttp", None)

import openai  # noqa: E402

log = logging.getLogger(__name__)

MIN_ATTEMPT_SECONDS = 1.0  # a retry with less time than this before the deadline is not started
JITTER = 0.25  # a server's Retry-After is stretched by up to this share (at least 0.1 s)


@dataclass(frozen=True)
class Completion:
    text: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    usage_reported: bool
    latency_ms: float
    cached_tokens: int = 0  # of prompt_tokens, served from the provider's prompt cache


def retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds the server asked us to wait (``retry-after-ms``, then ``Retry-After``), or None.

    ``now`` is the wall clock (epoch seconds), for a ``Retry-After`` given as an HTTP date."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            value = float(ms) / 1000
            if value >= 0:
                return value
        except ValueError:
            pass
    raw = (headers.get("retry-after") or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        try:
            value = parsedate_to_datetime(raw).timestamp() - now
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    return max(value, 0.0) if value == value else None  # NaN: no hint


def _cached_tokens(usage) -> int:
    details = getattr(usage, "prompt_tokens_details", None)
    cached = getattr(details, "cached_tokens", None) if details is not None else None
    return cached if isinstance(cached, int) and cached > 0 else 0


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
        wall: Callable[[], float] = time.time,
        rng: random.Random | None = None,
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
        self.wall = wall
        self.rng = rng or random.Random()

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
                    cached_tokens=_cached_tokens(usage) if usage else 0,
                )
            except RETRYABLE as exc:
                reason = type(exc).__name__
                response = getattr(exc, "response", None)
                hint = retry_after(response.headers, self.wall()) if response is not None else None
            except openai.APIStatusError as exc:  # 4xx other than 429: retrying will not help
                log.warning("LLM request refused: HTTP %s", exc.status_code)
                raise LLMUnavailable(f"http_{exc.status_code}") from None
            except (openai.APIError, ValueError, AttributeError, IndexError, TypeError) as exc:
                # malformed JSON or a response without the expected shape
                log.warning("LLM response unusable: %s", type(exc).__name__)
                reason, hint = "malformed_response", None
            attempt += 1
            wait = self.backoff(attempt, hint)
            if attempt > self.max_retries or self.monotonic() + wait + MIN_ATTEMPT_SECONDS > deadline:
                log.warning("LLM unavailable after %d attempt(s): %s", attempt, reason)
                raise LLMUnavailable(reason)
            self.sleep(wait)

    def backoff(self, attempt: int, hint: float | None) -> float:
        """Seconds before retry ``attempt`` (1, 2, ...): the server's hint stretched by up to
        ``JITTER``, else an exponential backoff of which a random half is kept ("equal jitter")."""
        if hint is not None:
            return hint + self.rng.uniform(0, max(0.1, JITTER * hint))
        base = min(4.0, 0.5 * 2 ** (attempt - 1))
        return base / 2 + self.rng.uniform(0, base / 2)

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
