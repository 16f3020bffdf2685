"""Fans' photos and voice notes, answered in character — in the Layer 2 lane, never the fast lane.

``media_turn`` (fast, no network) decides whether she can look or listen at all: Layer 2 off or
paused, the month's budget spent, the fan's daily media cap, a voice note over the length cap —
each gets her own line for it, at once. Otherwise it returns a Deferred that the worker runs in its
Layer 2 lane (``MediaLayer.run``):

- **A photo** (or an image set: the photos sent together, one turn): the fan's words sent with it
  are read by the safety rules first; each photo is fetched once from LINE (``ContentSource``) and
  decoded as it arrives, scaled down in memory to about ``media.image_px`` (``Shrinker``; at most
  ``media.concurrent`` at once per process), and moderated as an image. A
  sexual or self-harm image gets the safety layer's answer, never a model's comment (two of the
  sisters are minors: a sexual image is refused whatever the caption); when moderation cannot be
  heard the photo is not shown to a model at all. Then Layer 2 answers with the photos as image
  parts of the chat request, on a tier whose model takes images, in her voice and within her rules.
- **A voice note**: fetched, transcribed (``media.transcription_model``), and its words go through
  the same layers as a text (``Conversation.hear``): safety reads them first, a spoken 「おはよう」 is
  answered by Layer 1 without a chat call.

Never kept, always priced: the bytes live in this call's memory only (no file, no row, no log; a
photo's file is not even held whole, only its small copy for the model). The
history keeps a short note (「［写真］」, 「［ボイス 8秒］おはよう」), which ``/forget`` removes like any
text; the ledger keeps the kind of turn, the photos' estimated tokens and the seconds transcribed,
priced in yen. A failure — content that cannot be fetched, an unreadable image, a transcription
error — is her line, with the reason in the ledger's ``guard``.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from botan_line.config import BotConfig
from botan_line.core import safety
from botan_line.core.conversation import Conversation, Deferred, Heard, TurnContext
from botan_line.core.inbound import Inbound
from botan_line.core.layer2 import prompt
from botan_line.core.layer2.budget import budget
from botan_line.core.layer2.layer import MIN_CALL_SECONDS, PAUSED_KEY, Layer2, Layer2Call, build_messages
from botan_line.core.layer2.tiers import CHEAP, STRONG, TIERS, Route, down_key
from botan_line.core.layers import safety_decision
from botan_line.core.model import LAYERS, CountCall, CountMedia, CountTier, Decision, Effect, Turn
from botan_line.core.ports import ContentSource, ContentUnavailable, LLMUnavailable, Shrinker, UnreadableImage

PHOTO, VOICE = "image", "audio"
KINDS = (PHOTO, VOICE)
VOICE_FILE = "voice.m4a"  # LINE serves voice notes as m4a (AAC); the name tells OpenAI the format


@dataclass(frozen=True)
class Item:
    """One photo or voice note of a turn: where it is, never what it is."""

    message_id: str
    url: str | None = None  # contentProvider external: LINE gives a URL instead
    duration_ms: int | None = None  # voice notes
    index: int = 1  # its place in an image set


@dataclass
class MediaCall:
    """A photo or voice turn decided in the fast lane, run in the Layer 2 lane."""

    kind: str  # image | audio
    items: tuple[Item, ...]
    words: tuple[str, ...] = ()  # what the fan wrote with the photos (bubbles merged into the turn)
    tier: str | None = None  # photos: the tier whose model looks at them
    soft: bool = False  # budget pressure: the cheap tier only
    down: frozenset[str] = frozenset()
    effects: list[Effect] = field(default_factory=list)  # the daily counts, written with the answer

    @property
    def ledger_kind(self) -> str:
        """The ledger's ``media``: image, image:<n> for a set, audio."""
        n = len(self.items)
        return f"{self.kind}:{n}" if self.kind == PHOTO and n > 1 else self.kind

    @property
    def seconds(self) -> float:
        return sum((i.duration_ms or 0) for i in self.items) / 1000


def item_of(event: Inbound) -> Item | None:
    """The photo or voice note of a message event (None: no content to fetch)."""
    if event.message_id is None or event.content is None:
        return None
    content = event.content
    url = content.url if content.provider == "external" else None
    index = content.image_set[1] if content.image_set else 1
    return Item(event.message_id, url, content.duration_ms, index)


def set_of(event: Inbound | None) -> tuple[str, int] | None:
    """(image set id, total) of a photo sent with others, else None."""
    if (
        event is None
        or event.message_kind != PHOTO
        or event.content is None
        or event.content.image_set is None
    ):
        return None
    set_id, _index, total = event.content.image_set
    return set_id, total


def joins(first: Inbound, later: Inbound) -> bool:
    """May ``later`` join the photo turn that ``first`` opened? The other photos of its image set,
    and — one-on-one only — the words the fan writes right after the photos (「うちの猫！」)."""
    if first.message_kind != PHOTO or first.source is None or later.source is None:
        return False
    if later.source.user_id != first.source.user_id or later.source.chat_id != first.source.chat_id:
        return False
    found = set_of(first)
    if later.message_kind == PHOTO:
        return found is not None and set_of(later) == found
    return first.source.one_on_one and later.text is not None and not later.command


def complete_set(events: Sequence[Inbound]) -> bool:
    """Every photo of the first event's image set is here (a single photo is a set of one)."""
    found = set_of(events[0]) if events else None
    if found is None:
        return True
    return sum(1 for e in events if e.message_kind == PHOTO) >= found[1]


def data_url(jpeg: bytes) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")


# --- the fast lane: can she look or listen at all? ------------------------------------------------
def media_turn(
    conversation: Conversation, events: Sequence[Inbound], turn: Turn, reads
) -> Decision | Deferred:
    """A photo turn (its photos and the words merged into it) or a voice note, decided without any
    network call: her line at once, nothing (a group photo nobody addressed to her), or the Deferred
    call for the Layer 2 lane."""
    layer = conversation.media
    photos = [e for e in events if e.message_kind == PHOTO]
    kind = PHOTO if photos else VOICE
    media = photos if photos else [e for e in events if e.message_kind == VOICE][:1]
    items = sorted((i for e in media if (i := item_of(e)) is not None), key=lambda i: i.index)
    words = tuple(e.text for e in events if e.text is not None and e.text.strip())
    if layer is None or not items:  # no way to look (the terminal, or LINE gave nothing to fetch)
        return conversation.fixed_line(turn, reads, "media")
    note = (
        prompt.photo_note(len(items))
        if kind == PHOTO
        else prompt.voice_note((items[0].duration_ms or 0) / 1000)
    )
    said = (note, *words)
    ctx = conversation.context(replace(turn, text=said[-1], earlier=said[:-1]), reads)
    if turn.chat == "group" and not (ctx.called or turn.mentioned or layer.talking(ctx)):
        return Decision()  # in groups she answers a photo only when the fan is talking to her
    call = MediaCall(kind, tuple(items), words)
    result = layer.admit(ctx, call)
    if result is None:  # not looking at photos or listening here: her fixed line, as for a video
        return conversation.fixed_line(turn, reads, "media")
    if isinstance(result, Deferred):
        return result
    if len(items) == 1 and items[0].index > 1:
        return Decision()  # her line once per image set: its first photo says it, the others nothing
    return conversation.finish(ctx, result, layer)


class MediaLayer:
    """The slow half of a photo or voice turn (a ``SlowLayer``: its Deferred runs in the Layer 2 lane)."""

    name = "media"
    counts_as_message = True

    def __init__(
        self,
        layer2: Layer2,
        content: ContentSource | None,
        shrink: Shrinker | None,
        cfg: BotConfig,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.layer2 = layer2
        self.content = content
        self.shrink = shrink
        self.cfg = cfg
        self.monotonic = monotonic
        # photos fetched and decoded at once in this process: what bounds the memory of a burst
        self._gate = threading.BoundedSemaphore(cfg.media.concurrent)

    def talking(self, ctx: TurnContext) -> bool:
        """She answered this fan within ``media.group_window_seconds`` (in groups she answers only
        when spoken to, so the fan is talking to her)."""
        last = ctx.reads.last_reply(ctx.user.user_id, ctx.sister)
        window = self.cfg.media.group_window_seconds
        return (
            last is not None
            and LAYERS.get(last.layer) is not None
            and LAYERS[last.layer].message
            and ctx.now.timestamp() - last.at <= window
        )

    def answer(self, ctx: TurnContext) -> None:
        """Not a step of the text table: a text never reaches it (``media_turn`` admits media turns)."""
        return None

    # --- fast -------------------------------------------------------------------------------------
    def admit(self, ctx: TurnContext, call: MediaCall) -> Decision | Deferred | None:
        """Her line at once when she cannot look or listen, else the Deferred turn (no network);
        None where media are not looked at (``media.photos``/``voice`` off, nothing to fetch from)."""
        media = self.cfg.media
        photo = call.kind == PHOTO
        later = "photo_later" if photo else "voice_later"
        if (
            self.content is None
            or (photo and (not media.photos or self.shrink is None))
            or (not photo and not media.voice)
        ):
            return None
        if not photo and call.seconds > media.max_voice_seconds:
            return self._say(ctx, call, "voice_too_long", "fallback", guard="too_long")
        if self.layer2.llm is None:
            return self._say(ctx, call, later, "fallback", guard="layer2_off")
        if ctx.reads.state(PAUSED_KEY) == "1":
            return self._say(ctx, call, later, "fallback", guard="paused")
        b = budget(ctx.reads, self.cfg, ctx.now)
        if b.stopped:
            return self._say(ctx, call, later, "fallback", guard="budget_hard")
        uid, day = ctx.user.user_id, ctx.now.strftime("%Y-%m-%d")
        if ctx.reads.daily_media(uid, day) >= media.per_user_daily:
            return self._say(ctx, call, "media_cap", "fallback", guard="media_cap")
        effects: list[Effect] = [CountMedia(uid, day)]
        if photo:
            if not self.cfg.safety.moderation_enabled:  # never a photo nobody checked
                return self._say(ctx, call, later, "fallback", guard="no_moderation")
            if ctx.reads.daily_calls(uid, day) >= self.cfg.budget.per_user_daily_calls:
                return self._say(ctx, call, "media_cap", "fallback", guard="daily_cap")
            down = frozenset(t for t in TIERS if ctx.reads.state(down_key(day, t)))
            tier = self._tier(ctx.sister, soft=b.soft, down=down)
            if tier is None:
                return self._say(ctx, call, later, "fallback", guard="no_image_model")
            effects += [CountCall(uid, day), CountTier(day, tier)]
            call = replace(call, tier=tier, soft=b.soft, down=down)
        return Deferred(ctx, replace(call, effects=effects), self)

    def _tier(self, sister: str, *, soft: bool, down: frozenset[str]) -> str | None:
        """The tier to show photos to: the cheap one (the new cheap models take images at its price),
        else the strong one (not under budget pressure); only a model whose profile takes images."""
        tiers = self.cfg.tiers_for(sister)
        for name in (CHEAP,) if soft else (CHEAP, STRONG):
            if name not in down and self.cfg.takes_images(getattr(tiers, name).model):
                return name
        return None

    def _say(self, ctx: TurnContext, call: MediaCall, line: str, layer: str, **ledger) -> Decision:
        """Her fixed line for this photo or voice turn, the reason and the kind of turn in the ledger."""
        text, used = ctx.line(line)
        decision = ctx.reply(
            text, layer, effects=[used], pattern=f"lines:{line}", media=call.ledger_kind, **ledger
        )
        return decision

    # --- slow: the Layer 2 lane --------------------------------------------------------------------
    def run(self, ctx: TurnContext, call: MediaCall, time_left: float | None = None) -> Decision | Heard:
        limit = (
            self.cfg.llm.deadline_seconds
            if time_left is None
            else min(self.cfg.llm.deadline_seconds, time_left)
        )
        if limit < MIN_CALL_SECONDS:
            return self._failed(ctx, call, "no_time_left", spent=False)
        deadline = self.monotonic() + limit
        if call.kind == PHOTO:
            return self._see(ctx, call, deadline)
        return self._hear(ctx, call, deadline, time_left)

    def _failed(
        self, ctx: TurnContext, call: MediaCall, reason: str, *, spent: bool = True, **ledger
    ) -> Decision:
        """Her line for a photo she could not see or a voice note she could not hear (never a
        traceback); ``spent``: the daily media count still moves (the content was fetched)."""
        line = "photo_failed" if call.kind == PHOTO else "voice_failed"
        decision = self._say(ctx, call, line, "fallback", guard=reason[:80], **ledger)
        decision.effects += [e for e in call.effects if isinstance(e, CountMedia) and spent]
        return decision

    def _see(self, ctx: TurnContext, call: MediaCall, deadline: float) -> Decision:
        llm = self.layer2.llm
        if llm is None or self.content is None or self.shrink is None:
            return self._failed(ctx, call, "layer2_off", spent=False)
        counts: list[Effect] = [e for e in call.effects if isinstance(e, CountMedia)]
        # 1. the fan's words first, by the safety rules (a crisis is never a photo comment)
        verdict = safety.classify_turn(call.words, ctx.chars.safety) if call.words else None
        concern = verdict if verdict is not None and verdict.kind == safety.CONCERN else None
        if verdict is not None and concern is None:
            return self._safety(ctx, call, verdict, counts)
        # 2. each photo fetched once and scaled down in memory, a few at a time per process
        try:
            urls = self._fetch_photos(ctx, call, deadline)
        except ContentUnavailable as exc:
            return self._failed(ctx, call, f"fetch:{exc.reason}", spent=False)
        except UnreadableImage as exc:
            return self._failed(ctx, call, f"image:{exc.reason}")
        # 3. every photo moderated as an image; unheard means unseen (no rules can read a photo)
        for url, _tokens in urls:
            checked = llm.moderate_image(
                url, model=self.cfg.safety.model, timeout=self.cfg.safety.timeout_seconds * 2,
                deadline=deadline - MIN_CALL_SECONDS,
            )  # fmt: skip
            if not checked.available:
                return self._failed(ctx, call, f"moderation_unavailable:{checked.reason}")
            found = image_verdict(checked, self.cfg)
            if found is not None:
                return self._safety(ctx, call, found, counts)
        # 4. she looks: the photos as image parts, on a tier whose model takes images
        words = "\n".join(call.words)
        instruction = prompt.photo_instruction(ctx.persona.display_name, len(urls))
        if concern is not None:
            instruction += "\n" + ctx.chars.safety.concern_instruction
        built = build_messages(ctx, words, self.cfg, instruction=instruction)
        text = words[: self.cfg.llm.max_input_chars] or "（写真を送ったよ）"
        tier = call.tier or CHEAP
        chat = Layer2Call(
            route=Route(tier, 0.0, ("photo",)),
            tier=tier,
            soft=call.soft,
            text=words,
            effects=list(call.effects),
            concern=concern,
            messages=prompt.with_images(built, text, [u for u, _ in urls]),
            down=call.down,
            images=len(urls),
        )
        decision = self.layer2.run(ctx, chat, max(0.0, deadline - self.monotonic()))
        image_tokens = sum(t for _, t in urls) if decision.ledger and decision.ledger.model else 0
        return decision.record(media=call.ledger_kind, image_tokens=image_tokens, normalized=None)

    def _fetch_photos(self, ctx: TurnContext, call: MediaCall, deadline: float) -> list[tuple[str, int]]:
        """(data URL, estimated image tokens) of each photo (at most ``media.images_per_turn``)."""
        media, shrink, content = self.cfg.media, self.shrink, self.content
        assert shrink is not None and content is not None
        out: list[tuple[str, int]] = []
        for item in call.items[: media.images_per_turn]:
            if not self._gate.acquire(timeout=max(0.0, deadline - MIN_CALL_SECONDS - self.monotonic())):
                raise ContentUnavailable("busy")
            try:
                left = deadline - MIN_CALL_SECONDS - self.monotonic()
                if left <= 0:
                    raise ContentUnavailable("timeout")
                with content.open_content(
                    item.message_id, url=item.url, max_bytes=media.max_image_bytes,
                    timeout=min(media.fetch_timeout_seconds, left),
                ) as stream:  # fmt: skip
                    # decoded as it arrives: only the small copy lives on, for this call
                    small = shrink(stream, media.image_px, media.jpeg_quality)
            finally:
                self._gate.release()
            out.append(
                (data_url(small.jpeg), self._image_tokens(ctx.sister, call, small.width, small.height))
            )
        return out

    def _image_tokens(self, sister: str, call: MediaCall, width: int, height: int) -> int:
        """The estimate of one photo's prompt tokens on the model that looks at it."""
        tiers = self.cfg.tiers_for(sister)
        model = getattr(tiers, call.tier or CHEAP).model
        profile = self.cfg.profile(model)
        fixed = profile.image_tokens if profile is not None else None
        return fixed if fixed is not None else prompt.patches(width, height)

    def _safety(self, ctx: TurnContext, call: MediaCall, verdict, counts: list[Effect]) -> Decision:
        """The safety layer's answer to the words or a photo: never a model's comment."""
        decision = safety_decision(ctx, verdict)
        decision.effects += counts
        return decision.record(media=call.ledger_kind)

    def _hear(
        self, ctx: TurnContext, call: MediaCall, deadline: float, time_left: float | None
    ) -> Decision | Heard:
        llm, content, media = self.layer2.llm, self.content, self.cfg.media
        if llm is None or content is None:
            return self._failed(ctx, call, "layer2_off", spent=False)
        item = call.items[0]
        try:
            with content.open_content(
                item.message_id, url=item.url, max_bytes=media.max_audio_bytes,
                timeout=min(media.fetch_timeout_seconds, deadline - MIN_CALL_SECONDS - self.monotonic()),
            ) as stream:  # fmt: skip
                audio = stream.read()  # a voice note: well under a megabyte a minute
        except ContentUnavailable as exc:
            return self._failed(ctx, call, f"fetch:{exc.reason}", spent=False)
        seconds = call.seconds
        model = media.transcription_model
        yen = self.cfg.minutes_yen(model, seconds)
        try:
            heard = llm.transcribe(
                audio, filename=VOICE_FILE, model=model, language=media.language,
                timeout=media.transcribe_timeout_seconds, deadline=deadline - MIN_CALL_SECONDS,
            )  # fmt: skip
        except LLMUnavailable as exc:
            return self._failed(
                ctx,
                call,
                f"transcribe:{exc.reason}",
                model=model,
                audio_seconds=seconds,
                yen=yen,
                strong_yen=yen,
            )
        finally:
            del audio  # never kept: the words are what she answers
        words = heard.text.strip()
        if not words:
            return self._failed(
                ctx, call, "transcribe:empty", model=model, audio_seconds=seconds, yen=yen, strong_yen=yen
            )
        left = None if time_left is None else max(0.0, deadline - self.monotonic())
        return Heard(
            text=words[: self.cfg.llm.max_input_chars],
            note=ctx.turn.text,
            media=call.ledger_kind,
            seconds=seconds,
            yen=yen,
            effects=list(call.effects),
            time_left=left,
        )


def image_verdict(checked, cfg: BotConfig) -> safety.SafetyVerdict | None:
    """What moderation's image scores mean here. Anything sexual is refused at the lower of the two
    sexual thresholds (two of the sisters are minors; ``sexual/minors`` is scored for text only);
    self-harm by the crisis and concern thresholds: the crisis reply, or her gentle line — never a
    model's comment on the photo."""
    sexual = min(cfg.safety.sexual.values(), default=0.3)
    if checked.scores.get("sexual", 0.0) >= sexual:
        return safety.SafetyVerdict("sexual", "moderation:image:sexual")
    found = safety.from_moderation(checked, cfg.safety)
    if found is None:
        return None
    return safety.SafetyVerdict(found.kind, found.rule.replace("moderation:", "moderation:image:", 1))
