"""The offline half of the learning loop, run by operators and the miner's child process.

- ``mine``: questions that reached Layer 2 from enough distinct fans become candidates — near
  paraphrases across fans (with or without the sister's name) grouped into one candidate with
  several triggers (``paraphrase.py``), with the guard-passing replies they got.
- ``vary``: any OpenAI-compatible model (a small local one is fine) drafts new variations of an
  existing pattern offline; only those the guard passes, meaning kept, become candidates.
- ``export_learned`` / ``import_learned``: ``learned.yaml`` for review in git, and back.

What the service itself needs — the learned patterns every worker reads, candidates, approvals
written with their reply — lives in ``storage/learned.py``.
"""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Connection, Engine, Row, delete, insert, select

from botan_line.characters import lexicon
from botan_line.characters.loader import LEARNED_FILE, CharacterStore
from botan_line.characters.matcher import AFTER, Context
from botan_line.characters.normalize import fold
from botan_line.config import BotConfig, Tier
from botan_line.core import safety
from botan_line.core.guard import check_variation
from botan_line.core.layer2 import profiles
from botan_line.core.layer2.prompt import prompt_fragments
from botan_line.errors import LearningError
from botan_line.storage.db import candidates, history, learned_audit, learned_patterns, ledger
from botan_line.storage.learned import _bump, _check, _write, as_files
from botan_line.yamlio import atomic_write

log = logging.getLogger(__name__)
LEADING = ("の", "って", "は", "も", "ってさ", "さ", "ね")  # left at the front once a name is taken out


# --- mining -----------------------------------------------------------------------------------------
def _trigger_forms(key: str) -> list[str]:
    """The key Layer 1 saw, and the same without a particle left in front by a removed name."""
    forms = [key]
    for lead in sorted(LEADING, key=len, reverse=True):
        if key.startswith(lead) and len(key) > len(lead) + 1:
            forms.append(key[len(lead) :])
            break
    return forms


def _asked(conn: Connection) -> Sequence[Row[Any, Any, Any, Any, Any]]:
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


def _heard(conn: Connection) -> Sequence[Row[Any, Any, Any, Any, Any]]:
    """What one of her patterns answered: (sister, key, fan, "sister:pattern", raw words)."""
    return conn.execute(
        select(ledger.c.sister, ledger.c.normalized, ledger.c.user_id, ledger.c.pattern, history.c.text)
        .select_from(
            ledger.outerjoin(
                history,
                (history.c.user_id == ledger.c.user_id)
                & (history.c.created_at == ledger.c.created_at)
                & (history.c.role == "user"),
            )
        )
        .where(ledger.c.layer == "layer1", ledger.c.normalized.is_not(None), ledger.c.pattern.is_not(None))
        .order_by(ledger.c.id)
    ).all()


def _read_of(wording) -> set[str]:
    """The concepts a read wording says, with or without their word (一番よく聴く: 好き)."""
    r = wording.reading
    return set(r.concepts) | set(r.implied) if r is not None else set()


def _answered(matcher, key: str) -> bool:
    """Would Layer 1 answer this already, after any line of hers (a reaction waits for one)?"""
    return any(matcher.match(key, False, Context("daytime", after=after)) for after in AFTER)


def _owners(chars, conn) -> dict[str, str]:
    """Every line a sister says or an open candidate of hers would say → that sister."""
    owner = {r: sid for sid, s in chars.sisters.items() for p in s.patterns.values() for r in p.replies}
    rows = conn.execute(
        select(candidates.c.sister, candidates.c.replies).where(candidates.c.status == "open")
    )
    for row in rows.all():
        for r in json.loads(row.replies):
            owner.setdefault(r, row.sister)
    return owner


def _own_replies(
    owner: dict[str, str], sister: str, replies: list[str], question: str, draft, limit: int
) -> tuple[list[str], str | None]:
    """Her replies, without lines another sister already says or will say (a line belongs to one
    sister); those are replaced by fresh ones drafted for her when a model is configured. Returns
    (replies, note); the lines kept are hers from now on."""
    taken = {r for r, sid in owner.items() if sid != sister}
    own = [r for r in replies if r not in taken][:limit]
    for r in own:
        owner.setdefault(r, sister)
    if len(own) == len(replies):
        return own[:limit], None
    missing = max(1, min(limit, len(replies)) - len(own))
    if draft is None:
        note = "返事の一部がほかの姉妹のセリフと同じなので外しました。モデルが設定されていないため、新しい返事は書けていません"
        return own[:limit], note + ("（承認のときに返事を書いてください）" if not own else "")
    fresh = [r for r in draft(sister, question, missing) if r not in taken and r not in own]
    for r in fresh:
        owner.setdefault(r, sister)
    if fresh or own:
        return (own + fresh)[:limit], None
    return [], "ほかの姉妹のセリフと重なったため新しい返事を下書きしましたが、品質チェックを通りませんでした"


def mine(
    engine: Engine,
    store: CharacterStore,
    *,
    min_users: int,
    max_replies: int,
    now: float | None = None,
    draft=None,
    rephrase=None,
) -> int:
    """Turn recurring Layer 2 questions into open candidates, paraphrases grouped; returns how many.

    A candidate's triggers are its wordings that carry content words (never a bare verb, function
    word or reaction); its ``meaning`` (what every later wording is matched against) and a preview of
    what it would and would not answer are stored with it. A wording that may ask something else
    (``paraphrase.strays``) is left out, or, when the rest come from too few fans, kept and named in
    the candidate's note for the admin. ``draft(sister, question, n)`` writes fresh
    lines in her voice (offline, through the guard) when the replies fans got are another sister's.
    ``rephrase(questions, n)`` writes up to ``n`` other wordings of a question (offline, by a model):
    those that ask it the same way are kept with its meaning (``also``), so an approval answers
    wordings no fan has used yet.

    The wordings her patterns answered are grouped too: new wordings that meet one of them become a
    candidate to answer with that pattern's lines (``same_as`` once approved), so a question she
    already answers learns the other ways fans ask it, and no second answer to it is drafted."""
    from botan_line.core.conversation import called_sister
    from botan_line.ops import paraphrase  # the morphological analyser: the miner's process only

    now = time.time() if now is None else now
    rephrase = _budgeted(rephrase, REPHRASE_SECONDS)
    chars = store.current
    with engine.connect() as conn:
        rows = _asked(conn)
        heard = _heard(conn)
        owner = _owners(chars, conn)
        known: defaultdict[str, set[str]] = defaultdict(set)
        for c in conn.execute(select(candidates.c.sister, candidates.c.trigger, candidates.c.triggers)).all():
            known[c.sister].update(json.loads(c.triggers) if c.triggers else [c.trigger])

    def raw(text: str | None, key: str) -> str:
        return called_sister(text, chars)[1] if text else key

    groups: dict[tuple[str, str], dict] = defaultdict(lambda: {"users": set(), "replies": [], "raw": None})
    for r in rows:
        if r.sister not in chars.sisters or safety.classify(r.normalized, chars.safety):
            continue
        g = groups[(r.sister, r.normalized)]
        g["users"].add(r.user_id)
        g["raw"] = g["raw"] or raw(r.text, r.normalized)
        if r.reply not in g["replies"]:
            g["replies"].append(r.reply)
    answered: dict[tuple[str, str], dict] = {}  # (sister, key) → the fans, their words, the pattern
    for r in heard:
        sister, _, pattern_id = r.pattern.partition(":")
        pattern = chars.pattern(sister, pattern_id) if sister == r.sister in chars.sisters else None
        if pattern is None:
            continue
        stands_for = (
            pattern.same_as if pattern.same_as and chars.pattern(sister, pattern.same_as) else pattern.id
        )
        a = answered.setdefault((sister, r.normalized), {"users": set(), "raw": None})
        a["users"].add(r.user_id)
        a["raw"] = a["raw"] or raw(r.text, r.normalized)
        a["pattern"] = stands_for  # the latest: what answers it now
    names = {sid: s.persona.nicknames for sid, s in chars.sisters.items()}
    added = 0
    for sister in chars.sisters:
        asked = [k for (s, k) in groups if s == sister]
        keys = sorted(
            (k for k in asked if k not in known[sister]),
            key=lambda k: (-len(groups[(sister, k)]["users"]), k),
        )
        keys = [k for k in keys if not _answered(chars.matchers[sister], k)]
        fresh = set(keys)
        anchor = {k: a["pattern"] for (s, k), a in answered.items() if s == sister and k not in fresh}

        def fans(key: str, sister: str = sister, anchor: dict = anchor) -> set[str]:
            return answered[(sister, key)]["users"] if key in anchor else groups[(sister, key)]["users"]

        analyst = paraphrase.Analyst(names, sister)
        wordings = [paraphrase.Wording(k, groups[(sister, k)]["raw"] or k) for k in keys]
        wordings += [paraphrase.Wording(k, answered[(sister, k)]["raw"] or k) for k in sorted(anchor)]
        analyst.learn(wordings)
        others = {
            sid: s.persona.display_name.split("（")[0] for sid, s in chars.sisters.items() if sid != sister
        }
        for group in paraphrase.cluster(wordings):
            if all(m.text in anchor for m in group):
                continue  # she answers all of them already
            if len({anchor[m.text] for m in group if m.text in anchor}) > 1:
                group = [m for m in group if m.text not in anchor]  # near two of hers: which is unclear
            odd = paraphrase.strays(group)  # left for the next mining, where they meet their own kind,
            members = [m for m in group if m not in odd]  # unless the rest is too few: then only shown
            users = set().union(*(fans(m.text) for m in members))
            kept = bool(odd) and len(users) < min_users
            if kept:
                members = group
                users = set().union(*(fans(m.text) for m in members))
            base = next((anchor[m.text] for m in members if m.text in anchor), None)
            if base is not None and any(m.reading and m.reading.statement for m in members):
                # a reaction answers its own words (また明日ね), not a statement sharing one of them
                base, members = None, [m for m in members if m.text not in anchor]
                users = set().union(*(fans(m.text) for m in members))
            if base is not None:  # her answer is about what all her wordings say: a new one says it too
                hers = set.intersection(*(_read_of(m) for m in members if m.text in anchor)) - lexicon.SOFT
                members = [m for m in members if m.text in anchor or hers <= _read_of(m)]
                users = set().union(*(fans(m.text) for m in members))
            if len(users) < min_users or all(m.text in anchor for m in members):
                continue
            triggers = [  # content words, and none another pattern of hers already answers (approval would fail)
                f
                for f in dict.fromkeys(
                    f for m in members if m.text not in anchor for f in _trigger_forms(m.text)
                )
                if analyst.read(f).content and not _answered(chars.matchers[sister], f)
            ]
            if not triggers:
                continue
            drafted = _drafted(rephrase, [m.raw for m in members if m.text not in anchor], chars, sister)
            analyst.learn(drafted)
            body = paraphrase.meaning_of(members, analyst, drafted=drafted)
            review = {"meaning": body, **paraphrase.preview(members, body, analyst, asked, others)}
            review["would"] = [  # what the model drafted and the meaning keeps, first
                {"text": v["example"], "score": 1.0, "why": "", "seen": False, "drafted": True}
                for v in body.get("also", [])
            ] + review.get("would", [])
            note: str | None
            if base is not None:  # her own lines for it; the pattern keeps them current once approved
                replies = list(chars.sisters[sister].patterns[base].replies)
                note = f"「{base}」がもう答えている質問の別の言い方です。承認すると、その返事で答えます"
            else:
                replies = list(dict.fromkeys(r for m in members for r in groups[(sister, m.text)]["replies"]))
                replies, note = _own_replies(owner, sister, replies, members[0].raw, draft, max_replies)
            if odd:
                left = "、".join(f"「{m.raw[:20]}」" for m in odd)
                said = "は別の質問かもしれません。承認の前に確かめてください" if kept else (
                    "は別の質問かもしれないので、この候補から外しました")  # fmt: skip
                note = "、".join(x for x in (note, left + said) if x)
            shown = [
                {
                    "text": m.text,
                    "users": len(fans(m.text)),
                    **({"answered": True} if m.text in anchor else {}),
                }
                for m in members
            ]
            first = next(m for m in members if m.text not in anchor)
            with engine.begin() as conn:
                conn.execute(
                    insert(candidates).values(
                        sister=sister,
                        kind="pattern",
                        pattern_id=base,
                        trigger=first.text,
                        triggers=json.dumps(triggers, ensure_ascii=False),
                        members=json.dumps(shown, ensure_ascii=False),
                        replies=json.dumps(replies, ensure_ascii=False),
                        users=len(users),
                        status="open",
                        created_at=now,
                        meaning=json.dumps(review, ensure_ascii=False),
                        note=note,
                    )
                )
            added += 1
    return added


REPHRASINGS = 10  # other wordings of a question a model drafts for a candidate
REPHRASE_SECONDS = 45.0  # one mining run spends at most this long drafting them (/candidates waits)


def _budgeted(rephrase, seconds: float):
    """``rephrase`` until ``seconds`` have been spent in it; then nothing (the rest keep their wordings)."""
    if rephrase is None:
        return None
    spent = [0.0]

    def within(questions: list[str], n: int) -> list[str]:
        if spent[0] >= seconds:
            return []
        t0 = time.monotonic()
        try:
            return rephrase(questions, n)
        finally:
            spent[0] += time.monotonic() - t0

    return within


def _drafted(rephrase, questions: list[str], chars, sister: str) -> list:
    """Other wordings of these questions from ``rephrase`` (offline), as the miner reads a fan's: her
    name taken out; anything the safety layer flags, or too long to be a question, left out."""
    from botan_line.characters import meaning as meanings
    from botan_line.characters.normalize import normalize
    from botan_line.core.conversation import called_sister
    from botan_line.ops import paraphrase

    if rephrase is None or not questions:
        return []
    try:
        texts = rephrase(questions, REPHRASINGS)
    except Exception as exc:  # a model that is down leaves the candidate as it was
        log.warning("drafting other wordings failed (%s)", type(exc).__name__)
        return []
    out, seen = [], set(questions)
    for text in texts:
        called, rest = called_sister(text, chars)
        if called not in (None, sister) or not rest or rest in seen or len(rest) > meanings.MAX_LENGTH:
            continue
        seen.add(rest)
        key = normalize(rest).text
        if key and not safety.classify(key, chars.safety):
            out.append(paraphrase.Wording(key, rest))
    return out


REPHRASE_INSTRUCTION = (
    "次はVTuberの女の子にファンがLINEで送った、同じ内容の質問です。\n{questions}\n"
    "同じ答えが必要な別の聞き方を{n}個、ファンが実際に書くように書いてください。"
    "言葉（同じ意味の別の単語）、語順、丁寧さ、長さを変え、聞いている内容は変えないでください。"
    "1行に1つ、番号・記号・説明なしで出力してください。"
)


def rephraser(llm, model: str, cfg: BotConfig | None = None):
    """``rephrase(questions, n)`` for ``mine``: up to ``n`` other wordings of a question from the
    configured model (one offline call, the Flex tier where offered)."""
    cfg = cfg or BotConfig()
    asked = profiles.ask(Tier(model=model, temperature=0.8, max_output_tokens=600), cfg, offline=True)

    def rephrase(questions: list[str], n: int) -> list[str]:
        prompt = REPHRASE_INSTRUCTION.format(questions="\n".join(f"・{q}" for q in questions[:5]), n=n)
        done = llm.complete(asked, [{"role": "user", "content": prompt}], deadline=time.monotonic() + 60)
        lines = (line.strip().lstrip("・-*0123456789.）)、 　").strip() for line in done.text.splitlines())
        return [line for line in dict.fromkeys(lines) if line][:n]

    return rephrase


ANSWER_INSTRUCTION = (
    "次のファンの質問に、あなたとして1〜2文で答えてください。"
    "あなたのキャラクターの口調で、説明・記号・かっこ書き・候補の列挙はせず、セリフだけを出力してください。"
)


def drafter(llm, model: str, store: CharacterStore, cfg: BotConfig | None = None):
    """``draft(sister, question, n)`` for ``mine``: up to ``n`` fresh answers in her voice from the
    configured model (offline, the Flex tier where offered), each through the guard."""
    from botan_line.core.guard import check_reply

    cfg = cfg or BotConfig()
    asked = profiles.ask(Tier(model=model, temperature=0.9, max_output_tokens=160), cfg, offline=True)

    def draft(sister: str, question: str, n: int) -> list[str]:
        chars = store.current
        persona = chars.persona(sister)
        system = persona.system_prompt + "\n" + ANSWER_INSTRUCTION
        out: list[str] = []
        for _ in range(n + 1):  # one more try than lines wanted
            if len(out) >= n:
                break
            try:
                done = llm.complete(asked, [{"role": "system", "content": system},
                                            {"role": "user", "content": question}],
                                    deadline=time.monotonic() + 60)  # fmt: skip
            except Exception as exc:
                log.warning("drafting a reply failed (%s)", type(exc).__name__)
                continue
            verdict = check_reply(
                done.text,
                forbidden=persona.rules.forbidden,
                max_sentences=persona.rules.max_sentences,
                prompt_fragments=prompt_fragments(system),
                names=chars.speaker_names,
            )
            if verdict.ok and verdict.cleaned not in out:
                out.append(verdict.cleaned)
        return out

    return draft


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
    changes: list[tuple[str, str, str, dict | None]] = []
    counts: dict[str, int] = {}
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
    kept: list[str] = []
    rejected: defaultdict[str, int] = defaultdict(int)
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
