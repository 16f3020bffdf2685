"""The learning loop that grows Layer 1, with a human approving every new line.

- ``mine``: a normalised message that reached Layer 2 from enough distinct users becomes a
  candidate pattern, with the guard-passing replies it got as variations.
- ``vary``: any OpenAI-compatible model (a small local one is fine) drafts new variations of an
  existing pattern offline; only those the guard passes, meaning kept, become candidates.
- ``approve`` writes ``characters/<sister>/learned.yaml`` atomically, checks the whole set still
  loads, and reloads; nothing unapproved ever reaches a user.
"""

from __future__ import annotations

import fcntl
import json
import logging
import threading
import time
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlalchemy import Engine, insert, select, update

from botan_line.characters.loader import CharacterStore, load_characters
from botan_line.characters.matcher import Context
from botan_line.characters.normalize import fold, normalize
from botan_line.characters.yamlio import atomic_write
from botan_line.core import safety
from botan_line.core.guard import check_variation
from botan_line.core.layer2 import prompt_fragments
from botan_line.errors import BotanError, CharacterError
from botan_line.storage.db import candidates, ledger

log = logging.getLogger(__name__)


class LearningError(BotanError):
    """An approval that cannot be applied; the message is safe to show to the admin."""


@dataclass(frozen=True)
class Candidate:
    id: int
    sister: str
    kind: str  # pattern | variation
    pattern_id: str | None
    trigger: str
    replies: list[str]
    users: int
    status: str


def _candidate(row) -> Candidate:
    return Candidate(
        row.id,
        row.sister,
        row.kind,
        row.pattern_id,
        row.trigger,
        json.loads(row.replies),
        row.users,
        row.status,
    )


def open_candidates(engine: Engine, limit: int = 50) -> list[Candidate]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(candidates)
            .where(candidates.c.status == "open")
            .order_by(candidates.c.users.desc(), candidates.c.id)
            .limit(limit)
        ).all()
    return [_candidate(r) for r in rows]


def get_candidate(engine: Engine, cand_id: int) -> Candidate | None:
    with engine.connect() as conn:
        row = conn.execute(select(candidates).where(candidates.c.id == cand_id)).first()
    return _candidate(row) if row else None


def _known(engine: Engine, sister: str, trigger: str) -> bool:
    with engine.connect() as conn:
        return (
            conn.execute(
                select(candidates.c.id).where(candidates.c.sister == sister, candidates.c.trigger == trigger)
            ).first()
            is not None
        )


def mine(
    engine: Engine, store: CharacterStore, *, min_users: int, max_replies: int, now: float | None = None
) -> int:
    """Turn recurring Layer 2 messages into open candidates; returns how many were added."""
    now = time.time() if now is None else now
    chars = store.current
    with engine.connect() as conn:
        rows = conn.execute(
            select(ledger.c.sister, ledger.c.normalized, ledger.c.user_id, ledger.c.reply)
            .where(
                ledger.c.layer == "layer2",
                ledger.c.guard.like("%pass"),
                ledger.c.normalized.is_not(None),
                ledger.c.reply.is_not(None),
            )
            .order_by(ledger.c.id)
        ).all()
    groups: dict[tuple[str, str], dict] = defaultdict(lambda: {"users": set(), "replies": []})
    for r in rows:
        group = groups[(r.sister, r.normalized)]
        group["users"].add(r.user_id)
        if r.reply not in group["replies"]:
            group["replies"].append(r.reply)
    added = 0
    for (sister, text), group in groups.items():
        if len(group["users"]) < min_users or len(group["replies"]) < 2 or sister not in chars.sisters:
            continue
        if safety.classify(text, chars.safety) or _known(engine, sister, text):
            continue
        if chars.matchers[sister].match(text, False, Context("daytime")) is not None:
            continue  # Layer 1 already answers it
        with engine.begin() as conn:
            conn.execute(
                insert(candidates).values(
                    sister=sister,
                    kind="pattern",
                    trigger=text,
                    replies=json.dumps(group["replies"][:max_replies], ensure_ascii=False),
                    users=len(group["users"]),
                    status="open",
                    created_at=now,
                )
            )
        added += 1
    return added


# --- writing learned.yaml ---------------------------------------------------------------------
_thread_lock = threading.Lock()
HEADER = (
    "# Written by botan-line when an admin approves a candidate (/approve, /learn, botan-line review).\n"
    "# Same schema as patterns.yaml; `variations` adds approved lines to existing patterns.\n"
)


@contextmanager
def _learned_lock(root: Path):
    """One writer at a time: threads of this process and every other process."""
    with _thread_lock, open(root / ".learned.lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_learned(store: CharacterStore, sister: str, change) -> None:
    root = store.root
    path = root / sister / "learned.yaml"
    with _learned_lock(root):
        old = path.read_text(encoding="utf-8") if path.exists() else None
        data = (yaml.safe_load(old) if old else None) or {}
        data.setdefault("patterns", [])
        data.setdefault("variations", {})
        change(data)
        if not data["variations"]:
            del data["variations"]
        atomic_write(path, HEADER + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000))
        try:
            load_characters(root)
        except CharacterError as exc:  # put the old file back: the live set never sees a broken one
            if old is None:
                path.unlink(missing_ok=True)
            else:
                atomic_write(path, old)
            raise LearningError("この変更は適用できません: " + exc.problems[0].split(": ", 1)[-1]) from None
    store.reload()


def _decide(engine: Engine, cand_id: int, status: str, admin: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(candidates)
            .where(candidates.c.id == cand_id)
            .values(status=status, decided_at=time.time(), decided_by=admin)
        )


def approve(engine: Engine, store: CharacterStore, cand_id: int, admin: str) -> Candidate:
    cand = get_candidate(engine, cand_id)
    if cand is None or cand.status != "open":
        raise LearningError(f"候補 #{cand_id} は見つからないか、すでに処理済みです")

    def change(data: dict) -> None:
        if cand.kind == "variation":
            data["variations"].setdefault(cand.pattern_id, [])
            data["variations"][cand.pattern_id] += [
                r for r in cand.replies if r not in data["variations"][cand.pattern_id]
            ]
        else:
            data["patterns"].append(
                {
                    "id": f"learned_{cand.id}",
                    "category": "learned",
                    "triggers": [{"exact": [cand.trigger]}],
                    "replies": cand.replies,
                }
            )

    _write_learned(store, cand.sister, change)
    _decide(engine, cand_id, "approved", admin)
    return cand


def reject(engine: Engine, cand_id: int, admin: str) -> Candidate:
    cand = get_candidate(engine, cand_id)
    if cand is None or cand.status != "open":
        raise LearningError(f"候補 #{cand_id} は見つからないか、すでに処理済みです")
    _decide(engine, cand_id, "rejected", admin)
    return cand


def learn(
    engine: Engine, store: CharacterStore, sister: str, trigger: str, replies: list[str], admin: str
) -> str:
    """Add a reviewed pattern directly (the admin wrote it). Returns the new pattern id."""
    if sister not in store.current.sisters:
        raise LearningError(f"{sister} という姉妹はいません（botan / kasho / yuri）")
    folded = normalize(trigger).text
    if not folded or not replies:
        raise LearningError("書き方: /learn <姉妹> <きっかけの言葉> => <返事>（返事は | で複数可）")
    with engine.begin() as conn:
        cand_id = conn.execute(
            insert(candidates)
            .values(
                sister=sister,
                kind="pattern",
                trigger=folded,
                replies=json.dumps(replies, ensure_ascii=False),
                users=0,
                status="open",
                created_at=time.time(),
            )
            .returning(candidates.c.id)
        ).scalar_one()
    try:
        approve(engine, store, cand_id, admin)
    except LearningError:
        _decide(engine, cand_id, "rejected", admin)
        raise
    return f"learned_{cand_id}"


# --- offline variations ----------------------------------------------------------------------------
VARY_INSTRUCTION = (
    "次のセリフを、同じ場面・同じ意味のまま、言い回しだけ変えて1つだけ書いてください。"
    "あなたのキャラクターの口調で、説明・記号・かっこ書き・候補の列挙はせず、セリフだけを出力してください。"
)


def vary(
    engine: Engine,
    store: CharacterStore,
    llm,
    *,
    model: str,
    sister: str,
    pattern_id: str,
    n: int,
    temperature: float = 0.9,
) -> dict:
    """Draft ``n`` new variations offline; keep the guard-passing, meaning-keeping, new ones as candidates."""
    chars = store.current
    if sister not in chars.sisters:
        raise LearningError(f"unknown sister {sister!r}")
    pattern = chars.pattern(sister, pattern_id)
    if pattern is None:
        raise LearningError(f"{sister} has no pattern {pattern_id!r}")
    persona = chars.persona(sister)
    existing = {fold(r) for r in pattern.replies}
    kept, rejected = [], defaultdict(int)
    trigger = next((t.exact[0] for t in pattern.triggers if t.exact), pattern_id)
    for i in range(n):
        original = pattern.replies[i % len(pattern.replies)]
        messages = [
            {"role": "system", "content": persona.system_prompt + "\n" + VARY_INSTRUCTION},
            {"role": "user", "content": original},
        ]
        try:
            done = llm.complete(
                model, messages, temperature=temperature, max_tokens=120, deadline=time.monotonic() + 60
            )
        except Exception as exc:
            rejected[f"error:{getattr(exc, 'reason', type(exc).__name__)}"] += 1
            continue
        verdict = check_variation(
            original,
            done.text,
            forbidden=persona.rules.forbidden,
            max_sentences=persona.rules.max_sentences,
            prompt_fragments=prompt_fragments(persona.system_prompt + "\n" + VARY_INSTRUCTION),
            names=chars.speaker_names,
        )
        if not verdict.ok:
            rejected[verdict.reason or "rejected"] += 1
            continue
        if fold(verdict.cleaned) in existing:
            rejected["duplicate"] += 1
            continue
        existing.add(fold(verdict.cleaned))
        with engine.begin() as conn:
            conn.execute(
                insert(candidates).values(
                    sister=sister,
                    kind="variation",
                    pattern_id=pattern_id,
                    trigger=trigger,
                    replies=json.dumps([verdict.cleaned], ensure_ascii=False),
                    users=0,
                    status="open",
                    created_at=time.time(),
                )
            )
        kept.append(verdict.cleaned)
    return {"kept": kept, "rejected": dict(rejected)}
