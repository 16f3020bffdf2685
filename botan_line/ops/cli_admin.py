"""Operator subcommands: stats, review, vary, replay (the cost report and the learning loop)."""

from __future__ import annotations

import json
import sys
import tempfile
from datetime import datetime
from pathlib import Path

from botan_line.doors.preflight import existing_database


def _settings():
    from botan_line.settings import Settings

    return Settings.from_env()


def _report(engine, settings, kind: str, now: datetime):
    from botan_line.core import stats
    from botan_line.storage.store import ledger_rows

    since, until, label = stats.period_bounds(kind, now)
    return stats.build_report(
        ledger_rows(engine, since, until + stats.FOLLOWUP_SECONDS),
        cfg=settings.config,
        since=since,
        until=until,
        label=label,
    )


def _print_report(report, as_json: bool, out=None, extra: dict | None = None, footer: str = "") -> None:
    from botan_line.core import stats

    out = out or sys.stdout
    projection = stats.projection(report)
    if as_json:
        out.write(
            json.dumps(
                {
                    **report.to_json(),
                    **(extra or {}),
                    "projection": [
                        {"layer1_share": share, "monthly_yen": round(yen, 2)} for share, yen in projection
                    ],
                },
                ensure_ascii=False,
                indent=2,
            )
            + "\n"
        )
    else:
        out.write(stats.format_cli(report, projection) + "\n")
        if footer:
            out.write(f"\n{footer}\n")


def cmd_stats(args) -> int:
    """The cost report for a month (default: this month)."""
    from botan_line.core import quota
    from botan_line.core.layer2 import lifecycle
    from botan_line.ops.cli_line import push_usage
    from botan_line.storage.db import connect
    from botan_line.storage.store import Store

    settings = _settings()
    now = datetime.now(settings.tz)
    engine = connect(existing_database(settings))
    report = _report(engine, settings, args.month or "month", now)
    pushes = push_usage(settings, engine, now)
    reading = lifecycle.parse_reading(Store(engine).state(lifecycle.STATE_KEY))
    retiring = lifecycle.warnings(settings.config, reading, now.date())
    extra = {"pushes": {"this_month": pushes.used, "counted": pushes.counted, "limit": pushes.limit,
                        "remaining": pushes.remaining},
             "retiring_models": [w.log_line() for w in retiring]}  # fmt: skip
    footer = "\n".join([quota.english(pushes), *(f"WARNING: {w.log_line()}" for w in retiring)])
    _print_report(report, args.json, extra=extra, footer=footer)
    return 0


def _store(settings, engine):
    from botan_line.characters.loader import CharacterStore
    from botan_line.storage.learned import LearnedSource

    return CharacterStore(settings.characters_dir, learned=LearnedSource(engine))


def _drafting(settings, store) -> dict:
    """``mine``'s model helpers when a model is configured: ``draft`` (fresh replies in her voice) and
    ``rephrase`` (other wordings of a question); none without one (the candidate says so)."""
    if not settings.llm_enabled:
        return {}
    from botan_line.adapters.openai_api import LLM
    from botan_line.ops import learning

    cfg = settings.config
    llm = LLM(settings.openai_api_key, settings.openai_base_url, timeout=60, max_retries=cfg.llm.max_retries)
    model = cfg.tiers_for("botan").cheap.model
    return {
        "draft": learning.drafter(llm, model, store, cfg),
        "rephrase": learning.rephraser(llm, model, cfg),
    }


def _show(c) -> None:
    if c.kind == "pattern":
        print(f"\n#{c.id} [{c.sister}] {len(c.members)} wording(s) from {c.users} fan(s):")
        for m in c.members:
            print(f"    「{m['text']}」  ({m['users']} fan(s))")
        print(f"  triggers: {' / '.join(c.triggers)}")
        meaning = getattr(c, "meaning", None)
        if meaning:
            print(f"  means: {describe(meaning)}  (threshold {meaning.get('threshold', 0.75)})")
            for w in getattr(c, "would", ()):
                how = ", drafted by a model" if w.get("drafted") else "" if w.get("seen") else ", made up"
                print(f"    would also answer 「{w['text']}」 ({w['score']:.2f}{how})")
            for w in getattr(c, "wont", ()):
                print(f"    will not answer  「{w['text']}」 ({w['score']:.2f}: {w['why']})")
    else:
        print(f"\n#{c.id} [{c.sister}] new variation of {c.pattern_id}")
    if getattr(c, "note", None):
        print(f"  note: {c.note}")
    for reply in c.replies:
        print(f"    → {reply}")


def describe(meaning: dict) -> str:
    """A signature in one line: concepts (their first form), kind of question, negation, subject."""
    from botan_line.characters.meaning import concept_forms

    def shown(cid: str, forms: list[str]) -> str:
        return (forms or concept_forms(cid) or [cid])[0] if cid.startswith("w:") or not concept_forms(cid) \
            else f"{cid}({concept_forms(cid)[0]})"  # fmt: skip

    parts = [shown(cid, forms) for cid, forms in meaning.get("concepts", {}).items()]
    extra = [f"asks {meaning['ask']}"] if meaning.get("ask") else []
    extra += ["negated"] * bool(meaning.get("negated")) + ["about the fan"] * bool(meaning.get("fan"))
    extra += [f"about {a}" for a in meaning.get("about", [])]
    return " + ".join(parts) + (f" [{', '.join(extra)}]" if extra else "")


REVIEW_HELP = (
    "[a]pprove · a 返事 | 返事 (approve with your own replies) · + 返事 | 返事 (add replies, approve) · "
    "a しきい値0.85 [| 返事…] (approve with a stricter or looser threshold, 0.3–1.0) · [r]eject · [s]kip · [q]uit"
)


def cmd_review(args) -> int:
    """Approve or reject candidate lines in the terminal; answers come from stdin (a TTY or a pipe:
    `yes a | botan-line review` approves every open candidate)."""
    from botan_line.ops import learning
    from botan_line.storage import learned
    from botan_line.storage.db import connect

    settings = _settings()
    engine = connect(existing_database(settings))
    store = _store(settings, engine)
    cfg = settings.config.learning
    added = learning.mine(
        engine, store, min_users=cfg.min_distinct_users, max_replies=cfg.max_replies_per_candidate,
        **_drafting(settings, store),
    )  # fmt: skip
    who = args.admin
    try:
        if args.approve:
            cand = learned.decide_now(engine, store, args.approve, who, approve_it=True, edit=args.replies)
            print(f"approved #{cand.id} ({cand.sister}): every worker serves it within seconds")
            return 0
        if args.reject:
            learned.decide_now(engine, store, args.reject, who, approve_it=False)
            print(f"rejected #{args.reject}")
            return 0
    except learned.LearningError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    found = learned.open_candidates(engine, limit=10**6)
    print(f"{len(found)} open candidate(s) ({added} new)")
    if not args.list and found:
        print(REVIEW_HELP)
    for c in found:
        _show(c)
        if args.list:
            continue
        if sys.stdin.isatty():
            print("? ", end="", flush=True)
        answer = sys.stdin.readline()
        if not answer:  # end of input: leave the rest open
            break
        answer = answer.strip()
        head, edit = answer[:1].lower(), answer[1:].strip()
        if head == "+":
            head, edit = "a", answer
        try:
            if head == "a":
                learned.decide_now(engine, store, c.id, who, approve_it=True, edit=edit or None)
                print("  approved")
            elif head == "r":
                learned.decide_now(engine, store, c.id, who, approve_it=False)
                print("  rejected")
            elif head == "q":
                break
            else:
                print("  skipped")
        except learned.LearningError as exc:
            print(f"  error: {exc}")
    return 0


def cmd_learned(args) -> int:
    """learned export | import | mine: the database's learned patterns and learned.yaml."""
    from botan_line.ops import learning
    from botan_line.storage import learned
    from botan_line.storage.db import connect

    settings = _settings()
    engine = connect(settings.database_url)
    root = Path(args.dir) if getattr(args, "dir", None) else settings.characters_dir
    if args.action == "export":
        for path in learning.export_learned(engine, root):
            print(f"wrote {path}")
        return 0
    store = _store(settings, engine)
    if args.action == "import":
        try:
            with engine.begin() as conn:
                counts = learning.import_learned(conn, store, root, args.admin)
        except learned.LearningError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        for sister, n in sorted(counts.items()):
            print(f"{sister}: {n} learned pattern(s) and variation set(s) now in the database")
        return 0
    drafting = _drafting(settings, store)
    print(
        learning.mine(engine, store, min_users=args.min_users, max_replies=args.max_replies, **drafting),
        "new candidate(s)",
    )
    return 0


def cmd_vary(args) -> int:
    """Draft new variations of a pattern with any OpenAI-compatible model; keep what the guard passes."""
    from botan_line.adapters.openai_api import LLM
    from botan_line.errors import SettingsError
    from botan_line.ops import learning
    from botan_line.storage import learned
    from botan_line.storage.db import connect

    settings = _settings()
    if not settings.llm_enabled:
        raise SettingsError(
            "vary needs a model: set OPENAI_API_KEY, or OPENAI_BASE_URL for a local server "
            "(e.g. http://127.0.0.1:11434/v1 for Ollama)"
        )
    engine = connect(existing_database(settings))
    store = _store(settings, engine)
    cfg = settings.config
    llm = LLM(settings.openai_api_key, settings.openai_base_url, timeout=60, max_retries=cfg.llm.max_retries)
    model = args.model or cfg.tiers_for(args.sister).cheap.model
    try:
        result = learning.vary(
            engine, store, llm, model=model, sister=args.sister, pattern_id=args.pattern_id, n=args.n, cfg=cfg
        )
    except learned.LearningError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(f"kept {len(result['kept'])} of {args.n} as candidates (review them with `botan-line review`):")
        for line in result["kept"]:
            print(f"    + {line}")
        for reason, count in sorted(result["rejected"].items()):
            print(f"    - {count} rejected: {reason}")
    return 0


def _replay_lines(path: Path, tz, default_now: datetime):
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        raw = raw.strip()
        if not raw or raw.startswith("#"):
            continue
        if raw.startswith("{"):
            try:
                item = json.loads(raw)
            except ValueError:
                raise SystemExit(f"{path}:{n}: invalid JSON line") from None
            when = datetime.fromisoformat(item["time"]) if item.get("time") else default_now
            if when.tzinfo is None:
                when = when.replace(tzinfo=tz)
            yield str(item.get("user") or "Ureplay"), str(item.get("text") or ""), when
        else:  # a plain line is one fan's message: one user each, so no history or daily cap piles up
            yield f"Ureplay{n}", raw, default_now


def cmd_replay(args) -> int:
    """Feed recorded traffic through the full pipeline and report on it: in a scratch database, or
    with ``--db URL`` in that database, which keeps everything (so mining and review can follow)."""
    import contextlib

    from sqlalchemy import func, select

    from botan_line.core import stats
    from botan_line.core.model import Turn
    from botan_line.storage.db import ledger
    from botan_line.storage.store import ledger_rows
    from botan_line.wiring import build

    settings = _settings()
    path = Path(args.file)
    if not path.is_file():
        print(f"error: no such file {path}", file=sys.stderr)
        return 2
    with contextlib.ExitStack() as stack:
        if args.db:
            url = args.db
        else:
            scratch = stack.enter_context(tempfile.TemporaryDirectory(prefix="botan-replay-"))
            url = f"sqlite:///{Path(scratch) / 'replay.db'}"
        # a measurement, not a chat: no per-user daily cap
        config = settings.config.model_copy(
            update={"budget": settings.config.budget.model_copy(update={"per_user_daily_calls": 10**9})}
        )
        changes = {"database_url": url, "config": config}
        if args.no_llm:
            changes.update(openai_api_key="", openai_base_url="")
        services = build(settings.with_(**changes))
        stack.callback(services.engine.dispose)
        with services.engine.connect() as conn:  # a kept database may hold earlier replays: report this one
            start_id = conn.scalar(select(func.max(ledger.c.id))) or 0
        now = datetime.now(settings.tz)
        first = last = None
        for user, text, when in _replay_lines(path, settings.tz, now):
            if not text:
                continue
            decision = services.conversation.on_text(Turn(user_id=user, text=text, now=when), services.store)
            services.store.apply(decision, when)
            first = when if first is None or when < first else first
            last = when if last is None or when > last else last
        if first is None or last is None:  # both set by the first message
            print("error: the file holds no messages", file=sys.stderr)
            return 2
        since, until = first.timestamp(), last.timestamp() + 1
        rows = [r for r in ledger_rows(services.engine, since, until) if r.id > start_id]
        report = stats.build_report(
            rows, cfg=settings.config, since=since, until=until, label=f"replay of {path.name}"
        )
    _print_report(report, args.json)
    return 0


def register(sub) -> None:
    p = sub.add_parser("stats", help="cost report: layers, tiers, yen, savings, patterns, projection")
    p.add_argument("--month", help="YYYY-MM (default: this month)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("review", help="approve or reject candidate Layer 1 lines (answers from stdin)")
    p.add_argument("--list", action="store_true", help="only list open candidates")
    p.add_argument("--approve", type=int, metavar="ID")
    p.add_argument("--replies", metavar="TEXT",
                   help='with --approve: "A | B" replaces, "+ A | B" adds, "しきい値0.85 | A" sets the threshold')  # fmt: skip
    p.add_argument("--reject", type=int, metavar="ID")
    p.add_argument("--admin", default="terminal", help="who approves, for the audit (default terminal)")
    p.set_defaults(func=cmd_review)

    p = sub.add_parser("learned", help="learned patterns: export to / import from learned.yaml, mine")
    p.add_argument("action", choices=("export", "import", "mine"))
    p.add_argument("dir", nargs="?", help="characters folder (default BOTAN_CHARACTERS_DIR)")
    p.add_argument("--admin", default="terminal", help="who imports, for the audit")
    p.add_argument("--min-users", type=int, default=3)
    p.add_argument("--max-replies", type=int, default=5)
    p.set_defaults(func=cmd_learned)

    p = sub.add_parser("vary", help="draft new variations of a pattern with any OpenAI-compatible model")
    p.add_argument("sister")
    p.add_argument("pattern_id")
    p.add_argument("--n", type=int, default=5)
    p.add_argument("--model", help="model name (default: the cheap tier's)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_vary)

    p = sub.add_parser("replay", help="run recorded messages through the pipeline and report on them")
    p.add_argument("file", help="one message per line, or JSON lines with user, text, time")
    p.add_argument("--no-llm", action="store_true", help="Layer 2 off: measure Layer 1 alone")
    p.add_argument(
        "--db", metavar="URL", help="replay into this database and keep it (default: a scratch one)"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_replay)

    from botan_line.ops import cli_line

    cli_line.register(sub)
