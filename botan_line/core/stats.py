"""The cost report: ledger rows in, figures and two renderings (LINE, terminal) out.

Pure functions: callers query the ledger and pass the rows (anything with the ledger's column
names as attributes); nothing here touches the database, the clock or the network.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from operator import itemgetter
from typing import NamedTuple

from botan_line.clock import month_bounds
from botan_line.config import BotConfig
from botan_line.core.model import LAYERS, MESSAGE_LAYERS, PAID_LAYERS

# A typical Layer 2 exchange, used when the period has none to measure: her fixed prompt (about
# 1,500 real tokens, 1,408 of them cached once any fan has talked to her in the last minutes), a
# few turns of history, a reply (bench/layer2_cost.py measures it).
TYPICAL_PROMPT_TOKENS = 1700
TYPICAL_CACHED_TOKENS = 1408
TYPICAL_COMPLETION_TOKENS = 60
ANSWER_LAYERS = MESSAGE_LAYERS  # the layers a report shows, in order (core/model.py's vocabulary)
TIERS = ("cheap", "strong")
MIN_USES_FOR_WEAKEST = 3
FOLLOWUP_SECONDS = 1800  # "the user wrote again within 30 minutes": callers fetch this much past the period
DAY = 86400.0


def period_bounds(kind: str, now: datetime) -> tuple[float, float, str]:
    """'today' | 'week' (last 7 days incl. today) | 'month' (calendar month of now) | 'YYYY-MM'
    → (since, until, label) in epoch seconds. ``until`` is capped at ``now``, so a period still
    in progress covers the time that has passed and the projection scales by that."""
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if kind == "today":
        since, end, label = (
            midnight.timestamp(),
            (midnight + timedelta(days=1)).timestamp(),
            f"{now:%Y-%m-%d}",
        )
    elif kind == "week":
        first = midnight - timedelta(days=6)
        since, end = first.timestamp(), (midnight + timedelta(days=1)).timestamp()
        label = f"{first:%Y-%m-%d} – {now:%Y-%m-%d}"
    elif kind == "month":
        (since, end), label = month_bounds(now), f"{now:%Y-%m}"
    elif re.fullmatch(r"\d{4}-\d{2}", kind) and 1 <= int(kind[5:]) <= 12:
        since, end = month_bounds(datetime(int(kind[:4]), int(kind[5:]), 1, tzinfo=now.tzinfo))
        label = kind
    else:
        raise ValueError(f"unknown period {kind!r}: use today, week, month or a month such as 2026-11")
    return since, max(since, min(end, now.timestamp())), label


@dataclass
class PatternUse:
    pattern: str
    uses: int


@dataclass
class FallThrough:
    text: str  # the normalised message
    count: int
    users: int  # distinct users who sent it


@dataclass
class Followup:
    pattern: str
    uses: int
    followed: int  # uses after which the same user wrote again within the follow-up window

    @property
    def percent(self) -> float:
        return 100.0 * self.followed / self.uses if self.uses else 0.0


def _pct(part: float, whole: float) -> float:
    return 100.0 * part / whole if whole else 0.0


@dataclass
class Figures:
    """One column of the report: every sister together, or one sister."""

    messages: int = 0  # replies, commands and event replies excluded
    commands: int = 0
    layers: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ANSWER_LAYERS, 0))
    tiers: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TIERS, 0))  # Layer 2 calls
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0  # of prompt_tokens, served from the provider's prompt cache
    cache_write_tokens: int = 0  # of prompt_tokens, written to the provider's cache (billed at its price)
    reasoning_tokens: int = 0  # of completion_tokens, spent reasoning (billed as output)
    cache_saved_yen: float = 0.0  # what those tokens would have cost more at the full input price
    yen: float = 0.0
    all_strong_yen: float = 0.0  # the same messages, every one answered by the strong model
    layer2_messages: int = 0  # layer2 + fallback rows that called a model
    layer2_yen: float = 0.0
    fixed: int = 0  # fallback lines said instead of a model's answer (off, paused, over budget, failing)
    fixed_strong_yen: float = 0.0  # their share of all_strong_yen: what answering them would have cost
    typical_cheap_yen: float = 0.0  # cost per Layer 2 message when the period has no Layer 2 rows
    photos: int = 0  # photo turns (an image set is one)
    voices: int = 0  # voice notes
    image_tokens: int = 0  # of prompt_tokens, the photos' (estimated)
    audio_seconds: float = 0.0  # transcribed
    media_yen: float = 0.0  # what the photo and voice turns cost (their chat calls and transcription)
    top_patterns: list[PatternUse] = field(default_factory=list)
    fallthrough: list[FallThrough] = field(default_factory=list)
    weakest: list[Followup] = field(default_factory=list)

    def share(self, layer: str) -> float:
        return _pct(self.layers.get(layer, 0), self.messages)

    def tier_share(self, tier: str) -> float:
        return _pct(self.tiers[tier], sum(self.tiers.values()))

    @property
    def cached_share(self) -> float:
        return _pct(self.cached_tokens, self.prompt_tokens)

    @property
    def reduction(self) -> float:
        """What the bot saved against answering everything with the strong model. A fixed line said
        instead of a model's answer saved nothing (it counts as spent at the strong price), so the
        reduction never rises because Layer 2 failed."""
        if not self.all_strong_yen:
            return 0.0
        return 100.0 * (1 - (self.yen + self.fixed_strong_yen) / self.all_strong_yen)

    @property
    def layer2_cost(self) -> float:
        return self.layer2_yen / self.layer2_messages if self.layer2_messages else self.typical_cheap_yen

    def to_json(self) -> dict:
        return {
            "messages": self.messages,
            "commands": self.commands,
            "layers": {k: {"count": n, "percent": round(self.share(k), 1)} for k, n in self.layers.items()},
            "tiers": {
                k: {"count": n, "percent": round(self.tier_share(k), 1)} for k, n in self.tiers.items()
            },
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cached_tokens": self.cached_tokens,
            "cache_write_tokens": self.cache_write_tokens,
            "reasoning_tokens": self.reasoning_tokens,
            "fixed": self.fixed,
            "cached_percent": round(self.cached_share, 1),
            "cache_saved_yen": round(self.cache_saved_yen, 2),
            "yen": round(self.yen, 2),
            "all_strong_yen": round(self.all_strong_yen, 2),
            "reduction_percent": round(self.reduction, 1),
            "layer2_cost_yen": round(self.layer2_cost, 4),
            "media": {
                "photos": self.photos,
                "voices": self.voices,
                "image_tokens": self.image_tokens,
                "audio_minutes": round(self.audio_seconds / 60, 2),
                "yen": round(self.media_yen, 2),
            },
            "top_patterns": [asdict(p) for p in self.top_patterns],
            "fallthrough": [asdict(f) for f in self.fallthrough],
            "weakest": [{**asdict(w), "percent": round(w.percent, 1)} for w in self.weakest],
        }


@dataclass
class Report:
    label: str
    since: float
    until: float
    overall: Figures
    sisters: dict[str, Figures]  # only sisters with rows in the period, in the character files' order

    @property
    def days(self) -> float:
        return (self.until - self.since) / DAY

    def to_json(self) -> dict:
        return {
            "label": self.label,
            "since": self.since,
            "until": self.until,
            "days": round(self.days, 3),
            "overall": self.overall.to_json(),
            "sisters": {k: f.to_json() for k, f in self.sisters.items()},
        }


class LedgerRow(NamedTuple):
    """The ledger columns the report reads, as a plain tuple (fast to build and to read many times over)."""

    created_at: float
    user_id: str
    sister: str
    layer: str
    pattern: str | None
    model: str | None
    tier: str | None
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    yen: float
    strong_yen: float
    normalized: str | None
    reasoning_tokens: int = 0
    cache_write_tokens: int = 0
    media: str | None = None  # image | image:<n> | audio (0011)
    image_tokens: int = 0
    audio_seconds: float = 0.0


_FIELDS = LedgerRow._fields
# 0 when a row has no such column
_COUNTS = ("cached_tokens", "reasoning_tokens", "cache_write_tokens", "image_tokens", "audio_seconds")


def plain_rows(rows) -> list[LedgerRow]:
    """``rows`` (database rows, or anything with the ledger's column names) as :class:`LedgerRow`.

    A report reads each row's columns a dozen times per column of the report; a database row's
    attribute lookup is several times slower than a named tuple's, so rows are copied once."""
    rows = list(rows)
    if not rows or isinstance(rows[0], LedgerRow):
        return rows
    fields = getattr(rows[0], "_fields", None)  # a SQLAlchemy Row: read by position
    if fields is not None and set(_FIELDS) <= set(fields):
        pick = itemgetter(*(fields.index(name) for name in _FIELDS))
        return [LedgerRow._make(pick(r)) for r in rows]
    return [
        LedgerRow._make(getattr(r, name, 0 if name in _COUNTS else None) for name in _FIELDS) for r in rows
    ]


def _typical_yen(cfg: BotConfig, sister: str, tier: str) -> float:
    model = getattr(cfg.tiers_for(sister), tier).model
    return cfg.price_yen(model, TYPICAL_PROMPT_TOKENS, TYPICAL_COMPLETION_TOKENS, TYPICAL_CACHED_TOKENS)


def _followed_rows(rows, followup_seconds: int) -> set[int]:
    """Indexes of rows whose user's next ledger row (any layer) came within the window."""
    followed: set[int] = set()
    last: dict[str, int] = {}
    for i in sorted(range(len(rows)), key=lambda i: rows[i].created_at):  # stable: ties keep row order
        prev = last.get(rows[i].user_id)
        if prev is not None and rows[i].created_at - rows[prev].created_at <= followup_seconds:
            followed.add(prev)
        last[rows[i].user_id] = i
    return followed


def _figures(items, followed: set[int], strong_estimate, cfg: BotConfig, top: int) -> Figures:
    f = Figures()
    counted = [(i, r) for i, r in items if r.layer in MESSAGE_LAYERS or r.layer not in LAYERS]
    f.commands = sum(r.layer == "command" for _, r in items)
    f.messages = len(counted)
    uses: Counter[str] = Counter()
    rebound: Counter[str] = Counter()
    asked: dict[str, list] = defaultdict(list)
    sisters: Counter[str] = Counter()  # messages per sister (the typical prices are per sister)
    unpriced: Counter[str] = Counter()  # messages that called no model, per sister
    fixed: Counter[str] = Counter()  # ... of them, fallback lines instead of a model's answer
    cached_by_model: Counter[str | None] = Counter()
    for i, r in counted:
        layer = r.layer
        if layer in f.layers:
            f.layers[layer] += 1
        sisters[r.sister] += 1
        f.prompt_tokens += r.prompt_tokens or 0
        f.completion_tokens += r.completion_tokens or 0
        cached = r.cached_tokens or 0
        if cached:
            f.cached_tokens += cached
            cached_by_model[r.model] += cached
        f.cache_write_tokens += r.cache_write_tokens or 0
        f.reasoning_tokens += r.reasoning_tokens or 0
        f.yen += r.yen or 0.0
        if layer in PAID_LAYERS and r.normalized:
            asked[r.normalized].append(r.user_id)
        if layer in PAID_LAYERS and r.model:  # a model was called: its own figures
            f.all_strong_yen += r.strong_yen or 0.0
            f.layer2_messages += 1
            f.layer2_yen += r.yen or 0.0
            if r.tier in f.tiers:
                f.tiers[r.tier] += 1
        else:  # Layer 1, safety, and fallbacks that never called a model (off, paused, over budget)
            unpriced[r.sister] += 1
            if layer == "fallback":
                fixed[r.sister] += 1
                f.fixed += 1
        if r.media:
            f.photos += r.media.startswith("image")
            f.voices += r.media == "audio"
            f.image_tokens += r.image_tokens or 0
            f.audio_seconds += r.audio_seconds or 0.0
            f.media_yen += r.yen or 0.0
            if r.audio_seconds and not (layer in PAID_LAYERS and r.model):  # its transcription was paid
                f.all_strong_yen += r.strong_yen or 0.0
        if layer == "layer1" and r.pattern:
            uses[r.pattern] += 1
            rebound[r.pattern] += i in followed
    f.all_strong_yen += sum(strong_estimate(sister) * n for sister, n in unpriced.items())
    f.fixed_strong_yen = sum(strong_estimate(sister) * n for sister, n in fixed.items())
    f.cache_saved_yen = sum(cfg.cache_saving_yen(model, n) for model, n in cached_by_model.items())
    f.typical_cheap_yen = (
        sum(_typical_yen(cfg, sister, "cheap") * n for sister, n in sisters.items()) / len(counted)
        if counted
        else _typical_yen(cfg, "", "cheap")
    )
    f.top_patterns = [PatternUse(p, n) for p, n in sorted(uses.items(), key=lambda x: (-x[1], x[0]))[:top]]
    fell = [FallThrough(t, len(u), len(set(u))) for t, u in asked.items()]
    f.fallthrough = sorted(fell, key=lambda x: (-x.count, -x.users, x.text))[:top]
    weak = [Followup(p, n, rebound[p]) for p, n in uses.items() if n >= MIN_USES_FOR_WEAKEST]
    f.weakest = sorted(weak, key=lambda w: (w.percent, -w.uses, w.pattern))[:top]
    return f


def short_names(chars) -> dict[str, str]:
    """Each sister's name as a report column shows it: her display name up to a bracket (Kasho（花相） → Kasho)."""
    return {
        sid: re.split(r"[（(]", s.persona.display_name, maxsplit=1)[0] or sid
        for sid, s in chars.sisters.items()
    }


def _strong_estimator(rows, cfg: BotConfig):
    """What the strong model would have cost a message that called no model: the period's mean
    strong-tier price of its Layer 2 rows, else a typical exchange's."""
    layer2_strong = [r.strong_yen or 0.0 for r in rows if r.layer == "layer2"]
    mean_strong = sum(layer2_strong) / len(layer2_strong) if layer2_strong else None

    def strong_estimate(sister: str) -> float:
        return mean_strong if mean_strong is not None else _typical_yen(cfg, sister, "strong")

    return strong_estimate


def build_report(
    rows,
    *,
    cfg: BotConfig,
    since: float,
    until: float,
    label: str,
    top: int = 5,
    followup_seconds: int = FOLLOWUP_SECONDS,
    order: Sequence[str] = (),
    per_sister: bool = True,
) -> Report:
    """Figures for rows with since <= created_at < until. Rows outside the period are used only to
    see whether a user wrote again, so pass rows up to until + followup_seconds for exact edges.
    ``per_sister=False`` leaves ``Report.sisters`` empty (the dashboard does not show them)."""
    rows = plain_rows(rows)
    followed = _followed_rows(rows, followup_seconds)
    items = [(i, r) for i, r in enumerate(rows) if since <= r.created_at < until]
    strong_estimate = _strong_estimator([r for _, r in items], cfg)
    names = {r.sister for _, r in items} if per_sister else set()
    order = [s for s in order if s in names] + sorted(names - set(order))
    sisters = {
        s: _figures([(i, r) for i, r in items if r.sister == s], followed, strong_estimate, cfg, top)
        for s in order
    }
    return Report(label, since, until, _figures(items, followed, strong_estimate, cfg, top), sisters)


@dataclass
class Day:
    """One local calendar day of the dashboard: its figures (no pattern lists)."""

    day: str  # YYYY-MM-DD in the bot's time zone
    since: float
    until: float
    figures: Figures

    def to_json(self) -> dict:
        f = self.figures
        return {
            "day": self.day,
            "messages": f.messages,
            "commands": f.commands,
            "layers": dict(f.layers),
            "tiers": dict(f.tiers),
            "yen": round(f.yen, 4),
            "all_strong_yen": round(f.all_strong_yen, 4),
            "reduction_percent": round(f.reduction, 1),
            "layer1_percent": round(f.share("layer1"), 1),
        }


def day_bounds(first: date, count: int, tz: tzinfo) -> list[tuple[str, float, float]]:
    """``count`` local calendar days from ``first``: (YYYY-MM-DD, midnight, next midnight) in ``tz``
    (a day with a daylight-saving change is 23 or 25 hours long, as the calendar says)."""
    out = []
    for n in range(count):
        day = first + timedelta(days=n)
        start = datetime.combine(day, time(), tzinfo=tz)
        end = datetime.combine(day + timedelta(days=1), time(), tzinfo=tz)
        out.append((day.isoformat(), start.timestamp(), end.timestamp()))
    return out


def daily(rows, *, cfg: BotConfig, days: Sequence[tuple[str, float, float]]) -> list[Day]:
    """Figures per day for ``days`` (from :func:`day_bounds`, in order, back to back).

    Messages that called no model are priced at the strong model with the estimate of the whole
    span, so the days add up to ``build_report`` over the same span (same messages, layers, tiers,
    yen and all-strong yen)."""
    if not days:
        return []
    since, until = days[0][1], days[-1][2]
    rows = [r for r in plain_rows(rows) if since <= r.created_at < until]
    strong_estimate = _strong_estimator(rows, cfg)
    starts = [start for _, start, _ in days]
    buckets: list[list] = [[] for _ in days]
    for i, r in enumerate(rows):  # one pass: each row to its day
        buckets[bisect_right(starts, r.created_at) - 1].append((i, r))
    return [
        Day(label, start, end, _figures(items, set(), strong_estimate, cfg, top=0))
        for (label, start, end), items in zip(days, buckets, strict=True)
    ]


def projection(report: Report, shares=(0.6, 0.8, 0.9), days_in_month: int = 30) -> list[tuple[float, float]]:
    """(Layer 1 share, monthly yen): the current share first, then each of ``shares``. Volume is
    scaled from the period (at least one day, so a few hours are not multiplied by hundreds)."""
    f = report.overall
    volume = f.messages * days_in_month / max(report.days, 1.0)
    current = f.layers["layer1"] / f.messages if f.messages else 0.0
    return [(s, volume * (1 - s) * f.layer2_cost) for s in (current, *shares)]


# --- renderings -----------------------------------------------------------------------------------
def _yen(value: float) -> str:
    return f"¥{value:,.0f}" if value >= 100 else f"¥{value:,.2f}"


def _clip(text: str, size: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= size else text[: size - 1] + "…"


def format_line(report: Report, names: dict[str, str] | None = None) -> str:
    """A short Japanese summary for an admin reading in LINE (at most 2000 characters)."""
    f = report.overall
    out = [f"📊 {report.label} のレポート"]
    if not f.messages:
        return "\n".join([*out, f"メッセージはまだありません（コマンド {f.commands}件）"])
    out += [
        f"メッセージ {f.messages:,}件（コマンド {f.commands:,}件）",
        f"Layer1 {f.share('layer1'):.1f}% / Layer2 {f.share('layer2'):.1f}% / "
        f"定型 {f.share('fallback'):.1f}% / 安全 {f.share('safety'):.1f}%",
        f"Layer2 cheap {f.tiers['cheap']}件({f.tier_share('cheap'):.0f}%) / "
        f"strong {f.tiers['strong']}件({f.tier_share('strong'):.0f}%)",
        f"費用 {_yen(f.yen)}（全部strongなら {_yen(f.all_strong_yen)}）",
        f"削減率 {f.reduction:.1f}%",
        f"キャッシュ {f.cached_share:.0f}%（入力{f.prompt_tokens:,}トークン中）節約 {_yen(f.cache_saved_yen)}",
    ]
    if f.reasoning_tokens or f.cache_write_tokens:
        out.append(
            f"推論 {f.reasoning_tokens:,}トークン / キャッシュ書き込み {f.cache_write_tokens:,}トークン"
        )
    if f.fixed:
        out.append(f"⚠️ AIの代わりの定型文 {f.fixed:,}件（削減には数えません）")
    if f.photos or f.voices:
        out.append(
            f"写真 {f.photos:,}件 / ボイス {f.voices:,}件（{f.audio_seconds / 60:,.1f}分）{_yen(f.media_yen)}"
        )
    if report.sisters:
        out.append("― 姉妹別 ―")
        for sister, s in report.sisters.items():
            out.append(
                f"{(names or {}).get(sister, sister)} {s.messages:,}件 L1 {s.share('layer1'):.0f}% "
                f"{_yen(s.yen)} 削減 {s.reduction:.0f}%"
            )
    if f.top_patterns:
        out.append("― よく使われたパターン ―")
        out += [f"{n}. {_clip(p.pattern, 40)} {p.uses}回" for n, p in enumerate(f.top_patterns[:3], 1)]
    if f.fallthrough:
        out.append("― Layer2に流れた言葉 ―")
        out += [
            f"{n}. 「{_clip(x.text, 20)}」{x.count}回・{x.users}人"
            for n, x in enumerate(f.fallthrough[:3], 1)
        ]
    if f.weakest:
        out.append("― 反応が弱いパターン ―")
        out += [
            f"{n}. {_clip(w.pattern, 40)} 返信率 {w.percent:.0f}%（{w.uses}回）"
            for n, w in enumerate(f.weakest[:2], 1)
        ]
    return "\n".join(out)[:2000]


def format_cli(report: Report, projection: list[tuple[float, float]]) -> str:
    """The terminal report: one column per sister, then the lists and the projection."""
    cols = {"all": report.overall, **report.sisters}

    def row(name: str, cell) -> str:
        return f"{name:<20}" + "".join(f"{cell(f):>16}" for f in cols.values())

    out = [
        f"botan-line stats — {report.label} ({report.days:.1f} days)",
        "",
        f"{'':<20}" + "".join(f"{k:>16}" for k in cols),
    ]
    out += [row("messages", lambda f: f"{f.messages:,}"), row("commands", lambda f: f"{f.commands:,}")]
    out += [row(layer, lambda f, k=layer: f"{f.layers[k]:,} {f.share(k):5.1f}%") for layer in ANSWER_LAYERS]
    out += [
        row(f"{tier} calls", lambda f, k=tier: f"{f.tiers[k]:,} {f.tier_share(k):5.1f}%") for tier in TIERS
    ]
    out += [
        row("prompt tokens", lambda f: f"{f.prompt_tokens:,}"),
        row("completion tokens", lambda f: f"{f.completion_tokens:,}"),
        row("cached prompt", lambda f: f"{f.cached_tokens:,} {f.cached_share:5.1f}%"),
        row("cache writes", lambda f: f"{f.cache_write_tokens:,}"),
        row("reasoning tokens", lambda f: f"{f.reasoning_tokens:,}"),
        row("saved by caching", lambda f: f"¥{f.cache_saved_yen:,.2f}"),
        row("fixed, not savings", lambda f: f"{f.fixed:,}"),
        row("photo turns", lambda f: f"{f.photos:,}"),
        row("image tokens (est.)", lambda f: f"{f.image_tokens:,}"),
        row("voice notes", lambda f: f"{f.voices:,} {f.audio_seconds / 60:5.1f}m"),
        row("photos and voice", lambda f: f"¥{f.media_yen:,.2f}"),
        row("spent", lambda f: f"¥{f.yen:,.2f}"),
        row("all strong model", lambda f: f"¥{f.all_strong_yen:,.2f}"),
        row("reduction", lambda f: f"{f.reduction:.1f}%"),
    ]
    f = report.overall
    out += ["", "Top Layer 1 patterns"]
    out += [f"  {p.uses:>6}  {p.pattern}" for p in f.top_patterns] or ["  (none)"]
    out += ["", "Most frequent fall-throughs to Layer 2  (count, users, message)"]
    out += [f"  {x.count:>6} {x.users:>6}  {x.text}" for x in f.fallthrough] or ["  (none)"]
    out += [
        "",
        f"Weakest Layer 1 patterns (>= {MIN_USES_FOR_WEAKEST} uses; user wrote again within the window)",
    ]
    out += [f"  {w.percent:5.1f}%  {w.followed:>4}/{w.uses:<4}  {w.pattern}" for w in f.weakest] or [
        "  (none)"
    ]
    out += ["", f"Projected monthly Layer 2 cost (¥{f.layer2_cost:,.4f} per Layer 2 message)"]
    for n, (share, yen) in enumerate(projection):
        lead = "now Layer 1 answers" if n == 0 else "if Layer 1 answered"
        out.append(f"  {lead} {share * 100:5.1f}% → {_yen(yen):>10}/month")
    return "\n".join(out)
