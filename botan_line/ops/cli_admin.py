"""Operator subcommands: stats, review, vary, replay (the cost report and the learning loop)."""

from __future__ import annotations

import json
import sys
import tempfile
from datetime import datetime
from pathlib import Path

from botan_line.ops.preflight import existing_database


def _settings():
    from botan_line.settings import Settings

    return Settings.from_env()


def _report(engine, settings, kind: str, now: datetime):
    from botan_line.ops import stats
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
    from botan_line.ops import stats

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
    from botan_line.ops.cli_line import push_usage
    from botan_line.storage.db import connect

    settings = _settings()
    now = datetime.now(settings.tz)
    engine = connect(existing_database(settings))
    report = _report(engine, settings, args.month or "month", now)
    pushes = push_usage(settings, engine, now)
    extra = {"pushes": {"this_month": pushes.used, "counted": pushes.counted, "limit": pushes.limit,
                        "remaining": pushes.remaining}}  # fmt: skip
    _print_report(report, args.json, extra=extra, footer=quota.english(pushes))
    return 0


def cmd_review(args) -> int:
    """Approve or reject candidate lines in the terminal."""
    from botan_line.characters.loader import CharacterStore
    from botan_line.ops import learning
    from botan_line.storage.db import connect

    settings = _settings()
    engine = connect(existing_database(settings))
    store = CharacterStore(settings.characters_dir)
    cfg = settings.config.learning
    added = learning.mine(
        engine, store, min_users=cfg.min_distinct_users, max_replies=cfg.max_replies_per_candidate
    )
    who = "terminal"
    try:
        if args.approve:
            cand = learning.approve(engine, store, args.approve, who)
            print(f"approved #{cand.id}: written to {settings.characters_dir / cand.sister / 'learned.yaml'}")
            return 0
        if args.reject:
            learning.reject(engine, args.reject, who)
            print(f"rejected #{args.reject}")
            return 0
    except learning.LearningError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    found = learning.open_candidates(engine)
    print(f"{len(found)} open candidate(s) ({added} new)")
    interactive = sys.stdin.isatty() and not args.list
    for c in found:
        target = f"trigger 「{c.trigger}」" if c.kind == "pattern" else f"new variation of {c.pattern_id}"
        print(f"\n#{c.id} [{c.sister}] {target}  users={c.users}")
        for reply in c.replies:
            print(f"    → {reply}")
        if not interactive:
            continue
        answer = input("[a]pprove / [r]eject / [s]kip / [q]uit? ").strip().lower()[:1]
        try:
            if answer == "a":
                learning.approve(engine, store, c.id, who)
                print("  approved")
            elif answer == "r":
                learning.reject(engine, c.id, who)
                print("  rejected")
            elif answer == "q":
                break
        except learning.LearningError as exc:
            print(f"  error: {exc}")
    return 0


def cmd_vary(args) -> int:
    """Draft new variations of a pattern with any OpenAI-compatible model; keep what the guard passes."""
    from botan_line.adapters.openai_api import LLM
    from botan_line.characters.loader import CharacterStore
    from botan_line.errors import SettingsError
    from botan_line.ops import learning
    from botan_line.storage.db import connect

    settings = _settings()
    if not settings.llm_enabled:
        raise SettingsError(
            "vary needs a model: set OPENAI_API_KEY, or OPENAI_BASE_URL for a local server "
            "(e.g. http://127.0.0.1:11434/v1 for Ollama)"
        )
    engine = connect(existing_database(settings))
    store = CharacterStore(settings.characters_dir)
    cfg = settings.config
    llm = LLM(settings.openai_api_key, settings.openai_base_url, timeout=60, max_retries=cfg.llm.max_retries)
    model = args.model or cfg.tiers_for(args.sister).cheap.model
    try:
        result = learning.vary(
            engine, store, llm, model=model, sister=args.sister, pattern_id=args.pattern_id, n=args.n
        )
    except learning.LearningError as exc:
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
    """Feed recorded traffic through the full pipeline (in a scratch database) and report on it."""
    from botan_line.core.model import Turn
    from botan_line.ops import stats
    from botan_line.storage.store import ledger_rows
    from botan_line.wiring import build

    settings = _settings()
    path = Path(args.file)
    if not path.is_file():
        print(f"error: no such file {path}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="botan-replay-") as scratch:
        # a measurement, not a chat: no per-user daily cap
        config = settings.config.model_copy(
            update={"budget": settings.config.budget.model_copy(update={"per_user_daily_calls": 10**9})}
        )
        changes = {"database_url": f"sqlite:///{Path(scratch) / 'replay.db'}", "config": config}
        if args.no_llm:
            changes.update(openai_api_key="", openai_base_url="")
        services = build(settings.with_(**changes))
        now = datetime.now(settings.tz)
        first = last = None
        for user, text, when in _replay_lines(path, settings.tz, now):
            if not text:
                continue
            decision = services.conversation.on_text(Turn(user_id=user, text=text, now=when), services.store)
            services.store.apply(decision, when)
            first = when if first is None or when < first else first
            last = when if last is None or when > last else last
        if first is None:
            print("error: the file holds no messages", file=sys.stderr)
            return 2
        since, until = first.timestamp(), last.timestamp() + 1
        rows = ledger_rows(services.engine, since, until)
        report = stats.build_report(
            rows, cfg=settings.config, since=since, until=until, label=f"replay of {path.name}"
        )
        services.engine.dispose()
    _print_report(report, args.json)
    return 0


def register(sub) -> None:
    p = sub.add_parser("stats", help="cost report: layers, tiers, yen, savings, patterns, projection")
    p.add_argument("--month", help="YYYY-MM (default: this month)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("review", help="approve or reject candidate Layer 1 lines")
    p.add_argument("--list", action="store_true", help="only list open candidates")
    p.add_argument("--approve", type=int, metavar="ID")
    p.add_argument("--reject", type=int, metavar="ID")
    p.set_defaults(func=cmd_review)

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
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_replay)

    from botan_line.ops import cli_line

    cli_line.register(sub)
