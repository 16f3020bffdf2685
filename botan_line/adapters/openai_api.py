"""The OpenAI edge: chat completions with explicit timeouts, bounded deadline-aware retries, and
requests that adapt to what a model refuses; moderation (texts and images) and transcription.

Retries are ours, never the client's: a 429 or 5xx that says when to come back (``retry-after-ms``,
``Retry-After`` in seconds or as an HTTP date) is retried no sooner than that, others after an
exponential backoff; both with random jitter, so workers that were refused together do not come
back together; and no retry starts that could not finish before the reply-token deadline.

What a call is sent with comes from the model's profile (``core/layer2/profiles.py``). When OpenAI
still answers 400 ``unsupported_parameter`` / ``unsupported_value`` naming a parameter — a model
newer than the profiles, a local server's model renamed — the request is changed (``max_tokens`` →
``max_completion_tokens``, a temperature or an unknown parameter dropped, the reasoning effort
raised to one it accepts), sent again at once if the reply window allows, and the change is
remembered for that model and logged once. A model that is gone (404 ``model_not_found``) or
refuses what cannot be changed raises :class:`ModelGone`: Layer 2 fails over to the other tier.

Any OpenAI-compatible server works (OPENAI_BASE_URL: a local Ollama, another provider).
"""

from __future__ import annotations

import json
import logging
import random
import re
import sys
import threading
import time
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import cast

# openai imports its aiohttp transport whenever aiohttp is installed (the LINE SDK installs it) — 9 MB
# in the one process that runs Layer 2, for an asyncio client this bot never uses. A None entry in
# sys.modules makes that optional import fail as if aiohttp were absent (tests/test_openai_api.py);
# typeshed's sys.modules has no room for one.
cast("dict[str, types.ModuleType | None]", sys.modules).setdefault("openai._vendor.httpx_aiohttp", None)

import openai  # noqa: E402

from botan_line.config import EFFORTS  # noqa: E402
from botan_line.core.layer2.profiles import REASONING_ALLOWANCE  # noqa: E402
from botan_line.core.ports import (  # noqa: E402
    Ask,
    Completion,
    LLMUnavailable,
    ModelGone,
    ModelStatus,
    Moderation,
    Transcript,
)

__all__ = ["LLM", "Completion", "LLMUnavailable", "Moderation", "ModelGone", "retry_after"]

log = logging.getLogger(__name__)

MIN_ATTEMPT_SECONDS = 1.0  # a retry with less time than this before the deadline is not started
JITTER = 0.25  # a server's Retry-After is stretched by up to this share (at least 0.1 s)
MAX_ADAPTATIONS = 3  # changed requests per call (each fixes one parameter the model named)
REFUSED = ("unsupported_parameter", "unsupported_value")  # what OpenAI's 400s say of a parameter
RETRYABLE = (
    openai.RateLimitError,
    openai.InternalServerError,
    openai.APITimeoutError,
    openai.APIConnectionError,
)


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


def _detail(usage, group: str, name: str) -> int:
    details = getattr(usage, group, None)
    value = getattr(details, name, None) if details is not None else None
    return value if isinstance(value, int) and value > 0 else 0


def _reply_and_risk(content: str) -> tuple[str, str | None]:
    """Her reply and the model's reading from a structured answer. A server that ignored the
    format (a local one) answered in plain text: that is her reply, with no reading. A JSON answer
    cut short or of another shape gives no text (the guard rejects it, the turn retries), never
    a half object shown to a fan."""
    if not content.lstrip().startswith("{"):
        return content, None
    try:
        found = json.loads(content)
    except ValueError:
        log.warning("structured reply not readable (cut short?)")
        return "", None
    if not isinstance(found, dict) or not isinstance(found.get("reply"), str):
        log.warning("structured reply without a reply field")
        return "", None
    risk = found.get("risk")
    return found["reply"], risk if isinstance(risk, str) else None


@dataclass
class Adjustment:
    """What one model was found to refuse, applied to every later request for it."""

    token_param: str | None = None  # max_tokens ↔ max_completion_tokens
    extra_tokens: int = 0  # room for reasoning, once it turned out to be a reasoning model
    effort: str | None = None  # the lowest reasoning effort it accepts
    dropped: set[str] = field(default_factory=set)  # parameters it refuses outright


_SUPPORTED = re.compile(r"[Ss]upported values are:?\s*(.+)")
_QUOTED = re.compile(r"'([a-z]+)'")


def _raised_effort(current: str, message: str) -> str | None:
    """The effort to try after ``current`` was refused: the lowest the error lists as supported
    above it, else the next step up (minimal is gpt-5's own: skipped)."""
    listed = _SUPPORTED.search(message or "")
    above = EFFORTS[EFFORTS.index(current) + 1 :] if current in EFFORTS else ()
    if listed:
        named = set(_QUOTED.findall(listed.group(1)))
        return next((e for e in above if e in named), None)
    return next((e for e in above if e != "minimal"), None)


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
        self._adjusted: dict[str, Adjustment] = {}  # model → what it was found to refuse
        self._lock = threading.Lock()  # the Layer 2 pool's threads share the adjustments

    def complete(self, ask: Ask, messages: list[dict], *, deadline: float) -> Completion:
        """One chat completion as ``ask`` says (and as the model was found to take); ``deadline`` is
        a monotonic time after which no new attempt starts."""
        attempt = adaptations = 0
        while True:
            started = self.monotonic()
            timeout = max(0.1, min(self.timeout, deadline - started))  # never outlive the reply window
            params = self.params(ask, messages)
            try:
                resp = self.client.with_options(timeout=timeout).chat.completions.create(**params)
                return self._completion(resp, ask.model, started, "response_format" in params)
            except openai.NotFoundError as exc:
                if exc.code == "model_not_found" or exc.param == "model":
                    log.warning("model %s is not available: HTTP 404 %s", ask.model, exc.code)
                    raise ModelGone(ask.model, "model_not_found") from None
                log.warning("LLM request refused: HTTP 404")
                raise LLMUnavailable("http_404") from None
            except openai.BadRequestError as exc:
                if exc.code in REFUSED and adaptations < MAX_ADAPTATIONS and self._adapt(ask, params, exc):
                    adaptations += 1
                    if self.monotonic() + MIN_ATTEMPT_SECONDS <= deadline:
                        continue  # at once: the server did not ask us to wait
                    raise LLMUnavailable(f"no_time:{exc.code}") from None
                if exc.code in REFUSED or exc.code == "model_not_found" or exc.param == "model":
                    log.warning(
                        "model %s refuses the request for good: %s %s", ask.model, exc.code, exc.param
                    )
                    raise ModelGone(ask.model, str(exc.code or "http_400")[:30]) from None
                log.warning("LLM request refused: HTTP 400 %s", exc.code or "")
                raise LLMUnavailable("http_400") from None
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

    def params(self, ask: Ask, messages: list[dict]) -> dict:
        """The request body's parameters: ``ask``, with what this model was found to refuse changed."""
        with self._lock:
            adj = self._adjusted.get(ask.model) or Adjustment()
            dropped = set(adj.dropped)
        params: dict = {"model": ask.model, "messages": messages}
        token_param = adj.token_param or ask.token_param
        params[token_param] = ask.max_tokens + adj.extra_tokens
        optional = {"temperature": ask.temperature, "service_tier": ask.service_tier,
                    "response_format": ask.response_format}  # fmt: skip
        effort = ask.effort
        if adj.effort and (effort is None or EFFORTS.index(adj.effort) > EFFORTS.index(effort)):
            effort = adj.effort
        optional["reasoning_effort"] = effort
        params.update({k: v for k, v in optional.items() if v is not None and k not in dropped})
        return params

    def _adapt(self, ask: Ask, sent: dict, exc: openai.BadRequestError) -> bool:
        """Change what this model is sent so that the refusal ``exc`` names does not happen again;
        False when nothing we sent can be changed for it."""
        param = str(exc.param or "")
        message = str(getattr(exc, "message", "") or "")
        with self._lock:
            adj = self._adjusted.setdefault(ask.model, Adjustment())
            if param == "max_tokens" and "max_tokens" in sent:
                adj.token_param = "max_completion_tokens"  # a reasoning model: leave room to reason
                adj.extra_tokens = REASONING_ALLOWANCE["medium"] if ask.effort is None else 0
                change = "max_completion_tokens instead"
            elif param == "max_completion_tokens" and "max_completion_tokens" in sent:
                adj.token_param, change = "max_tokens", "max_tokens instead"
            elif param == "reasoning_effort" and exc.code == "unsupported_value" and sent.get(param):
                raised = _raised_effort(sent[param], message)
                if raised is None:
                    return False
                adj.effort, change = raised, f"effort {raised}"
            elif param in sent and param not in ("model", "messages"):
                adj.dropped.add(param)
                change = "not sent"
            else:
                return False
        log.warning("model %s refuses %s (%s): %s from now on", ask.model, param, exc.code, change)
        return True

    def _completion(self, resp, model: str, started: float, structured: bool = False) -> Completion:
        choice = resp.choices[0] if resp.choices else None
        text = (choice.message.content or "") if choice and choice.message else ""
        risk = None
        if structured:
            text, risk = _reply_and_risk(text)
        usage = resp.usage
        return Completion(
            text=text,
            risk=risk,
            model=resp.model or model,
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
            usage_reported=usage is not None,
            latency_ms=(self.monotonic() - started) * 1000,
            cached_tokens=_detail(usage, "prompt_tokens_details", "cached_tokens"),
            reasoning_tokens=_detail(usage, "completion_tokens_details", "reasoning_tokens"),
            cache_write_tokens=_detail(usage, "prompt_tokens_details", "cache_write_tokens"),
            finish_reason=getattr(choice, "finish_reason", None) if choice else None,
        )

    def model_status(self, models: list[str], *, timeout: float = 5.0) -> list[ModelStatus] | None:
        """What ``GET /v1/models/{id}`` says of each model (its ``shutdown_date``, or 404: gone);
        None when the endpoint cannot be read at all (a local server without it, no network)."""
        out = []
        client = self.client.with_options(timeout=timeout)
        for model in dict.fromkeys(models):
            try:
                found = client.models.retrieve(model)
            except openai.NotFoundError:
                out.append(ModelStatus(model, gone=True))
                continue
            except (openai.APIError, ValueError, TypeError, AttributeError) as exc:
                log.info("model list not readable: %s", type(exc).__name__)
                return None
            date = getattr(found, "shutdown_date", None)
            out.append(ModelStatus(model, shutdown=date if isinstance(date, str) and date else None))
        return out

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
        return self._moderation(text, model, timeout, deadline)

    def moderate_image(self, image_url: str, *, model: str, timeout: float, deadline: float) -> Moderation:
        """Moderation of one image (``image_url``: a ``data:`` URL), as ``moderate`` does a text. The
        image categories are sexual, self-harm (and its intent and instructions) and violence."""
        return self._moderation(
            [{"type": "image_url", "image_url": {"url": image_url}}], model, timeout, deadline
        )

    def _moderation(self, given, model: str, timeout: float, deadline: float) -> Moderation:
        started = self.monotonic()
        budget = min(timeout, deadline - started)
        if budget <= 0.05:
            return Moderation(False, reason="no_time")
        try:
            resp = self.client.with_options(timeout=budget).moderations.create(model=model, input=given)
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
        """The words of a voice note (``POST /v1/audio/transcriptions``, multipart), retried like a chat
        call on 429/5xx while the deadline allows; a ``language`` the model refuses is dropped once.
        The audio is sent from memory and never logged; raises LLMUnavailable with a short reason."""
        attempt = 0
        while True:
            started = self.monotonic()
            budget = min(timeout, deadline - started)
            if budget < MIN_ATTEMPT_SECONDS:
                raise LLMUnavailable("no_time")
            upload = audio if isinstance(audio, bytes) else bytes(audio)  # a voice note: well under 1 MB
            params: dict = {"model": model, "file": (filename, upload), "response_format": "json"}
            if language:
                params["language"] = language
            try:
                resp = self.client.with_options(timeout=budget).audio.transcriptions.create(**params)
                text = resp if isinstance(resp, str) else resp.text
                return Transcript(str(text or "").strip(), model, (self.monotonic() - started) * 1000)
            except openai.NotFoundError:
                log.warning("transcription model %s is not available: HTTP 404", model)
                raise LLMUnavailable("model_not_found") from None
            except openai.BadRequestError as exc:
                if language and exc.param == "language":
                    log.warning("transcription model %s refuses language: not sent from now on", model)
                    language = None
                    continue
                log.warning("transcription refused: HTTP 400 %s", exc.code or "")
                raise LLMUnavailable("http_400") from None
            except RETRYABLE as exc:
                reason = type(exc).__name__
                response = getattr(exc, "response", None)
                hint = retry_after(response.headers, self.wall()) if response is not None else None
            except openai.APIStatusError as exc:
                log.warning("transcription refused: HTTP %s", exc.status_code)
                raise LLMUnavailable(f"http_{exc.status_code}") from None
            except (openai.APIError, ValueError, AttributeError, TypeError) as exc:
                log.warning("transcription unusable: %s", type(exc).__name__)
                raise LLMUnavailable("malformed_response") from None
            attempt += 1
            wait = self.backoff(attempt, hint)
            if attempt > self.max_retries or self.monotonic() + wait + MIN_ATTEMPT_SECONDS > deadline:
                log.warning("transcription unavailable after %d attempt(s): %s", attempt, reason)
                raise LLMUnavailable(reason)
            self.sleep(wait)
