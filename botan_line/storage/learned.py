"""The learning loop that grows Layer 1, with a human approving every new line.

- ``mine``: questions that reached Layer 2 from enough distinct fans become candidates — near
  paraphrases across fans (with or without the sister's name) grouped into one candidate with
  several triggers (``paraphrase.py``), with the guard-passing replies they got.
- ``vary``: any OpenAI-compatible model (a small local one is fine) drafts new variations of an
  existing pattern offline; only those the guard passes, meaning kept, become candidates.
- ``approve`` / ``learn`` / ``import_learned`` write the ``learned_patterns`` table — the source of
  truth for every worker on every machine — in the caller's transaction, after checking that the
  whole character set still loads with the change; every change bumps ``learned_version`` (what
  workers poll) and is audited (who, when, what). ``learned.yaml`` is only an export for review.
"""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlalchemy import Connection, Engine, delete, insert, select, update

from botan_line.characters.loader import LEARNED_FILE, CharacterStore, load_characters
from botan_line.characters.matcher import Context
from botan_line.characters.normalize import fold, normalize
from botan_line.config import BotConfig, Tier
from botan_line.core import safety
from botan_line.core.guard import check_variation
from botan_line.core.layer2 import profiles
from botan_line.core.layer2.prompt import prompt_fragments
from botan_line.core.model import Approve, Reject
from botan_line.errors import BotanError, CharacterError
from botan_line.storage.db import (
    candidates,
    history,
    learned_audit,
    learned_patterns,
    learned_version,
    ledger,
)
from botan_line.yamlio import atomic_write

log = logging.getLogger(__name__)
LEADING = ("の", "って", "は", "も", "ってさ", "さ", "ね")  # left at the front once a name is taken out


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
    triggers: tuple[str, ...] = ()  # every wording of the cluster (patterns); () for variations
    members: tuple[dict, ...] = ()  # {"text": normalised message, "users": fans who sent it}


def _candidate(row) -> Candidate:
    triggers = tuple(json.loads(row.triggers)) if row.triggers else (row.trigger,)
    members = tuple(json.loads(row.members)) if row.members else ({"text": row.trigger, "users": row.users},)
    return Candidate(
        row.id,
        row.sister,
        row.kind,
        row.pattern_id,
        row.trigger,
        json.loads(row.replies),
        row.users,
        row.status,
        triggers,
        members,
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


# --- the learned patterns in the database ---------------------------------------------------
class LearnedSource:
    """What a CharacterStore reads: the version counter (cheap) and the learned patterns."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def version(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.scalar(select(learned_version.c.version).where(learned_version.c.id == 1)) or 0)

    def load(self) -> tuple[int, dict]:
        with self.engine.connect() as conn:
            version = int(
                conn.scalar(select(learned_version.c.version).where(learned_version.c.id == 1)) or 0
            )
            rows = conn.execute(select(learned_patterns).order_by(learned_patterns.c.id)).all()
        return version, as_files(rows)


def as_files(rows) -> dict[str, tuple[str, dict]]:
    """learned_patterns rows → per sister ("database:learned/<sister>", learned.yaml-shaped dict)."""
    out: dict[str, dict] = {}
    for r in rows:
        data = out.setdefault(r.sister, {"patterns": [], "variations": {}})
        body = json.loads(r.body)
        if r.kind == "variation":
            data["variations"][r.pattern_id] = body["replies"]
        else:
            data["patterns"].append(body)
    return {sister: (f"database:learned/{sister}", data) for sister, data in out.items()}


def _bump(conn: Connection, now: float) -> None:
    """First write of every change: serialises writers (a row lock) and tells every worker."""
    conn.execute(
        update(learned_version)
        .where(learned_version.c.id == 1)
        .values(version=learned_version.c.version + 1, changed_at=now)
    )


def _check(conn: Connection, store: CharacterStore, changes: list[tuple[str, str, str, dict | None]]) -> None:
    """Would the character set still load with these (sister, kind, pattern_id, body|None) changes?"""
    rows = {(r.sister, r.kind, r.pattern_id): r for r in conn.execute(select(learned_patterns)).all()}

    @dataclass
    class _Row:
        sister: str
        kind: str
        pattern_id: str
        body: str

    merged = {k: _Row(r.sister, r.kind, r.pattern_id, r.body) for k, r in rows.items()}
    for sister, kind, pattern_id, body in changes:
        if body is None:
            merged.pop((sister, kind, pattern_id), None)
        else:
            merged[(sister, kind, pattern_id)] = _Row(
                sister, kind, pattern_id, json.dumps(body, ensure_ascii=False)
            )
    try:
        load_characters(store.root, as_files(merged.values()))
    except CharacterError as exc:
        raise LearningError("この変更は適用できません: " + exc.problems[0].split(": ", 1)[-1]) from None


def _write(
    conn: Connection,
    sister: str,
    kind: str,
    pattern_id: str,
    body: dict,
    admin: str,
    now: float,
    *,
    action: str,
    candidate_id: int | None = None,
) -> None:
    text = json.dumps(body, ensure_ascii=False)
    conn.execute(
        delete(learned_patterns).where(
            learned_patterns.c.sister == sister,
            learned_patterns.c.kind == kind,
            learned_patterns.c.pattern_id == pattern_id,
        )
    )
    conn.execute(
        insert(learned_patterns).values(
            sister=sister,
            kind=kind,
            pattern_id=pattern_id,
            body=text,
            candidate_id=candidate_id,
            approved_by=admin,
            approved_at=now,
        )
    )
    conn.execute(
        insert(learned_audit).values(
            at=now,
            admin=admin,
            action=action,
            sister=sister,
            pattern_id=pattern_id,
            candidate_id=candidate_id,
            detail=text,
        )
    )


def parse_edit(text: str | None) -> tuple[list[str] | None, bool]:
    """An admin's edit of a candidate's replies: "A | B" replaces them, "+ A | B" adds to them."""
    text = (text or "").replace("｜", "|").strip()
    if not text:
        return None, False
    add = text.startswith(("+", "＋"))
    lines = [r.strip() for r in text.lstrip("+＋").split("|") if r.strip()]
    return (lines or None), add


def _version(conn: Connection) -> int:
    return int(conn.scalar(select(learned_version.c.version).where(learned_version.c.id == 1)) or 0)


def _open(conn: Connection, cand_id: int) -> Candidate:
    row = conn.execute(select(candidates).where(candidates.c.id == cand_id)).first()
    if row is None or row.status != "open":
        raise LearningError(f"候補 #{cand_id} は見つからないか、すでに処理済みです")
    return _candidate(row)


def plan_approval(
    conn: Connection,
    store: CharacterStore,
    cand_id: int,
    admin: str,
    *,
    replies: list[str] | None = None,
    add: bool = False,
) -> Approve:
    """What approving candidate ``cand_id`` will write, checked: the whole character set still loads
    with it. Only reads; raises LearningError with a message for the admin.

    ``replies``: the admin's own text, replacing the candidate's, or added to them with ``add``.
    The result is the ``Approve`` effect ``write_approval`` applies (in the decision's transaction,
    for /approve) as long as no other change of the learned patterns came in between."""
    version = _version(conn)
    cand = _open(conn, cand_id)
    lines = (
        [*cand.replies, *(r for r in replies or [] if r not in cand.replies)]
        if add
        else (replies or cand.replies)
    )
    if cand.kind == "variation":
        old = conn.execute(
            select(learned_patterns.c.body).where(
                learned_patterns.c.sister == cand.sister,
                learned_patterns.c.kind == "variation",
                learned_patterns.c.pattern_id == cand.pattern_id,
            )
        ).scalar()
        known = json.loads(old)["replies"] if old else []
        key, body = cand.pattern_id, {"replies": [*known, *(r for r in lines if r not in known)]}
    else:
        key = f"learned_{cand.id}"
        body = {
            "id": key,
            "category": "learned",
            "triggers": [{"exact": list(cand.triggers)}],
            "replies": lines,
        }
    _check(conn, store, [(cand.sister, cand.kind, key, body)])
    return Approve(cand.id, admin, cand.sister, cand.kind, key, json.dumps(body, ensure_ascii=False),
                   tuple(lines), version)  # fmt: skip


def write_approval(conn: Connection, plan: Approve, now: float) -> None:
    """Write a checked approval in the caller's transaction — unless the learned patterns changed
    since it was checked, or the candidate was decided meanwhile: then LearningError (roll back and
    plan again). The version counter's compare-and-set is also what tells every worker."""
    bumped = conn.execute(
        update(learned_version)
        .where(learned_version.c.id == 1, learned_version.c.version == plan.version)
        .values(version=learned_version.c.version + 1, changed_at=now)
    )
    if bumped.rowcount != 1:
        raise LearningError("ほかの変更と重なりました。もう一度どうぞ")
    decided = conn.execute(
        update(candidates)
        .where(candidates.c.id == plan.candidate_id, candidates.c.status == "open")
        .values(status="approved", decided_at=now, decided_by=plan.admin,
                replies=json.dumps(list(plan.replies), ensure_ascii=False))
    )  # fmt: skip
    if decided.rowcount != 1:
        raise LearningError(f"候補 #{plan.candidate_id} は見つからないか、すでに処理済みです")
    _write(conn, plan.sister, plan.kind, plan.pattern_id, json.loads(plan.body), plan.admin, now,
           action="approve", candidate_id=plan.candidate_id)  # fmt: skip


def approve(
    conn: Connection,
    store: CharacterStore,
    cand_id: int,
    admin: str,
    *,
    replies: list[str] | None = None,
    add: bool = False,
    now: float | None = None,
) -> Candidate:
    """Approve candidate ``cand_id`` in the caller's transaction (operator tools): lock the learned
    patterns first (so concurrent approvers queue up instead of failing), then plan and write."""
    now = time.time() if now is None else now
    _bump(conn, now)
    plan = plan_approval(conn, store, cand_id, admin, replies=replies, add=add)
    write_approval(conn, plan, now)
    return _candidate(conn.execute(select(candidates).where(candidates.c.id == cand_id)).one())


def plan_rejection(conn: Connection, cand_id: int, admin: str) -> Reject:
    """Check that candidate ``cand_id`` is open; the ``Reject`` effect ``write_rejection`` applies."""
    _open(conn, cand_id)
    return Reject(cand_id, admin)


def write_rejection(conn: Connection, plan: Reject, now: float) -> None:
    done = conn.execute(
        update(candidates)
        .where(candidates.c.id == plan.candidate_id, candidates.c.status == "open")
        .values(status="rejected", decided_at=now, decided_by=plan.admin)
    )
    if done.rowcount != 1:
        raise LearningError(f"候補 #{plan.candidate_id} は見つからないか、すでに処理済みです")


def reject(conn: Connection, cand_id: int, admin: str, now: float | None = None) -> Candidate:
    cand = _open(conn, cand_id)
    write_rejection(conn, Reject(cand_id, admin), time.time() if now is None else now)
    return cand


def decide_now(
    engine: Engine,
    store: CharacterStore,
    cand_id: int,
    admin: str,
    *,
    approve_it: bool,
    edit: str | None = None,
) -> Candidate:
    """One transaction for an approval or rejection, then this process reloads at once (the others
    within their next version check)."""
    replies, add = parse_edit(edit)
    with engine.begin() as conn:
        if approve_it:
            cand = approve(conn, store, cand_id, admin, replies=replies, add=add)
        else:
            cand = reject(conn, cand_id, admin)
    if approve_it:
        store.reload()
    return cand


def learn(
    engine: Engine, store: CharacterStore, sister: str, trigger: str, replies: list[str], admin: str
) -> str:
    """Add a reviewed pattern directly (the admin wrote it). Returns the new pattern id."""
    if sister not in store.current.sisters:
        raise LearningError(f"{sister} という姉妹はいません（{' / '.join(store.current.sisters)}）")
    folded = normalize(trigger).text
    if not folded or not replies:
        raise LearningError("書き方: /learn <姉妹> <きっかけの言葉> => <返事>（返事は | で複数可）")
    now = time.time()
    with engine.begin() as conn:
        cand_id = conn.execute(
            insert(candidates)
            .values(
                sister=sister,
                kind="pattern",
                trigger=folded,
                triggers=json.dumps([folded], ensure_ascii=False),
                replies=json.dumps(replies, ensure_ascii=False),
                users=0,
                status="open",
                created_at=now,
            )
            .returning(candidates.c.id)
        ).scalar_one()
    try:
        decide_now(engine, store, cand_id, admin, approve_it=True)
    except LearningError:
        with engine.begin() as conn:
            reject(conn, cand_id, admin)
        raise
    return f"learned_{cand_id}"


# --- mining -----------------------------------------------------------------------------------------
def _trigger_forms(key: str) -> list[str]:
    """The key Layer 1 saw, and the same without a particle left in front by a removed name."""
    forms = [key]
    for lead in sorted(LEADING, key=len, reverse=True):
        if key.startswith(lead) and len(key) > len(lead) + 1:
            forms.append(key[len(lead) :])
            break
    return forms


def _asked(conn: Connection) -> list:
    """Guard-passing Layer 2 answers with the key Layer 1 saw and, when still kept, the raw words."""
    return conn.execute(
        select(ledger.c.sister, ledger.c.normalized, ledger.c.user_id, ledger.c.reply, history.c.text)
        .select_from(
            ledger.outerjoin(
                history,
                (history.c.user_id == ledger.c.user_id)
                & (history.c.created_at == ledger.c.created_at)
                & (history.c.role == "user"),
            )
        )
        .where(
            ledger.c.layer == "layer2",
            ledger.c.guard.like("%pass"),
            ledger.c.normalized.is_not(None),
            ledger.c.reply.is_not(None),
        )
        .order_by(ledger.c.id)
    ).all()


def mine(
    engine: Engine, store: CharacterStore, *, min_users: int, max_replies: int, now: float | None = None
) -> int:
    """Turn recurring Layer 2 questions into open candidates, paraphrases grouped; returns how many."""
    from botan_line.core.conversation import called_sister
    from botan_line.ops import paraphrase

    now = time.time() if now is None else now
    chars = store.current
    with engine.connect() as conn:
        rows = _asked(conn)
        known = defaultdict(set)
        for r in conn.execute(select(candidates.c.sister, candidates.c.trigger, candidates.c.triggers)).all():
            known[r.sister].update(json.loads(r.triggers) if r.triggers else [r.trigger])
    groups: dict[tuple[str, str], dict] = defaultdict(lambda: {"users": set(), "replies": [], "raw": None})
    for r in rows:
        if r.sister not in chars.sisters or safety.classify(r.normalized, chars.safety):
            continue
        g = groups[(r.sister, r.normalized)]
        g["users"].add(r.user_id)
        g["raw"] = g["raw"] or (called_sister(r.text, chars)[1] if r.text else r.normalized)
        if r.reply not in g["replies"]:
            g["replies"].append(r.reply)
    added = 0
    for sister in chars.sisters:
        keys = sorted(
            (k for (s, k) in groups if s == sister and k not in known[sister]),
            key=lambda k: (-len(groups[(sister, k)]["users"]), k),
        )
        keys = [k for k in keys if chars.matchers[sister].match(k, False, Context("daytime")) is None]
        for members in paraphrase.cluster((k, groups[(sister, k)]["raw"]) for k in keys):
            users = set().union(*(groups[(sister, k)]["users"] for k in members))
            if len(users) < min_users:
                continue
            replies = list(dict.fromkeys(r for k in members for r in groups[(sister, k)]["replies"]))
            triggers = list(dict.fromkeys(f for k in members for f in _trigger_forms(k)))
            shown = [{"text": k, "users": len(groups[(sister, k)]["users"])} for k in members]
            with engine.begin() as conn:
                conn.execute(
                    insert(candidates).values(
                        sister=sister,
                        kind="pattern",
                        trigger=members[0],
                        triggers=json.dumps(triggers, ensure_ascii=False),
                        members=json.dumps(shown, ensure_ascii=False),
                        replies=json.dumps(replies[:max_replies], ensure_ascii=False),
                        users=len(users),
                        status="open",
                        created_at=now,
                    )
                )
            added += 1
    return added


def mine_in_child(
    engine: Engine, store: CharacterStore, *, min_users: int, max_replies: int, timeout: float = 120.0
) -> int:
    """``mine`` in a short-lived process, so the morphological dictionary never stays in a worker.
    Raises LearningError when it fails or takes longer than ``timeout`` seconds (it is killed)."""
    import os
    import subprocess
    import sys

    env = dict(
        os.environ,
        BOTAN_DATABASE_URL=engine.url.render_as_string(hide_password=False),
        BOTAN_CHARACTERS_DIR=str(store.root),
    )
    command = [sys.executable, "-m", "botan_line", "learned", "mine",
               "--min-users", str(min_users), "--max-replies", str(max_replies)]  # fmt: skip
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        log.warning("mining took longer than %.0f s and was stopped", timeout)
        raise LearningError("候補の集計が時間内に終わりませんでした") from None
    if done.returncode != 0:
        log.error("mining failed (exit %s)", done.returncode)
        raise LearningError("候補の集計に失敗しました（ログを確認してください）")
    return int((done.stdout.strip().split() or ["0"])[0])


# --- learned.yaml: export for review in git, import back ------------------------------------------
HEADER = (
    "# Exported by `botan-line learned export` from the database, which is the source of truth.\n"
    "# Edit, review in git, then `botan-line learned import` (the whole file replaces this sister's).\n"
)


def export_learned(engine: Engine, root: Path) -> list[Path]:
    """Write characters/<sister>/learned.yaml for every sister with learned patterns."""
    written = []
    with engine.connect() as conn:
        rows = conn.execute(select(learned_patterns).order_by(learned_patterns.c.id)).all()
    for sister, (_where, data) in sorted(as_files(rows).items()):
        if not data["variations"]:
            del data["variations"]
        path = Path(root) / sister / LEARNED_FILE
        atomic_write(path, HEADER + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000))
        written.append(path)
    return written


def import_learned(
    conn: Connection, store: CharacterStore, root: Path, admin: str, now: float | None = None
) -> dict[str, int]:
    """Each sister's learned.yaml replaces her learned patterns (checked first, audited)."""
    from botan_line.yamlio import YamlProblem, load_with_lines

    now = time.time() if now is None else now
    _bump(conn, now)
    changes, counts = [], {}
    current = {(r.sister, r.kind, r.pattern_id) for r in conn.execute(select(learned_patterns)).all()}
    for path in sorted(Path(root).glob(f"*/{LEARNED_FILE}")):
        sister = path.parent.name
        try:
            data, _lines = load_with_lines(path)
        except YamlProblem as exc:
            raise LearningError(exc.problems[0]) from None
        data = data or {}
        wanted = {("pattern", p.get("id", "")): p for p in data.get("patterns", [])}
        wanted |= {
            ("variation", pid): {"replies": lines} for pid, lines in (data.get("variations") or {}).items()
        }
        changes += [
            (sister, kind, pid, None)
            for (s, kind, pid) in current
            if s == sister and (kind, pid) not in wanted
        ]
        changes += [(sister, kind, pid, body) for (kind, pid), body in wanted.items()]
        counts[sister] = len(wanted)
    _check(conn, store, changes)
    for sister, kind, pid, body in changes:
        if body is None:
            conn.execute(
                delete(learned_patterns).where(
                    learned_patterns.c.sister == sister,
                    learned_patterns.c.kind == kind,
                    learned_patterns.c.pattern_id == pid,
                )
            )
            conn.execute(
                insert(learned_audit).values(
                    at=now, admin=admin, action="remove", sister=sister, pattern_id=pid
                )
            )
        else:
            _write(conn, sister, kind, pid, body, admin, now, action="import")
    return counts


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
    cfg: BotConfig | None = None,
) -> dict:
    """Draft ``n`` new variations offline; keep the guard-passing, meaning-keeping, new ones as candidates."""
    chars = store.current
    cfg = cfg or BotConfig()
    if sister not in chars.sisters:
        raise LearningError(f"unknown sister {sister!r}")
    pattern = chars.pattern(sister, pattern_id)
    if pattern is None:
        raise LearningError(f"{sister} has no pattern {pattern_id!r}")
    persona = chars.persona(sister)
    existing = {fold(r) for r in pattern.replies}
    kept, rejected = [], defaultdict(int)
    trigger = next((t.exact[0] for t in pattern.triggers if t.exact), pattern_id)
    # offline work: the Flex tier at half price where the model offers it
    asked = profiles.ask(Tier(model=model, temperature=temperature, max_output_tokens=120), cfg, offline=True)
    for i in range(n):
        original = pattern.replies[i % len(pattern.replies)]
        messages = [
            {"role": "system", "content": persona.system_prompt + "\n" + VARY_INSTRUCTION},
            {"role": "user", "content": original},
        ]
        try:
            done = llm.complete(asked, messages, deadline=time.monotonic() + 60)
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
