"""What the worker holds of each chat while it works, shared by its three roles.

The dispatcher (``dispatcher.py``) claims events, decides them and alone writes the inbox; the Layer 2
lane (``layer2_lane.py``) runs model calls and hands each answer back to it (``Board.answers``); the
sender (``sender.py``) alone talks to LINE and hands each outcome back (``Board.done``). ``Board.lock``
guards what more than one thread touches: a chat's sends, ``done``, ``answers`` and the counters.
"""

from __future__ import annotations

import threading
import traceback
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from botan_line.core.conversation import Deferred
from botan_line.core.inbound import Inbound, Source
from botan_line.core.model import Action, Decision, Notice, Outgoing, action_from_json, action_to_json
from botan_line.storage import inbox

T = TypeVar("T")


class Pool(Protocol):
    """Where the lanes run their tasks: a ThreadPoolExecutor, or ``Inline``."""

    def submit(self, fn: Callable[..., T], /, *args: Any) -> Future[T]: ...
    def shutdown(self, wait: bool = True) -> None: ...


class Inline:
    """An executor that runs each task at once (tests: deterministic, no threads)."""

    def submit(self, fn, *args) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args))
        except BaseException as exc:  # noqa: BLE001 - handed to whoever reads the future
            future.set_exception(exc)
        return future

    def shutdown(self, wait: bool = True) -> None:
        pass


@dataclass
class Send:
    """Messages saved for one event, to send (or re-send) in order with the chat's others."""

    row: inbox.Claimed
    messages: list[Outgoing]
    notices: list[Notice]
    resend: bool  # decided by an earlier attempt: never risk a second answer
    held: bool = False  # a holding line already used the reply token
    attempts: int = 0
    holding: bool = False  # this *is* the holding line (sent before the answer, by reply only)
    error: str | None = None  # the last failure on the way, kept with the event
    outcome: str | None = None  # recorded instead of how it was sent (error_fallback)
    actions: list[Action] = field(default_factory=list)  # LINE-side, run after the messages


def inbound_of(row: inbox.Claimed) -> Inbound:
    """A chat's row as parsed: the dispatcher parses every claimed event before it joins a chat."""
    if row.inbound is None:
        raise ValueError(f"event {row.event_id} joined a chat without being parsed")
    return row.inbound


def source_of(event: Inbound) -> Source:
    """Who a job answers: an event without a source is never decided, nor joins a job."""
    if event.source is None:
        raise ValueError(f"event {event.event_id} has no source to answer")
    return event.source


@dataclass
class Job:
    """One Layer 2 call for one chat: its first bubble and the ones merged into it."""

    rows: list[inbox.Claimed]
    opened: float
    deferred: Deferred | None = None  # the first bubble's prepared call (run as it is when alone)
    started: bool = False
    answered: bool = False
    held: bool = False

    @property
    def newest(self) -> inbox.Claimed:
        return self.rows[-1]


@dataclass
class Chat:
    key: str
    queue: deque[inbox.Claimed] = field(default_factory=deque)
    job: Job | None = None
    sends: deque[Send] = field(default_factory=deque)
    sending: bool = False
    retry_at: float = 0.0

    @property
    def idle(self) -> bool:
        return not self.queue and self.job is None and not self.sends and not self.sending


@dataclass
class Answer:
    """A Layer 2 job's result, handed back for the dispatcher to save: a decision, or the failure."""

    chat: Chat
    job: Job
    decision: Decision | None
    failure: str | None = None  # the decision is an apology for this (recorded as error_fallback)
    error: str | None = None  # deciding failed and nothing could be said


@dataclass
class Board:
    chats: dict[str, Chat] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    wake: threading.Event = field(default_factory=threading.Event)
    done: list[tuple[int, str, str | None]] = field(default_factory=list)  # (row, outcome, error) to finish
    answers: list[Answer] = field(default_factory=list)  # Layer 2 answers to save
    running: int = 0  # Layer 2 jobs in flight

    def finish(self, row_id: int, outcome: str, error: str | None = None) -> None:
        with self.lock:
            self.done.append((row_id, outcome, error))

    def busy(self) -> bool:
        with self.lock:
            return self.running > 0 or bool(self.answers) or any(c.sending for c in self.chats.values())


def reason(exc: BaseException) -> str:
    """An exception as the inbox and logs may keep it: type and place, never its message."""
    tb = traceback.extract_tb(exc.__traceback__)
    where = f" at {Path(tb[-1].filename).name}:{tb[-1].lineno}" if tb else ""
    text = f"{type(exc).__name__}{where}"
    code = getattr(exc, "reason", None)
    if isinstance(code, str):  # our own codes are safe to keep
        text += f" ({code})"
    return text


class LostLease(Exception):
    """Another worker took this chat over (ours stopped renewing): drop what we hold of it."""


def payload(
    decision: Decision, notices: list[Notice], held: bool = False, failure: str | None = None
) -> dict:
    """What the inbox keeps of a decision, so a resend needs nothing else."""
    out: dict = {
        "messages": [m.to_json() for m in decision.messages],
        "notices": [[n.to, n.text] for n in notices],
    }
    if held:
        out["held"] = True
    if failure:  # an apology for a failure: recorded as error_fallback, with the reason
        out["failure"] = failure
    if decision.actions:  # LINE-side actions run by the sender (a resend runs them again, idempotently)
        out["actions"] = [action_to_json(a) for a in decision.actions]
    return out


def send_of(row: inbox.Claimed, saved: dict, *, resend: bool) -> Send:
    """The send of a saved payload (just decided, or decided before a crash)."""
    messages = [Outgoing.from_json(m) for m in saved.get("messages", [])]
    notices = [Notice(*n) for n in saved.get("notices", [])]
    held = bool((row.outgoing or {}).get("held")) or bool(saved.get("held"))
    failure = saved.get("failure")
    actions = [action_from_json(a) for a in saved.get("actions", [])]
    return Send(row, messages, notices, resend, held, error=failure,
                outcome="error_fallback" if failure else None, actions=actions)  # fmt: skip
