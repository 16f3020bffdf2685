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
