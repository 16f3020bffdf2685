"""The conversation core in-process, like errbot's testbot: no HTTP, no worker, a model fed from a queue.

``core.say("おはよう")`` runs one turn through ``Conversation.on_text`` and the store, and returns
the text she answered (``core.last()`` is its ledger row); ``core.send(image_event(...))`` does the
same for a photo or a voice note, whose bytes come from ``core.content`` (a dictionary). A turn costs
milliseconds here; the edges (webhook, inbox, worker, LINE, OpenAI) have their own tests over real HTTP.
"""

from __future__ import annotations

import io
import time
from collections import deque
from dataclasses import dataclass, replace

from sqlalchemy import select

from botan_line.characters.timewords import FILL_WORDS
from botan_line.core import media
from botan_line.core.conversation import Deferred
from botan_line.core.inbound import parse
from botan_line.core.layer2.prompt import image_parts, text_of
from botan_line.core.model import Decision, Turn
from botan_line.core.ports import (
    Ask,
    Completion,
    ContentUnavailable,
    LLMUnavailable,
    ModelGone,
    Moderation,
    Transcript,
)
from botan_line.storage.db import ledger


@dataclass
class Call:
    model: str
    messages: list[dict]
    temperature: float | None
    max_tokens: int
    effort: str | None = None


class FakeModel:
    """The OpenAI adapter's interface (``complete``, ``moderate``, ``moderate_image``, ``transcribe``),
    answered from queues: chat with ``default`` when its queue is empty, moderation with "nothing
    flagged", transcription with what ``fakes.voice`` wrote into the audio."""

    def __init__(self, default: str = "そうなんだ、もっと聞かせて！"):
        self.default = default
        self.queue: deque = deque()
        self.calls: list[Call] = []
        self.moderation_queue: deque[Moderation] = deque()
        self.moderated: list[str] = []  # the texts sent to moderation
        self.image_moderation_queue: deque[Moderation] = deque()
        self.images_moderated: list[str] = []  # the data URLs sent to moderation
        self.transcripts: deque = deque()  # what the next transcriptions hear (str) or raise
        self.transcribed: list[dict] = []  # model, language, filename, size of every upload

    def flag_image(self, **scores: float) -> None:
        """The next image moderation: scores by category (self_harm__intent for "self-harm/intent")."""
        named = {k.replace("__", "/").replace("_", "-"): v for k, v in scores.items()}
        self.image_moderation_queue.append(
            Moderation(True, named, any(v >= 0.5 for v in named.values()), "omni")
        )

    def image_moderation_fails(self, reason: str = "timeout") -> None:
        self.image_moderation_queue.append(Moderation(False, reason=reason))

    def moderate_image(self, image_url, *, model, timeout, deadline) -> Moderation:
        self.images_moderated.append(image_url)
        queued = self.image_moderation_queue
        return queued.popleft() if queued else Moderation(True, {}, False, model)

    def hears(self, *texts: str) -> None:
        self.transcripts.extend(texts)

    def transcription_fails(self, reason: str = "APITimeoutError") -> None:
        self.transcripts.append(LLMUnavailable(reason))

    def transcribe(self, audio, *, filename, model, language, timeout, deadline) -> Transcript:
        self.transcribed.append(
            {"model": model, "language": language, "filename": filename, "size": len(audio)}
        )
        item = self.transcripts.popleft() if self.transcripts else None
        if isinstance(item, Exception):
            raise item
        if item is None:
            mark = b"\x00botan-voice:"  # fakes.voice
            item = audio.split(mark, 1)[1].decode() if mark in audio else ""
        return Transcript(item, model, 1.0)

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
        prompt = sum(len(text_of(m["content"])) + 256 * image_parts(m["content"]) for m in messages)
        return Completion(item, ask.model, prompt, len(item), True, 1.0)


class FakeContent:
    """Fans' photos and voice notes by message id (``ContentSource``): bytes, or the reason LINE gave."""

    def __init__(self):
        self.items: dict[str, bytes | ContentUnavailable] = {}
        self.fetched: list[tuple[str, str | None, int]] = []  # (message id, url, max_bytes)

    def add(self, message_id: str, data: bytes) -> None:
        self.items[message_id] = data

    def gone(self, message_id: str, reason: str = "expired") -> None:
        self.items[message_id] = ContentUnavailable(reason)

    def open_content(self, message_id, *, url, max_bytes, timeout) -> io.BytesIO:
        self.fetched.append((message_id, url, max_bytes))
        found = self.items.get(url or message_id, ContentUnavailable("not_found"))
        if isinstance(found, Exception):
            raise found
        if len(found) > max_bytes:
            raise ContentUnavailable("too_large")
        return io.BytesIO(found)


class CoreBot:
    """One bot's core on a fresh SQLite file: ``say`` like a fan, read what happened."""

    def __init__(self, services, model: FakeModel, clock, content: FakeContent | None = None):
        self.services = services
        self.model = model
        self.clock = clock
        self.notices: list = []  # admin notices the decisions carried (what the worker would push)
        self.content = content

    def send(self, *events: dict, time_left: float | None = None) -> Decision:
        """A photo turn (its photos and the words sent with them, as webhook events) or a voice note,
        decided and completed as the worker's two lanes would, and saved."""
        inbound = [parse(e) for e in events]
        first = inbound[0]
        assert first.source is not None
        now = self.clock.now()
        turn = Turn(first.source.user_id, "", now, chat=first.source.kind,
                    mentioned=any(e.mentioned for e in inbound), time_left=time_left)  # fmt: skip
        result = media.media_turn(self.conversation, inbound, turn, self.services.store)
        decision = self.conversation.complete(result, time_left) if isinstance(result, Deferred) else result
        self.services.store.apply(decision, now)
        return decision

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


def photo(width: int = 1600, height: int = 1200, color: tuple[int, int, int] = (220, 120, 60)) -> bytes:
    """A JPEG as a phone sends it (noise, so it does not compress to nothing)."""
    from PIL import Image

    img = Image.effect_noise((width, height), 40).convert("RGB")
    img = Image.blend(img, Image.new("RGB", (width, height), color), 0.6)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85)
    return out.getvalue()
