"""Signed webhook bodies that break LINE's webhook schema one field at a time (tests and bench/fuzz.py).

Every event of line-bot-sdk's own sample webhook (all event and message types) is the starting point;
each field it has, at every depth, is in turn replaced by a value of every other JSON type (a number,
a boolean, an object, a list, null, a string) or removed. LINE never sends such events; a door that
trusts field types is one change away from a crash or a malformed request to LINE.
"""

from __future__ import annotations

import copy
import random
import uuid
from collections.abc import Iterator

from fakes import (
    fixture_events,
    follow_event,
    join_event,
    media_event,
    postback_event,
    sticker_event,
    text_event,
    unfollow_event,
)

WRONG = {"number": 12345, "boolean": True, "object": {"x": 1}, "list": ["x"], "null": None, "string": "x"}
KEEP = ("webhookEventId",)  # the inbox dedupes on it: a body without one is refused at the door (400)


def paths(value, prefix=()) -> Iterator[tuple]:
    """Every field path of a JSON value (dict keys and list indexes)."""
    if isinstance(value, dict):
        for key, sub in value.items():
            yield (*prefix, key)
            yield from paths(sub, (*prefix, key))
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            yield (*prefix, i)
            yield from paths(sub, (*prefix, i))


def _kind(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {dict: "object", list: "list", str: "string"}[type(value)]


def samples(timestamp_ms: int) -> list[dict]:
    """line-bot-sdk's sample events, and the shapes the bot answers most (mentions in a group, image
    sets, voice notes, stickers with keywords) as the tests' builders make them."""
    common = {"timestamp_ms": timestamp_ms}
    return [
        *fixture_events(timestamp_ms=timestamp_ms),
        text_event("@牡丹 おはよう", mentioned_self=True, source_type="group", **common),
        sticker_event(**common),
        *(media_event(kind, **common) for kind in ("image", "video", "audio", "file", "location")),
        follow_event(unblocked=True, **common),
        unfollow_event(**common),
        join_event(**common),
        postback_event("sister=yuri", **common),
    ]


def mutations(timestamp_ms: int) -> Iterator[tuple[str, dict]]:
    """(what was changed, the mutated event) for every field of every sample event."""
    for event in samples(timestamp_ms):
        for path in paths(event):
            if path[0] in KEEP:
                continue
            original = _get(event, path)
            for name, wrong in [*WRONG.items(), ("missing", KeyError)]:
                if name != "missing" and name == _kind(original):
                    continue
                mutated = copy.deepcopy(event)
                mutated["webhookEventId"] = uuid.uuid4().hex.upper()[:26]  # each body its own event
                if isinstance(mutated.get("replyToken"), str):
                    mutated["replyToken"] = uuid.uuid4().hex
                _set(mutated, path, wrong)
                yield f"{event['type']}:{'.'.join(map(str, path))}={name}", mutated


def sample(timestamp_ms: int, share: float, seed: int = 1) -> list[tuple[str, dict]]:
    """A deterministic share of the mutations (the whole set runs in bench/fuzz.py)."""
    rng = random.Random(seed)
    return [m for m in mutations(timestamp_ms) if rng.random() < share]


def _get(value, path):
    for key in path:
        value = value[key]
    return value


def _set(value, path, new) -> None:
    parent = _get(value, path[:-1])
    if new is KeyError:
        if isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent.pop(path[-1])
    else:
        parent[path[-1]] = copy.deepcopy(new)
