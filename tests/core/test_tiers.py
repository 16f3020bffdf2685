import pytest

from botan_line.config import RouterConfig
from botan_line.core.layer2.tiers import CHEAP, STRONG, importance

CFG = RouterConfig()


@pytest.mark.parametrize(
    "text, new_user, switched, tier, reasons",
    [
        ("今日の夕飯なに食べた？", False, False, CHEAP, ()),
        ("おはよう！今日は何する予定？", False, False, CHEAP, ("plain_greeting",)),
        ("どうせAIなんでしょ？証明してみてよ", False, False, CHEAP, ("banter",)),
        ("どうせAIなんでしょ？証明してみてよ", True, False, STRONG, ("new_user", "banter")),
        (
            "ちょっと相談があるんだけど、最近学校で友達とうまくいかなくて、どうしたらいいのか全然わからなくて悩んでる",
            False,
            True,
            STRONG,
            ("long_message", "switched_sister", "consultation"),
        ),
        (
            "おはよう、相談いい？",
            True,
            True,
            CHEAP,
            ("new_user", "switched_sister", "consultation", "plain_greeting"),
        ),
    ],
)
def test_importance_and_tier(text, new_user, switched, tier, reasons):
    route = importance(text, new_user=new_user, switched=switched, cfg=CFG)
    assert route.tier == tier
    assert route.reasons == reasons
    assert 0.0 <= route.score <= 1.0


def test_threshold_and_weights_are_configurable():
    cfg = RouterConfig.model_validate({"threshold": 0.3, "weights": {"consultation": 0.35}})
    assert importance("悩みがある", new_user=False, switched=False, cfg=cfg).tier == STRONG
    assert importance("悩みがある", new_user=False, switched=False, cfg=CFG).tier == CHEAP


@pytest.mark.parametrize(
    "strong, total, allowed",
    [
        (0, 0, True),  # the day's first calls: the grace
        (4, 4, True),
        (5, 5, False),  # grace spent, 6/6 would be 100%
        (5, 19, True),  # 6/20 = 30%
        (6, 19, False),  # 7/20 = 35% > 30%
        (29, 99, True),  # 30/100: exactly the share
        (30, 99, False),  # 31/100
    ],
)
def test_the_strong_tiers_daily_share(strong, total, allowed):
    from botan_line.core.layer2.tiers import strong_allowed

    assert strong_allowed(strong, total, max_share=0.30, grace=5) is allowed


def test_a_share_of_one_never_caps_and_zero_allows_only_the_grace():
    from botan_line.core.layer2.tiers import strong_allowed

    assert all(strong_allowed(s, s, max_share=1.0, grace=0) for s in range(50))
    assert strong_allowed(2, 10, max_share=0.0, grace=3) and not strong_allowed(3, 10, max_share=0.0, grace=3)


# --- every other tier rule ------------------------------------------------------------------------
def test_the_first_tier_a_worry_budget_pressure_the_daily_share_and_a_gone_model():
    from botan_line.core.layer2.tiers import first_tier

    assert first_tier(CHEAP, concern=True, soft=True, strong_ok=False) == (STRONG, False)  # care over cost
    assert first_tier(STRONG, concern=False, soft=True, strong_ok=True) == (CHEAP, False)
    assert first_tier(STRONG, concern=False, soft=False, strong_ok=False) == (CHEAP, True)  # capped
    assert first_tier(CHEAP, concern=False, soft=False, strong_ok=True, down=frozenset({CHEAP})) == (
        STRONG,
        False,
    )
    both = frozenset({CHEAP, STRONG})
    assert first_tier(CHEAP, concern=False, soft=False, strong_ok=True, down=both) == (CHEAP, False)


def test_the_retry_after_a_rejection():
    from botan_line.core.layer2.tiers import COOLER, retry_tier

    assert retry_tier(CHEAP, soft=False, concern=False) == (STRONG, None)
    assert retry_tier(STRONG, soft=False, concern=False) == (CHEAP, COOLER)
    assert retry_tier(CHEAP, soft=True, concern=False) == (CHEAP, COOLER)  # budget pressure: cheap, cooler
    assert retry_tier(STRONG, soft=False, concern=True) == (STRONG, COOLER)  # a worry stays careful
    assert retry_tier(CHEAP, soft=False, concern=False, down={STRONG}) == (CHEAP, None)  # strong is gone
