"""The cost report: known ledger rows in, exact figures out."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from conftest import TZ
from sqlalchemy import insert, select

from botan_line.config import BotConfig
from botan_line.core.stats import (
    ANSWER_LAYERS,
    TIERS,
    build_report,
    daily,
    day_bounds,
    format_cli,
    format_line,
    period_bounds,
    plain_rows,
    projection,
)
from botan_line.storage.db import connect, ledger

T0 = datetime(2026, 11, 1, tzinfo=TZ).timestamp()
DAY = 86400
HOUR = 3600
CFG = BotConfig()
# a typical exchange (1,700 prompt tokens, 1,408 of them cached, 60 completion) at the default
# prices and ¥150/USD
TYPICAL_CHEAP = (292 * 0.10 + 1408 * 0.01 + 60 * 0.50) / 1e6 * 150  # gpt-6-luna: ¥0.010992


@dataclass
class Row:
    created_at: float
    user_id: str
    sister: str
    layer: str
    pattern: str | None = None
    model: str | None = None
    tier: str | None = None
    score: float | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    yen: float = 0.0
    strong_yen: float = 0.0
    latency_ms: float = 0.0
    guard: str | None = None
    normalized: str | None = None


def l1(t, user, pattern, sister="botan"):
    return Row(t, user, sister, "layer1", pattern=pattern)


def l2(t, user, tier, pt, ct, yen, strong, text, sister="botan", layer="layer2"):
    model = {"cheap": "gpt-4o-mini", "strong": "gpt-4o", None: None}[tier]
    return Row(
        t,
        user,
        sister,
        layer,
        model=model,
        tier=tier,
        prompt_tokens=pt,
        completion_tokens=ct,
        yen=yen,
        strong_yen=strong,
        normalized=text,
    )


def month_rows() -> list[Row]:
    """Ten days of traffic, one row an hour, plus rows just outside the period."""
    rows = [
        l1(0, "U1", "botan:morning"),
        l1(0, "U2", "botan:morning"),
        l1(0, "U3", "botan:morning"),
        l1(0, "U1", "botan:night"),
        l2(0, "U1", "cheap", 1000, 100, 0.10, 1.00, "映画見た"),
        l2(0, "U2", "cheap", 1000, 100, 0.20, 2.00, "映画見た"),
        l2(0, "U3", "strong", 2000, 50, 1.50, 1.50, "相談がある"),
        l2(0, "U1", "cheap", 500, 40, 0.05, 0.50, "ゲームしよ", layer="fallback"),  # guard rejected
        l2(0, "U4", None, 0, 0, 0.0, 0.0, "ゲームしよ", layer="fallback"),  # budget stop: no call
        Row(0, "U4", "botan", "safety", pattern="safety:crisis"),
        Row(0, "U1", "botan", "command", pattern="help"),
        Row(0, "U4", "botan", "event", pattern="lines:sticker"),
        l1(0, "U2", "kasho:advice", sister="kasho"),
        l2(0, "U2", "strong", 1500, 100, 2.00, 2.00, "相談がある", sister="kasho"),
        Row(0, "U3", "kasho", "command", pattern="kasho"),
    ]
    for n, row in enumerate(rows):
        row.created_at = T0 + n * HOUR
    return [
        l1(T0 - 1, "U9", "botan:morning"),  # before the period
        *rows,
        l2(T0 + 10 * DAY, "U9", "strong", 9000, 900, 100.0, 100.0, "範囲外", sister="yuri"),  # at `until`
    ]


def report_of(rows, days=10, **kw):
    return build_report(rows, cfg=kw.pop("cfg", CFG), since=T0, until=T0 + days * DAY, label="2026-11", **kw)


def test_messages_layer_shares_and_tier_split():
    report = report_of(month_rows())
    f = report.overall
    assert (f.messages, f.commands) == (12, 2)  # the event row and the commands are not messages
    assert f.layers == {"layer1": 5, "layer2": 4, "fallback": 2, "safety": 1}
    assert [f.share(k) for k in ("layer1", "layer2", "fallback", "safety")] == pytest.approx(
        [500 / 12, 400 / 12, 200 / 12, 100 / 12]
    )
    assert f.tiers == {"cheap": 3, "strong": 2}  # the budget-stop fallback made no call
    assert (f.tier_share("cheap"), f.tier_share("strong")) == (60.0, 40.0)
    assert (f.prompt_tokens, f.completion_tokens) == (6000, 390)


def test_yen_spent_all_strong_and_reduction_with_layer2_rows():
    report = report_of(month_rows())
    f = report.overall
    assert f.yen == pytest.approx(3.85)
    # rows that called a model (four layer2, one guard-rejected fallback) count their own strong_yen:
    # 1 + 2 + 1.5 + 2 + 0.5 = 7.00; the five Layer 1 replies, the safety reply and the budget-stop
    # fallback (no model) count the mean strong_yen of the period's layer2 rows: (1 + 2 + 1.5 + 2) / 4 = 1.625
    assert f.all_strong_yen == pytest.approx(7.00 + 7 * 1.625)  # 18.375
    # the budget-stop fallback is not a Layer 2 message; it spent nothing, so layer2_yen is all of 3.85
    assert (f.layer2_messages, f.layer2_yen) == (5, pytest.approx(3.85))
    # ... and it saved nothing either: it counts as spent at the strong price it was estimated at
    assert f.fixed == 1
    assert f.reduction == pytest.approx(100 * (1 - (3.85 + 1.625) / 18.375))


def test_the_reduction_never_rises_when_layer2_fails():
    """A day of Layer 1 and Layer 2 answers, then the same day with Layer 2 failing: the fixed lines
    that replaced its answers are not savings."""
    greetings = [l1(T0 + n * HOUR, f"U{n}", "botan:morning") for n in range(6)]
    answered = [
        *greetings,
        *(l2(T0 + (6 + n) * HOUR, f"V{n}", "cheap", 1700, 60, 0.05, 0.80, None) for n in range(4)),
    ]
    failed = [*greetings, *(Row(T0 + (6 + n) * HOUR, f"V{n}", "botan", "fallback", pattern="lines:fallback",
                                guard="error:http_404") for n in range(4))]  # fmt: skip
    working, failing = report_of(answered, days=1).overall, report_of(failed, days=1).overall
    assert failing.fixed == 4 and working.fixed == 0
    assert failing.reduction <= working.reduction + 1e-9
    assert "削減には数えません" in format_line(report_of(failed, days=1))


def test_per_sister_figures_and_only_sisters_with_rows():
    report = report_of(month_rows())
    assert list(report.sisters) == ["botan", "kasho"]  # yuri's only row is outside the period
    botan, kasho = report.sisters["botan"], report.sisters["kasho"]
    assert (botan.messages, botan.commands, botan.layers) == (
        10,
        1,
        {"layer1": 4, "layer2": 3, "fallback": 2, "safety": 1},
    )
    assert botan.tiers == {"cheap": 3, "strong": 1}
    assert botan.yen == pytest.approx(1.85)
    # own strong_yen 1 + 2 + 1.5 + 0.5 = 5.00; four Layer 1, one safety and one budget-stop fallback at 1.625
    assert botan.all_strong_yen == pytest.approx(5.00 + 6 * 1.625)  # 14.75
    assert (kasho.messages, kasho.commands, kasho.tiers) == (2, 1, {"cheap": 0, "strong": 1})
    assert kasho.yen == pytest.approx(2.00)
    assert kasho.all_strong_yen == pytest.approx(2.00 + 1.625)
    assert kasho.reduction == pytest.approx(100 * (1 - 2.00 / 3.625))
    assert botan.all_strong_yen + kasho.all_strong_yen == pytest.approx(report.overall.all_strong_yen)


def test_all_strong_without_layer2_rows_prices_a_typical_exchange_per_sisters_strong_model():
    prices = {  # models nobody ships a profile for: no cached price, so no discount
        "medium": {"input": 2.50, "output": 10.00},
        "small": {"input": 0.15, "output": 0.60},
        "big": {"input": 10.00, "output": 20.00},
    }
    cfg = BotConfig.model_validate(
        {
            "prices": prices,
            "tiers": {"cheap": {"model": "small"}, "strong": {"model": "medium"}},
            "sisters": {"kasho": {"tiers": {"cheap": {"model": "small"}, "strong": {"model": "big"}}}},
        }
    )
    rows = [
        l1(T0, "U1", "botan:morning"),
        l1(T0 + 1, "U2", "botan:morning"),
        Row(T0 + 2, "U3", "botan", "safety", pattern="safety:sexual"),
        l1(T0 + 3, "U1", "kasho:advice", sister="kasho"),
        l2(T0 + 4, "U4", None, 0, 0, 0.0, 0.0, "今日ひま？", layer="fallback"),  # budget stop
    ]
    f = report_of(rows, cfg=cfg).overall
    # these prices name no cached price: no discount on the cached part of a typical exchange
    botan_typical = (1700 * 2.50 + 60 * 10.00) / 1e6 * 150
    kasho_typical = (1700 * 10.00 + 60 * 20.00) / 1e6 * 150
    # botan: two Layer 1, one safety and the budget-stop fallback (no model) at botan's typical strong exchange
    assert f.all_strong_yen == pytest.approx(4 * botan_typical + kasho_typical)
    # the fallback saved nothing: it counts as spent at botan's strong price
    assert f.yen == 0.0 and f.reduction == pytest.approx(100 * (1 - botan_typical / f.all_strong_yen))


def test_fallback_without_a_model_is_priced_like_layer1_and_with_a_model_keeps_its_own_strong_yen():
    rows = [
        l2(T0, "U1", "cheap", 1000, 100, 0.10, 1.00, "映画見た"),
        l2(
            T0 + 1, "U2", "strong", 1000, 100, 3.00, 3.00, "相談がある"
        ),  # mean layer2 strong_yen: (1 + 3) / 2 = 2.00
        l1(T0 + 2, "U3", "botan:morning"),
        l2(T0 + 3, "U4", None, 0, 0, 0.0, 0.0, "ゲームしよ", layer="fallback"),  # budget stop: no call
        l2(
            T0 + 4, "U5", "strong", 800, 80, 0.45, 0.80, "ゲームしよ", layer="fallback"
        ),  # guard rejected both
    ]
    f = report_of(rows).overall
    # own strong_yen for the rows that called a model (1.00 + 3.00 + 0.80), the mean 2.00 for the
    # Layer 1 row and the budget-stop fallback alike; the rejected fallback keeps 0.80, not the mean
    assert f.all_strong_yen == pytest.approx(1.00 + 3.00 + 0.80 + 2 * 2.00)  # 8.80
    as_layer1 = [*rows[:3], l1(T0 + 3, "U4", "botan:morning"), rows[4]]
    assert report_of(as_layer1).overall.all_strong_yen == pytest.approx(f.all_strong_yen)
    # Layer 2 messages: the two layer2 rows and the rejected fallback, not the budget stop
    assert (f.layer2_messages, f.layer2_yen) == (3, pytest.approx(0.10 + 3.00 + 0.45))
    assert f.layer2_cost == pytest.approx(3.55 / 3)
    assert f.tiers == {"cheap": 1, "strong": 2}
    assert f.layers == {"layer1": 1, "layer2": 2, "fallback": 2, "safety": 0}
    # both fallbacks still fell through to Layer 2
    assert [(x.text, x.count, x.users) for x in f.fallthrough][0] == ("ゲームしよ", 2, 2)


def test_nothing_to_compare_means_no_reduction():
    report = report_of([])
    assert (report.overall.messages, report.overall.all_strong_yen, report.overall.reduction) == (0, 0.0, 0.0)
    assert report.sisters == {}
    assert "まだありません" in format_line(report)


def test_top_layer1_patterns():
    report = report_of(month_rows(), top=2)
    assert [(p.pattern, p.uses) for p in report.overall.top_patterns] == [
        ("botan:morning", 3),
        ("botan:night", 1),
    ]
    assert [(p.pattern, p.uses) for p in report.sisters["kasho"].top_patterns] == [("kasho:advice", 1)]


def test_fall_through_ranking_counts_messages_then_distinct_users():
    rows = [l2(T0 + i, "U1", "cheap", 10, 1, 0.01, 0.1, "映画見た") for i in range(3)]  # one user, 3 times
    rows += [l2(T0 + 10 + i, u, "cheap", 10, 1, 0.01, 0.1, "おすすめの本ある？") for i, u in enumerate("ABC")]
    rows += [
        l2(T0 + 20, "A", None, 0, 0, 0.0, 0.0, "ゲームしよ", layer="fallback"),
        l2(T0 + 21, "B", "cheap", 10, 1, 0.0, 0.1, "ゲームしよ", layer="fallback"),
        l2(T0 + 22, "C", None, 0, 0, 0.0, 0.0, None, layer="fallback"),  # layer 2 was never asked
        l2(T0 + 23, "D", "cheap", 10, 1, 0.01, 0.1, "一回だけ"),
    ]
    ranking = [(x.text, x.count, x.users) for x in report_of(rows).overall.fallthrough]
    assert ranking == [
        ("おすすめの本ある？", 3, 3),
        ("映画見た", 3, 1),
        ("ゲームしよ", 2, 2),
        ("一回だけ", 1, 1),
    ]


def test_weakest_patterns_follow_up_within_thirty_minutes():
    end = T0 + 10 * DAY
    rows = [
        l1(T0, "U1", "botan:a"),
        l2(T0 + 1799, "U1", "cheap", 1, 1, 0, 0, "え", sister="kasho"),  # 29:59
        l1(T0, "U2", "botan:a"),
        Row(T0 + 1801, "U2", "botan", "command"),  # 30:01
        l1(T0, "U3", "botan:a"),  # never wrote again
        l1(T0, "U4", "botan:b"),
        Row(T0 + 1800, "U4", "botan", "command"),  # 30:00 exactly
        l1(T0, "U5", "botan:b"),
        l1(T0 + 60, "U5", "botan:b"),
        Row(T0 + 120, "U5", "botan", "event"),
        *[l1(T0 + k * 2 * HOUR, "U6", "botan:c") for k in range(4)],
        l1(end - 10, "U7", "botan:c"),
        Row(end + 100, "U7", "botan", "command"),  # next row after the period
        l1(T0, "U8", "botan:d"),
        l1(T0 + 5 * HOUR, "U8", "botan:d"),  # two uses: too few to judge
    ]
    rows.reverse()  # input order must not matter
    weakest = report_of(rows, top=5).overall.weakest
    assert [(w.pattern, w.uses, w.followed) for w in weakest] == [
        ("botan:c", 5, 1),
        ("botan:a", 3, 1),
        ("botan:b", 3, 3),
    ]
    assert [w.percent for w in weakest] == pytest.approx([20.0, 100 / 3, 100.0])
    assert [w.pattern for w in report_of(rows, top=2).overall.weakest] == ["botan:c", "botan:a"]
    assert report_of(rows, followup_seconds=1799).overall.weakest[1].followed == 1  # 29:59 still counts


def flat(pairs) -> list[float]:
    return [x for pair in pairs for x in pair]


def jst(*args) -> float:
    return datetime(*args, tzinfo=TZ).timestamp()


def test_period_bounds_in_tokyo():
    now = datetime(2026, 11, 5, 15, 30, tzinfo=TZ)
    assert period_bounds("today", now) == (jst(2026, 11, 5), now.timestamp(), "2026-11-05")
    assert period_bounds("week", now) == (jst(2026, 10, 30), now.timestamp(), "2026-10-30 – 2026-11-05")
    assert period_bounds("month", now) == (jst(2026, 11, 1), now.timestamp(), "2026-11")
    since, until, label = period_bounds("2026-02", now)
    assert (since, until, label) == (jst(2026, 2, 1), jst(2026, 3, 1), "2026-02")
    assert since == datetime(2026, 1, 31, 15, tzinfo=UTC).timestamp()  # JST is UTC+9
    assert (until - since) / DAY == 28
    assert period_bounds("2026-12", now)[:2] == (jst(2026, 12, 1), jst(2026, 12, 1))  # not begun: empty
    for bad in ("yesterday", "2026-13", "2026-1"):
        with pytest.raises(ValueError, match="today, week, month"):
            period_bounds(bad, now)


def test_projection_scales_the_period_to_a_month():
    report = report_of(month_rows(), days=10)
    cost = 3.85 / 5  # yen of the five rows that called a model (the budget-stop fallback did not)
    volume = 12 * 30 / 10
    assert flat(projection(report)) == pytest.approx(
        [
            5 / 12,
            volume * (7 / 12) * cost,  # the current share first
            0.6,
            volume * 0.4 * cost,
            0.8,
            volume * 0.2 * cost,
            0.9,
            volume * 0.1 * cost,
        ]
    )
    assert flat(projection(report, shares=(0.5,), days_in_month=31)) == pytest.approx(
        [5 / 12, 12 * 3.1 * (7 / 12) * cost, 0.5, 12 * 3.1 * 0.5 * cost]
    )


def test_projection_without_layer2_rows_uses_a_typical_cheap_exchange_and_at_least_a_day():
    rows = [l1(T0 + i, "U1", "botan:morning") for i in range(8)] + [Row(T0 + 9, "U1", "botan", "safety")]
    report = build_report(rows, cfg=CFG, since=T0, until=T0 + 2 * HOUR, label="2026-11-01")
    assert flat(projection(report, shares=(0.9,))) == pytest.approx(
        [8 / 9, 9 * 30 * (1 / 9) * TYPICAL_CHEAP, 0.9, 9 * 30 * 0.1 * TYPICAL_CHEAP]
    )


def test_format_line_is_short_japanese_for_a_phone():
    rows = month_rows() + [
        l2(
            T0 + 5 * DAY + i,
            "U5",
            "cheap",
            10,
            1,
            0.01,
            0.1,
            "とっても長いメッセージだよ、二十文字をぜったいに超えるやつ",
        )
        for i in range(5)
    ]
    text = format_line(report_of(rows), {"botan": "牡丹", "kasho": "Kasho", "yuri": "ユリ"})
    assert len(text) <= 2000 and len(text.splitlines()) <= 25
    assert "削減率" in text and "2026-11" in text
    assert "メッセージ 17件（コマンド 2件）" in text
    assert "Layer1 29.4% / Layer2 52.9% / 定型 11.8% / 安全 5.9%" in text
    assert "1. 「とっても長いメッセージだよ、二十文字を…」5回・1人" in text  # 20 characters with the ellipsis
    assert any(line.startswith("牡丹 15件") for line in text.splitlines())
    assert any(line.startswith("Kasho 2件") for line in text.splitlines())
    assert "1. botan:morning 3回" in text


def test_format_line_stays_under_the_limit_with_long_ids():
    rows = [l1(T0 + i, f"U{i}", f"sister{i % 9}:" + "x" * 110 + str(i % 7)) for i in range(200)]
    rows += [l2(T0 + i, "U", "cheap", 1, 1, 0.0, 0.0, "あ" * 300 + str(i)) for i in range(50)]
    assert len(format_line(report_of(rows))) <= 2000


def test_format_cli_aligns_columns_and_shows_the_projection():
    report = report_of(month_rows())
    text = format_cli(report, projection(report))
    lines = text.splitlines()
    table = lines[2 : lines.index("", 2)]
    assert table[0].split() == ["all", "botan", "kasho"]
    assert len({len(line) for line in table}) == 1  # every metric row has the same width
    # ¥3.85 / 5 = ¥0.77 a Layer 2 message; 12 messages in 10 days = 36 a month
    assert "(¥0.7700 per Layer 2 message)" in text
    assert re.search(r"now Layer 1 answers  41\.7% → +¥16\.17/month", text)  # 36 * 7/12 * 0.77 = 21 * 0.77
    assert re.search(r"if Layer 1 answered  60\.0% → +¥11\.09/month", text)  # 36 * 0.4 * 0.77 = 11.088
    assert "映画見た" in text and "botan:morning" in text


def test_json_and_sqlalchemy_rows(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'botan.db'}")
    with engine.begin() as conn:
        conn.execute(insert(ledger), [asdict(r) for r in month_rows()])
    with engine.connect() as conn:
        rows = conn.execute(select(ledger).order_by(ledger.c.id)).all()
    engine.dispose()
    data = json.loads(json.dumps(report_of(rows).to_json(), ensure_ascii=False))
    assert data["overall"]["messages"] == 12 and data["overall"]["yen"] == 3.85
    assert data["overall"]["layers"]["layer1"] == {"count": 5, "percent": 41.7}
    assert data["overall"]["fallthrough"][0] == {"text": "ゲームしよ", "count": 2, "users": 2}
    assert list(data["sisters"]) == ["botan", "kasho"] and data["days"] == 10


def test_cached_share_and_the_yen_caching_saved():
    rows = [
        l2(T0 + 1, "U1", "cheap", 2000, 50, 0.0, 0.0, "a"),
        l2(T0 + 2, "U2", "strong", 2000, 50, 0.0, 0.0, "b"),
        l1(T0 + 3, "U3", "botan:morning"),
    ]
    rows[0].cached_tokens, rows[1].cached_tokens = 1536, 1024  # the report reads the ledger's column
    f = report_of(rows).overall
    assert (f.prompt_tokens, f.cached_tokens) == (4000, 2560)
    assert f.cached_share == pytest.approx(64.0)
    saved = (1536 * (0.15 - 0.075) + 1024 * (2.50 - 1.25)) / 1e6 * 150
    assert f.cache_saved_yen == pytest.approx(saved)
    data = report_of(rows).to_json()["overall"]
    assert (data["cached_tokens"], data["cached_percent"], data["cache_saved_yen"]) == (
        2560,
        64.0,
        round(saved, 2),
    )
    assert "キャッシュ 64%（入力4,000トークン中）" in format_line(report_of(rows))
    text = format_cli(report_of(rows), projection(report_of(rows)))
    assert "cached prompt" in text and f"¥{saved:,.2f}" in text


def test_rows_without_cached_tokens_count_none_cached():
    f = report_of(month_rows()).overall
    assert (f.cached_tokens, f.cache_saved_yen, f.cached_share) == (0, 0.0, 0.0)


# --- the dashboard's days ----------------------------------------------------------------------
def spread_over_days() -> list[Row]:
    """month_rows' period rows, one every 19 hours: they land on twelve different local days."""
    rows = month_rows()[1:-1]
    for n, row in enumerate(rows):
        row.created_at = T0 + n * 19 * HOUR
    return [l1(T0 - 1, "U9", "botan:morning"), *rows, l1(T0 + 13 * DAY, "U9", "botan:night")]


def test_day_bounds_are_local_midnights_and_follow_the_calendar():
    days = day_bounds(date(2026, 11, 1), 3, TZ)
    assert [d[0] for d in days] == ["2026-11-01", "2026-11-02", "2026-11-03"]
    assert days[0][1] == T0 and all(b[2] == c[1] for b, c in zip(days, days[1:], strict=False))
    # midnight in Tokyo is 15:00 UTC the day before
    assert datetime.fromtimestamp(days[1][1], UTC) == datetime(2026, 11, 1, 15, 0, tzinfo=UTC)
    berlin = day_bounds(date(2026, 10, 24), 3, ZoneInfo("Europe/Berlin"))
    assert [round((end - start) / HOUR) for _, start, end in berlin] == [
        24,
        25,
        24,
    ]  # clocks go back on the 25th


def test_the_days_add_up_to_the_report_over_the_same_span():
    rows = spread_over_days()
    days = daily(rows, cfg=CFG, days=day_bounds(date(2026, 11, 1), 12, TZ))
    report = report_of(rows, days=12).overall
    # twelve days; on two of them only an event reply and a command were written: no messages
    assert len(days) == 12 and sum(d.figures.messages > 0 for d in days) == 10
    assert sum(d.figures.messages for d in days) == report.messages == 12
    assert sum(d.figures.commands for d in days) == report.commands
    for layer in ANSWER_LAYERS:
        assert sum(d.figures.layers[layer] for d in days) == report.layers[layer]
    for tier in TIERS:
        assert sum(d.figures.tiers[tier] for d in days) == report.tiers[tier]
    assert sum(d.figures.yen for d in days) == pytest.approx(report.yen)
    assert sum(d.figures.all_strong_yen for d in days) == pytest.approx(report.all_strong_yen)


def test_a_day_of_layer1_only_is_priced_with_the_spans_strong_estimate():
    rows = [
        l2(T0 + HOUR, "U1", "strong", 1000, 100, 3.00, 3.00, "相談がある"),
        l2(T0 + 2 * HOUR, "U2", "cheap", 1000, 100, 0.10, 1.00, "映画見た"),  # span mean strong: 2.00
        l1(T0 + DAY + HOUR, "U1", "botan:morning"),
        l1(T0 + DAY + 2 * HOUR, "U2", "botan:morning"),
    ]
    first, second = daily(rows, cfg=CFG, days=day_bounds(date(2026, 11, 1), 2, TZ))
    assert (first.figures.yen, first.figures.all_strong_yen) == (pytest.approx(3.10), pytest.approx(4.00))
    assert second.figures.yen == 0.0 and second.figures.all_strong_yen == pytest.approx(2 * 2.00)
    assert second.figures.reduction == 100.0
    assert second.to_json() == {
        "day": "2026-11-02",
        "messages": 2,
        "commands": 0,
        "layers": {"layer1": 2, "layer2": 0, "fallback": 0, "safety": 0},
        "tiers": {"cheap": 0, "strong": 0},
        "yen": 0.0,
        "all_strong_yen": 4.0,
        "reduction_percent": 100.0,
        "layer1_percent": 100.0,
    }


def test_a_row_belongs_to_the_local_day_it_was_written_on():
    just_before = T0 + DAY - 1  # 23:59:59 in Tokyo on the 1st (14:59:59 UTC)
    rows = [l1(just_before, "U1", "botan:night"), l1(T0 + DAY, "U1", "botan:morning")]
    first, second = daily(rows, cfg=CFG, days=day_bounds(date(2026, 11, 1), 2, TZ))
    assert (first.figures.messages, second.figures.messages) == (1, 1)


def test_no_days_and_empty_days():
    assert daily(spread_over_days(), cfg=CFG, days=[]) == []
    (empty,) = daily([], cfg=CFG, days=day_bounds(date(2026, 12, 1), 1, TZ))
    assert empty.figures.messages == 0 and empty.to_json()["reduction_percent"] == 0.0


def test_per_sister_can_be_left_out_and_database_rows_read_like_plain_ones(sqlite_url):
    rows = month_rows()
    full, lean = report_of(rows), report_of(rows, per_sister=False)
    assert lean.sisters == {} and lean.overall == full.overall
    engine = connect(sqlite_url)
    with engine.begin() as conn:
        conn.execute(insert(ledger), [{k: v for k, v in asdict(r).items()} for r in rows])
        stored = conn.execute(select(ledger).order_by(ledger.c.id)).all()
    assert plain_rows(stored) == plain_rows(rows)
    assert report_of(stored).overall == full.overall
    engine.dispose()
