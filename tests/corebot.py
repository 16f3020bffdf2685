"""The conversation core in-process, like errbot's testbot: no HTTP, no worker, a model fed from a queue.

``core.say("おはよう")`` runs one turn through ``Conversation.on_text`` and the store, and returns
the text she answered (``core.last()`` is its ledger row). A turn costs milliseconds here; the
edges (webhook, inbox, worker, LINE, OpenAI) have their own tests over real HTTP.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, replace

from sqlalchemy import select

from botan_line.characters.timewords import FILL_WORDS
from botan_line.core.model import Decision, Turn
from botan_line.core.ports import Ask, Completion, LLMUnavailable, ModelGone, Moderation
from botan_line.storage.db import ledger


@dataclass
class Call:
    model: str
    messages: list[dict]
    temperature: float | None
    max_tokens: int
    effort: str | None = None


class FakeModel:
    """The OpenAI adapter's interface (``complete``, ``moderate``), answered from queues: chat with
    ``default`` when its queue is empty, moderation with "nothing flagged"."""

    def __init__(self, default: str = "そうなんだ、もっと聞かせて！"):
        self.default = default
        self.queue: deque = deque()
        self.calls: list[Call] = []
        self.moderation_queue: deque[Moderation] = deque()
        self.moderated: list[str] = []  # the texts sent to moderation

    def flag(self, **scores: float) -> None:
        """The next moderation answer: scores by category, "self-harm/intent" spelled self_harm__intent."""
        named = {k.replace("__", "/").replace("_", "-"): v for k, v in scores.items()}
        self.moderation_queue.append(Moderation(True, named, any(v >= 0.5 for v in named.values()), "omni"))

    def moderation_fails(self, reason: str = "timeout") -> None:
        self.moderation_queue.append(Moderation(False, reason=reason))

    def moderate(self, text, *, model, timeout, deadline) -> Moderation:
        self.moderated.append(text)
        return (
            self.moderation_queue.popleft() if self.moderation_queue else Moderation(True, {}, False, model)
        )

    def answer(self, *texts: str) -> None:
        self.queue.extend(texts)

    def answer_with(self, text: str, prompt_tokens: int, completion_tokens: int, **usage: int) -> None:
        """The next answer with the usage the provider would report (cached, reasoning, cache writes)."""
        self.queue.append(Completion(text, "", prompt_tokens, completion_tokens, True, 1.0, **usage))

    def fail(self, reason: str = "APITimeoutError") -> None:
        self.queue.append(LLMUnavailable(reason))

    def gone(self, model: str) -> None:
        """The next call finds its model shut down (404 model_not_found)."""
        self.queue.append(ModelGone(model, "model_not_found"))

    def complete(self, ask: Ask, messages, *, deadline) -> Completion:
        self.calls.append(Call(ask.model, messages, ask.temperature, ask.max_tokens, ask.effort))
        item = self.queue.popleft() if self.queue else self.default
        if isinstance(item, Exception):
            raise item
        if isinstance(item, Completion):
            return replace(item, model=item.model or ask.model)
        prompt = sum(len(str(m["content"])) for m in messages)
        return Completion(item, ask.model, prompt, len(item), True, 1.0)


class CoreBot:
    """One bot's core on a fresh SQLite file: ``say`` like a fan, read what happened."""

    def __init__(self, services, model: FakeModel, clock):
        self.services = services
        self.model = model
        self.clock = clock
        self.notices: list = []  # admin notices the decisions carried (what the worker would push)

    @property
    def conversation(self):
        return self.services.conversation

    def decide(self, text: str, user: str = "Utest1", **turn) -> Decision:
        now = self.clock.now()
        decision = self.conversation.on_text(
            Turn(user_id=user, text=text, now=now, **turn), self.services.store
        )
        self.notices += self.services.store.apply(decision, now)
        return decision

    def event(self, event: dict) -> Decision:
        """A webhook event as the worker handles it: parsed once, decided by the event table, a
        deferred call completed at once, saved."""
        from botan_line.core.conversation import Deferred
        from botan_line.core.events import EventContext, decide
        from botan_line.core.inbound import parse

        now = self.clock.now()
        result = decide(parse(event), EventContext(self.conversation, self.services.store, now))
        decision = self.conversation.complete(result) if isinstance(result, Deferred) else result
        self.notices += self.services.store.apply(decision, now)
        return decision

    def spend(self, yen: float, when) -> None:
        """A Layer 2 row that spent ``yen`` at ``when`` (the month's budget reads the ledger)."""
        from sqlalchemy import insert

        with self.services.engine.begin() as conn:
            conn.execute(insert(ledger).values(created_at=when.timestamp(), user_id="Useed", sister="botan",
                                               layer="layer2", model="gpt-6-sol", yen=yen))  # fmt: skip

    def say(self, text: str, user: str = "Utest1", **turn) -> str:
        return self.decide(text, user, **turn).text

    def ledger(self) -> list:
        with self.services.engine.connect() as conn:
            return conn.execute(select(ledger).order_by(ledger.c.id)).all()

    def last(self):
        rows = self.ledger()
        return rows[-1] if rows else None

    def lines(self, sister: str, key: str) -> list[str]:
        """A sister's fixed lines as a fan can receive them (placeholders filled in every way)."""
        persona = self.services.characters.current.persona(sister)
        out = []
        for line in getattr(persona.lines, key):
            line = line.replace("{name}", persona.address)
            out += [line.replace("{band}", band) for band in FILL_WORDS]
        return out

    def user_sister(self, user: str = "Utest1") -> str:
        return self.services.store.user(user).sister


def timed(fn, *args) -> float:
    started = time.perf_counter()
    fn(*args)
    return time.perf_counter() - started
