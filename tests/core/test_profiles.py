"""Model profiles and the shutdown watch, in-process: what a tier's model is sent, and what is said
about a model that retires (core/layer2/profiles.py, core/layer2/lifecycle.py)."""

from __future__ import annotations

from datetime import date

import pytest

from botan_line.config import BotConfig, Tier, shipped_models
from botan_line.core.layer2 import lifecycle, profiles
from botan_line.core.ports import ModelStatus

TODAY = date(2026, 12, 6)


def cfg(**values) -> BotConfig:
    return BotConfig.model_validate(values)


@pytest.mark.parametrize(
    ("model", "effort", "expected"),
    [
        # model, the tier's effort → (token param, cap, temperature, effort)
        ("gpt-6-luna", None, ("max_completion_tokens", 200, 0.8, "none")),
        ("gpt-6-luna", "low", ("max_completion_tokens", 1224, None, "low")),  # no sampling above none
        ("gpt-6-sol", None, ("max_completion_tokens", 200, 0.8, "none")),
        ("gpt-6.1-sol", None, ("max_completion_tokens", 1224, None, "low")),  # its lowest is low
        ("gpt-6.2-sol", "medium", ("max_completion_tokens", 4296, None, "medium")),
        ("gpt-4o-mini-2024-07-18", None, ("max_completion_tokens", 200, 0.8, None)),  # a snapshot
        ("gpt-5-mini", None, ("max_completion_tokens", 456, None, "minimal")),
        ("llama3.1:8b", None, ("max_tokens", 200, 0.8, None)),  # nobody described it: as always
        ("llama3.1:8b", "high", ("max_tokens", 200, 0.8, "high")),  # ... unless the tier says so
    ],
)
def test_what_a_tier_is_asked_with(model, effort, expected):
    ask = profiles.ask(Tier(model=model, reasoning_effort=effort), BotConfig())
    assert (ask.token_param, ask.max_tokens, ask.temperature, ask.effort) == expected


def test_a_cooler_retry_and_offline_flex():
    c = BotConfig()
    assert profiles.ask(c.tiers.cheap, c, temperature=0.3).temperature == 0.3
    assert profiles.ask(Tier(model="gpt-6.1-sol"), c, temperature=0.3).temperature is None
    assert profiles.ask(c.tiers.cheap, c, offline=True).service_tier == "flex"
    assert profiles.ask(c.tiers.cheap, c).service_tier is None  # live replies never wait in Flex


def test_the_defaults_exist_next_year():
    c = BotConfig()
    for _who, _name, tier in c.all_tiers():
        profile = c.profile(tier.model)
        assert profile is not None and profile.kind == "chat" and profile.shutdown is None
    assert c.profile(c.safety.model).shutdown is None


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"tiers": {"strong": {"model": "gpt-6.1-sol", "reasoning_effort": "none"}}}, "does not take 'none'"),
        ({"tiers": {"cheap": {"model": "gpt-4o-mini", "reasoning_effort": "low"}}}, "leave reasoning_effort out"),
        ({"tiers": {"cheap": {"model": "omni-moderation-latest"}}}, "is a moderation model"),
        ({"sisters": {"kasho": {"tiers": {"cheap": {"model": "gpt-6-luna"},
                                          "strong": {"model": "gpt-6.2-sol", "reasoning_effort": "none"}}}}},
         "sisters.kasho.tiers.strong"),
    ],
)  # fmt: skip
def test_a_tier_its_model_would_refuse_is_refused_when_read(values, message):
    with pytest.raises(ValueError, match=message):
        cfg(**values)


def test_an_operator_profile_replaces_the_shipped_one_and_adds_new_models():
    c = cfg(models={"gpt-7-nova": {"reasoning": True, "efforts": ["low", "high"], "sampling": "never"}},
            tiers={"cheap": {"model": "gpt-7-nova"}})  # fmt: skip
    ask = profiles.ask(c.tiers.cheap, c)
    assert (ask.token_param, ask.effort, ask.temperature) == ("max_completion_tokens", "low", None)
    assert set(shipped_models()) <= set(c.models)


# --- the shutdown watch ----------------------------------------------------------------------------
def test_every_configured_model_is_watched_with_what_it_is_used_for():
    c = cfg(
        sisters={"kasho": {"tiers": {"cheap": {"model": "gpt-6-luna"}, "strong": {"model": "gpt-6.2-sol"}}}}
    )
    watched = {w.model: w.uses for w in lifecycle.watched(c, transcription="gpt-transcribe")}
    assert watched == {
        "gpt-6-luna": ("cheap", "kasho:cheap"),
        "gpt-6-sol": ("strong",),
        "gpt-6.2-sol": ("kasho:strong",),
        "omni-moderation-latest": ("moderation",),
        "gpt-transcribe": ("transcription",),
    }
    off = cfg(safety={"moderation_enabled": False})
    assert "omni-moderation-latest" not in {w.model for w in lifecycle.watched(off)}


def reading(**dates):
    return lifecycle.reading(0.0, [ModelStatus(m.replace("_", "-"), d) for m, d in dates.items()])


def test_the_apis_date_within_the_window_warns_and_outside_it_does_not():
    c = BotConfig()
    near = lifecycle.warnings(c, reading(**{"gpt-6-luna": "2026-12-16"}), TODAY)
    assert [(w.model, w.days_left, w.uses) for w in near] == [("gpt-6-luna", 10, ("cheap",))]
    assert "2026-12-16" in near[0].notice() and "あと10日" in near[0].short()
    assert near[0].log_line() == "model gpt-6-luna (cheap) shuts down on 2026-12-16 (10 days left)"
    assert lifecycle.warnings(c, reading(**{"gpt-6-luna": "2027-02-01"}), TODAY) == []  # 57 days: not yet
    assert lifecycle.warnings(
        cfg(lifecycle={"warn_days": 60}), reading(**{"gpt-6-luna": "2027-02-01"}), TODAY
    )


def test_without_a_reading_the_profiles_dates_stand_in_and_the_api_wins_when_it_answered():
    c = cfg(tiers={"cheap": {"model": "gpt-4o-mini"}}, lifecycle={"warn_days": 60})
    (w,) = lifecycle.warnings(c, None, TODAY)
    assert (w.model, str(w.shutdown), w.days_left, w.replacement) == (
        "gpt-4o-mini",
        "2027-01-14",
        39,
        "gpt-6-luna",
    )
    assert lifecycle.warnings(c, reading(**{"gpt-4o-mini": None}), TODAY) == []  # the API says no date


def test_a_past_or_gone_model_keeps_warning_until_it_is_no_longer_configured():
    c = cfg(tiers={"cheap": {"model": "gpt-4o-mini"}})
    (past,) = lifecycle.warnings(c, None, date(2027, 2, 1))
    assert past.days_left == -18 and "already past" in past.log_line()
    gone = lifecycle.reading(0.0, [ModelStatus("gpt-4o-mini", gone=True)])
    (w,) = lifecycle.warnings(c, gone, TODAY)
    assert w.gone and w.key == "model_shutdown:gpt-4o-mini:gone"
    assert lifecycle.warnings(BotConfig(), gone, TODAY) == []  # resolved: another model configured
