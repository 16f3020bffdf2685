#!/usr/bin/env python3
"""What 1,000 Layer 2 messages cost, with and without prompt caching, and how the tiers split.

A benchmark, not a test: ``.venv/bin/python bench/layer2_cost.py``. For each seed it generates a day
of fan traffic (``bench/traffic.py``), feeds it through the real conversation core (commands,
safety, nickname, Layer 1, Layer 2 with the router, the daily strong-tier cap and the guard) and
the real ``openai`` client, against the fake OpenAI server simulating the provider's prompt cache
(the longest prefix shared with an earlier request, from 1,024 tokens in 128-token steps), until
1,000 messages were answered by a model. The ledger then says what was spent; the same rows priced
with no cached tokens say what it would have cost without caching. Prices: DESIGN §6/§8, ¥150/USD.

The fake counts one token per character (the upper end of DESIGN §8's ratio for Japanese), so the
yen are an upper bound; ``--exact`` prints the real gpt-4o token count of each sister's fixed prompt
when the optional ``bpe-openai`` package (bundled o200k data, nothing downloaded) is installed.

Scenarios: a steady day (12% of the day's fans are new) with the default router, and with the
threshold at 0.5 (what a more generous router would cost); a raid (80% new fans after a stream,
35% of messages teasing her) with the default router; the same raid with the generous router,
without and with the cap on the strong tier's share of the day (the one case here that reaches it).

``--generations`` instead puts model sets side by side on the steady day and the raid: the
retiring gpt-4o-mini / gpt-4o, the default gpt-6-luna / gpt-6-sol (effort none), and gpt-6-luna with
gpt-6.1-sol or gpt-6.2-sol (effort low). The fake answers as those models do (tests/fakes.py): it
refuses what they refuse, bills cache writes on the gpt-6 generation, and spends reasoning tokens
by effort (its assumption: 90 at low, 420 at medium).
"""

from __future__ import annotations

import argparse
import platform
import shutil
import statistics
import sys
import tempfile
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))
from fakes import FakeOpenAI  # noqa: E402
from sqlalchemy import func  # noqa: E402
from traffic import day  # noqa: E402

from botan_line.config import BotConfig  # noqa: E402
from botan_line.core.layer2.prompt import estimate_tokens, fixed_prompt  # noqa: E402
from botan_line.core.model import Decision, SaveUser, Turn  # noqa: E402
from botan_line.settings import Settings  # noqa: E402
from botan_line.storage.db import ledger  # noqa: E402
from botan_line.wiring import build  # noqa: E402

TZ = ZoneInfo("Asia/Tokyo")
DAY0 = datetime(2026, 11, 28, tzinfo=TZ)
REPLIES = {  # what the fake model answers, in the voice of the sister whose prompt it got
    "【Kasho（花相）の": "そうだったのですね。よければ、もう少し詳しく聞かせてください。",
    "【ユリの": "そうなんだ…。なんだか、わたしも気になってきたかも。",
    "【牡丹の": "え〜それめっちゃいいじゃん！もっと聞かせてよ〜！",
}


def answer(body: dict) -> str:
    system = body["messages"][0]["content"]
    return next((line for mark, line in REPLIES.items() if mark in system), REPLIES["【牡丹の"])


def run(
    seed: int, *, new_share: float, cfg: BotConfig, target: int = 1000, banter: float | None = None
) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="botan-bench-"))
    chars_dir = tmp / "characters"
    shutil.copytree(ROOT / "characters", chars_dir, ignore=shutil.ignore_patterns("learned.yaml"))
    with FakeOpenAI(default=answer, prompt_cache=True) as ai:
        settings = Settings(data_dir=tmp, characters_dir=chars_dir, openai_api_key="k",
                            openai_base_url=ai.url + "/v1", worker=False, config=cfg)  # fmt: skip
        services = build(settings, sleep=lambda _s: None)
        store, conversation = services.store, services.conversation
        msgs = day(seed, fans=target // 3, new_share=new_share, banter=banter)  # ~5 Layer 2 messages a fan
        for user in {m.user for m in msgs if not m.new}:  # regulars: not "new users" for the router
            store.apply(Decision(effects=[SaveUser(replace(store.user(user), messages=50))]), DAY0)
        answered = 0
        for m in msgs:
            now = DAY0 + timedelta(seconds=m.at)
            if m.switch_to:
                store.apply(conversation.on_text(Turn(m.user, f"/{m.switch_to}", now), store), now)
            decision = conversation.on_text(Turn(m.user, m.text, now), store)
            store.apply(decision, now)
            if decision.ledger and decision.ledger.layer == "layer2" and decision.ledger.model:
                answered += 1
                if answered >= target:
                    break
        if answered < target:
            raise SystemExit(f"seed {seed}: only {answered} Layer 2 messages in the generated day")
        with services.engine.connect() as conn:
            rows = conn.execute(
                ledger.select().where(ledger.c.layer == "layer2", ledger.c.model.is_not(None))
            ).all()
            fixed = conn.scalar(
                ledger.select().with_only_columns(func.count()).where(ledger.c.layer == "fallback")
            )
        refused = len(ai.calls()) - len(ai.answered_calls())
        chars = services.characters.current
        services.engine.dispose()
    shutil.rmtree(tmp, ignore_errors=True)
    rows = rows[:target]
    strong = sum(r.tier == "strong" for r in rows)
    capped = sum(r.tier == "cheap" and (r.score or 0) >= cfg.router.threshold for r in rows)
    return {
        "messages": len(rows),
        "strong_share": strong / len(rows),
        "capped": capped,
        "yen": sum(r.yen for r in rows),
        "yen_uncached": sum(cfg.price_yen(r.model, r.prompt_tokens, r.completion_tokens) for r in rows),
        "all_strong_yen": sum(r.strong_yen for r in rows),
        "prompt_tokens": sum(r.prompt_tokens for r in rows) / len(rows),
        "cached_share": sum(r.cached_tokens for r in rows) / max(1, sum(r.prompt_tokens for r in rows)),
        "reasoning": sum(r.reasoning_tokens for r in rows) / len(rows),
        "written": sum(r.cache_write_tokens for r in rows) / len(rows),
        "rejected": sum("reject:" in (r.guard or "") for r in rows),
        "fixed": fixed,
        "refused": refused,
        "chars": chars,
    }


def exact_counts(chars, target: int) -> list[str]:
    try:
        import bpe_openai
    except ImportError:
        return ["  (install the optional bpe-openai package for the real gpt-4o token counts)"]
    enc = bpe_openai.get_encoding("o200k_base")
    out = []
    for sid in chars.sisters:
        text = fixed_prompt(chars, sid, target)
        real, est = len(enc.encode(text)), estimate_tokens(text)
        out.append(
            f"  {sid:<6} {len(text):>5} chars  estimate {est:>5}  o200k {real:>5}  real/estimate {real / est:.2f}"
        )
    return out


def median(results: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in results)


def report(name: str, results: list[dict]) -> None:
    yen, uncached = median(results, "yen"), median(results, "yen_uncached")
    print(f"\n{name}  (median of {len(results)} seeds; {results[0]['messages']} Layer 2 messages each)")
    share = median(results, "strong_share")
    each = ", ".join(f"{r['strong_share']:.1%}" for r in results)
    print(f"  tier split           cheap {1 - share:6.1%} / strong {share:6.1%}   (seeds: {each})")
    print(f"  capped to cheap      {median(results, 'capped'):.0f} important messages")
    print(
        f"  prompt tokens/call   {median(results, 'prompt_tokens'):,.0f}   cached share {median(results, 'cached_share'):.1%}"
    )
    print(f"  yen, with caching    ¥{yen:,.2f}")
    print(f"  yen, without caching ¥{uncached:,.2f}   (caching saves {1 - yen / uncached:.1%})")
    print(f"  yen, all strong      ¥{median(results, 'all_strong_yen'):,.2f}")
    print(
        f"  reasoning tokens/call {median(results, 'reasoning'):,.0f}   cache writes/call {median(results, 'written'):,.0f}"
        f"   refused requests {median(results, 'refused'):.0f}   fixed lines {median(results, 'fixed'):.0f}"
    )


GENERATIONS = (  # (label, cheap, strong): every model at the effort its profile makes the default
    ("gpt-4o-mini / gpt-4o (retiring 2027-01-14)", "gpt-4o-mini", "gpt-4o"),
    ("gpt-6-luna / gpt-6-sol (the default)", "gpt-6-luna", "gpt-6-sol"),
    ("gpt-6-luna / gpt-6.1-sol (low)", "gpt-6-luna", "gpt-6.1-sol"),
    ("gpt-6-luna / gpt-6.2-sol (low)", "gpt-6-luna", "gpt-6.2-sol"),
)


def generations(seeds, n: int) -> None:
    """The model sets side by side: yen per 1,000 Layer 2 replies, as each generation bills them."""
    print("\nmodel sets, side by side (median of seeds; yen per 1,000 Layer 2 replies, prices as configured)")
    print(f"  {'models':<44}{'scenario':<9}{'strong':>7}{'yen':>9}{'all strong':>11}{'reasoning':>10}"
          f"{'writes':>8}{'cached':>8}{'refused':>8}{'fixed':>6}")  # fmt: skip
    for label, cheap, strong in GENERATIONS:
        cfg = BotConfig.model_validate({"tiers": {"cheap": {"model": cheap}, "strong": {"model": strong}}})
        for scenario, kw in (("steady", {"new_share": 0.12}), ("raid", {"new_share": 0.8, "banter": 0.35})):
            results = [run(s, cfg=cfg, target=n, **kw) for s in seeds]
            scale = 1000 / results[0]["messages"]
            print(f"  {label:<44}{scenario:<9}{median(results, 'strong_share'):>7.1%}"
                  f"{median(results, 'yen') * scale:>9.2f}{median(results, 'all_strong_yen') * scale:>11.2f}"
                  f"{median(results, 'reasoning'):>10.0f}{median(results, 'written'):>8.0f}"
                  f"{median(results, 'cached_share'):>8.0%}{median(results, 'refused'):>8.0f}"
                  f"{median(results, 'fixed'):>6.0f}")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument(
        "--exact", action="store_true", help="real token counts of the fixed prompts (bpe-openai)"
    )
    parser.add_argument("--generations", action="store_true", help="model sets side by side instead")
    args = parser.parse_args()
    default = BotConfig()
    prices = ", ".join(f"{m} {p.input:g}/{p.cached:g}/{p.write:g}/{p.output:g}"
                       for m, p in default.prices.items() if m in ("gpt-4o-mini", "gpt-4o", "gpt-6-luna", "gpt-6-sol", "gpt-6.1-sol"))  # fmt: skip
    print(f"botan-line Layer 2 cost — {platform.machine()}, {platform.python_version()}, "
          f"USD per 1M in/cached/write/out: {prices}; ¥{default.jpy_per_usd:g}/USD")  # fmt: skip
    if args.generations:
        generations(range(1, args.seeds + 1), args.messages)
        return 0
    generous = BotConfig.model_validate({"router": {"threshold": 0.5}})
    uncapped = BotConfig.model_validate({"router": {"threshold": 0.5}, "budget": {"max_strong_share": 1.0}})
    seeds = range(1, args.seeds + 1)
    n = args.messages
    steady = [run(s, new_share=0.12, cfg=default, target=n) for s in seeds]
    report("steady day (12% new fans), default settings", steady)
    report(
        "steady day, router threshold 0.5", [run(s, new_share=0.12, cfg=generous, target=n) for s in seeds]
    )
    report("raid (80% new fans, 35% teasing), default settings",
           [run(s, new_share=0.8, banter=0.35, cfg=default, target=n) for s in seeds])  # fmt: skip
    report("raid, router threshold 0.5, no cap on the strong tier",
           [run(s, new_share=0.8, banter=0.35, cfg=uncapped, target=n) for s in seeds])  # fmt: skip
    report(f"raid, router threshold 0.5, max_strong_share {default.budget.max_strong_share} (the default)",
           [run(s, new_share=0.8, banter=0.35, cfg=generous, target=n) for s in seeds])  # fmt: skip
    chars = steady[0]["chars"]
    target = default.llm.style_prefix_tokens
    print("\nfixed prompts (the cached prefix)")
    for sid in chars.sisters:
        text = fixed_prompt(chars, sid, target)
        print(f"  {sid:<6} {len(text):>5} chars  conservative estimate {estimate_tokens(text):>5} tokens")
    if args.exact:
        print("\n".join(exact_counts(chars, target)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
