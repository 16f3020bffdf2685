"""The model commands: ``botan-line eval`` (the sisters' voice on a model before a tier moves to it) and
the configured models' shutdown dates that ``botan-line check`` reports."""

from __future__ import annotations

import json
from datetime import date, datetime

from botan_line.errors import SettingsError


def cmd_eval(args) -> int:
    """Send every sister's fixed conversations to the configured endpoint; print what passed."""
    from botan_line.adapters.openai_api import LLM
    from botan_line.characters.loader import load_characters
    from botan_line.ops import evals
    from botan_line.ops.cli import _settings

    settings = _settings()
    if not settings.llm_enabled:
        raise SettingsError(
            "eval needs a model: set OPENAI_API_KEY (or OPENAI_BASE_URL for a local server), "
            "then run botan-line eval --tier cheap"
        )
    cfg = settings.config
    chars = load_characters(settings.characters_dir)
    conversations = evals.load_evals(settings.characters_dir, chars)
    if args.sister:
        if args.sister not in conversations:
            raise SettingsError(f"no sister {args.sister!r} (one of {', '.join(conversations)})")
        conversations = {args.sister: conversations[args.sister]}
    names = [args.tier] if args.tier else ["cheap", "strong"]
    tiers = []
    for name in names:
        tier = getattr(cfg.tiers, name)
        changes = {k: v for k, v in (("model", args.model), ("reasoning_effort", args.effort)) if v}
        tiers.append((name, tier.model_copy(update=changes)))
    llm = LLM(settings.openai_api_key, settings.openai_base_url, timeout=cfg.llm.timeout_seconds,
              max_retries=cfg.llm.max_retries)  # fmt: skip
    results = evals.run(llm, chars, cfg, conversations, tiers)
    if args.json:
        print(
            json.dumps(evals.as_json(results, datetime.now(settings.tz).date()), ensure_ascii=False, indent=2)
        )
    else:
        print(evals.table(results))
    return 0 if all(r.passed for r in results) else 1


def register(sub) -> None:
    p = sub.add_parser(
        "eval", help="persona check: the sisters' fixed conversations on a model, guard and voice rules, yen"
    )
    p.add_argument("--tier", choices=("cheap", "strong"), help="only this tier (default: both)")
    p.add_argument("--model", help="try this model instead of the tier's configured one")
    p.add_argument("--effort", choices=("none", "minimal", "low", "medium", "high", "xhigh", "max"),
                   help="reasoning effort instead of the tier's (default: the lowest the model takes)")  # fmt: skip
    p.add_argument("--sister", help="only this sister")
    p.add_argument("--json", action="store_true", help="every result and a summary as JSON")
    p.set_defaults(func=cmd_eval)


def retiring_models(settings, today: date) -> list[str]:
    """The configured models that shut down within ``lifecycle.warn_days`` (or are gone), one line
    each: read from the API when Layer 2 is configured (an unreachable API, as a local server's, is
    not an error), else from the service's last reading in the database, else from the profiles."""
    from botan_line.core.layer2 import lifecycle

    cfg = settings.config
    reading = None
    if settings.llm_enabled:
        from botan_line.adapters.openai_api import LLM

        llm = LLM(settings.openai_api_key, settings.openai_base_url, timeout=5, max_retries=0)
        statuses = llm.model_status([w.model for w in lifecycle.watched(cfg)])
        if statuses is not None:
            reading = lifecycle.reading(0.0, statuses)
    if reading is None:
        reading = _stored_reading(settings)
    return [w.log_line() for w in lifecycle.warnings(cfg, reading, today)]


def _stored_reading(settings) -> dict | None:
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from botan_line.core.layer2 import lifecycle
    from botan_line.doors.preflight import existing_database
    from botan_line.errors import SettingsError
    from botan_line.storage.db import make_engine, state

    try:
        engine = make_engine(existing_database(settings))
        with engine.connect() as conn:
            raw = conn.scalar(select(state.c.value).where(state.c.key == lifecycle.STATE_KEY))
        engine.dispose()
    except (SettingsError, SQLAlchemyError, ImportError):
        return None  # no database yet, or not reachable: the profiles' dates decide
    return lifecycle.parse_reading(raw)
