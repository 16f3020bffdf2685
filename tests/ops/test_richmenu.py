"""Rich menus over the real SDK and the fake LINE server: `richmenu sync`, and a fan's menu following
their sister (postback, /command, name call, re-follow). Every request is checked against LINE's
OpenAPI documents by the ``line`` fixture."""

from __future__ import annotations

import yaml
from conftest import ADMIN
from fakes import follow_event, postback_event, unfollow_event

from botan_line.ops import richmenu


def sync(bot, size="compact"):
    s = bot.services
    return richmenu.sync(s.edge, s.engine, s.characters.current, s.settings.characters_dir, size)


def test_sync_creates_three_menus_sets_the_default_and_is_idempotent(sbot):
    line = sbot.line
    first = sync(sbot)
    assert sorted(first.created) == ["botan", "kasho", "yuri"] and first.deleted == []
    assert len(line.menus) == 3 and set(line.images) == set(line.menus)
    assert line.default_menu == first.created["botan"]
    for sid, menu_id in first.created.items():
        menu = line.menus[menu_id]
        assert menu["size"] == {"width": 2500, "height": 843} and menu["name"].startswith(
            f"botan-line:{sid}:"
        )
        kind, image = line.images[menu_id]
        assert kind == "image/png" and richmenu.png_size(image) == (2500, 843) and len(image) < 1024 * 1024
        actions = [a["action"] for a in menu["areas"]]
        assert [a.get("data") for a in actions[:3]] == ["sister=botan", "sister=kasho", "sister=yuri"]
        assert actions[3] == {"type": "message", "label": "ヘルプ", "text": "/help"}
    assert first.images == {"botan": "generated", "kasho": "generated", "yuri": "generated"}

    writes = line.attempts("/v2/bot/richmenu") + line.attempts("/content")
    second = sync(sbot)
    assert second.created == {} and second.deleted == [] and not second.default_changed
    assert second.kept == first.created and len(line.menus) == 3
    assert line.attempts("/v2/bot/richmenu") + line.attempts("/content") == writes  # nothing made twice


def test_a_changed_sister_gets_a_new_menu_her_fans_follow_and_the_old_one_goes(sbot, characters_dir):
    first = sync(sbot)
    sbot.say("/yuri", user="Uyurifan")
    chars = sbot.services.characters.current
    (characters_dir / "yuri" / "richmenu.png").write_bytes(richmenu.draw(chars, "kasho", "compact"))
    again = sync(sbot)  # only her image changed: only her menu is replaced
    assert list(again.created) == ["yuri"] and again.deleted == [first.created["yuri"]]
    assert len(sbot.line.menus) == 3
    assert sbot.line.menu_of("Uyurifan") == again.created["yuri"]  # re-linked before the old one went
    assert again.relinked == 1
    path = characters_dir / "yuri" / "persona.yaml"  # a name is on every menu: all three are redrawn
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["display_name"] = "ユリ（末っ子）"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    sbot.services.characters.reload()
    third = sync(sbot)
    assert sorted(third.created) == ["botan", "kasho", "yuri"] and len(third.deleted) == 3
    assert len(sbot.line.menus) == 3 and sbot.line.default_menu == third.created["botan"]


def test_the_full_size_and_a_shipped_image(sbot, characters_dir):
    image = richmenu.draw(sbot.services.characters.current, "kasho", "full")
    (characters_dir / "kasho" / "richmenu.png").write_bytes(image)
    result = sync(sbot, "full")
    assert result.images["kasho"] == "shipped" and result.images["botan"] == "generated"
    kasho = sbot.line.menus[result.created["kasho"]]
    assert kasho["size"] == {"width": 2500, "height": 1686}
    assert sbot.line.images[result.created["kasho"]][1] == image


def test_menus_made_by_other_tools_are_left_alone_and_remove_takes_only_ours(sbot):
    foreign = sbot.services.edge.create_rich_menu(
        {"size": {"width": 2500, "height": 843}, "selected": False, "name": "campaign", "chatBarText": "campaign",
         "areas": [{"bounds": {"x": 0, "y": 0, "width": 2500, "height": 843},
                    "action": {"type": "message", "text": "hi"}}]},
        richmenu.draw(sbot.services.characters.current, "botan", "compact"), "image/png",
    )  # fmt: skip
    sync(sbot)
    assert foreign in sbot.line.menus and len(sbot.line.menus) == 4
    assert len(richmenu.remove(sbot.services.edge, sbot.services.engine)) == 3
    assert list(sbot.line.menus) == [foreign]
    assert sbot.services.store.rich_menu_ids() == {}


def test_every_way_of_switching_links_the_fans_menu(bot):
    menus = sync(bot).created
    line = bot.line
    bot.say("/yuri")
    assert line.menu_of("Utest1") == menus["yuri"]
    bot.deliver(postback_event("sister=kasho", timestamp_ms=bot.clock.ms))
    assert line.menu_of("Utest1") == menus["kasho"]
    bot.say("牡丹ちゃん、おはよう")
    assert line.menu_of("Utest1") == menus["botan"] and bot.user_sister() == "botan"
    links = len(line.links())
    bot.say("おはよう")  # no switch: no call
    bot.say("/botan")  # already hers: no call either
    assert len(line.links()) == links


def test_a_fan_who_unfollows_and_follows_again_sees_the_right_menu(sbot):
    menus = sync(sbot).created
    sbot.say("/yuri")
    sbot.deliver(unfollow_event(timestamp_ms=sbot.clock.ms))
    sbot.line.user_menus.clear()  # whatever LINE kept while blocked, the bot does not rely on it
    sbot.deliver(follow_event(unblocked=True, timestamp_ms=sbot.clock.ms))
    assert sbot.line.menu_of("Utest1") == menus["yuri"]


def test_links_can_be_switched_off_and_wait_for_a_sync(make_bot, sqlite_url):
    bot = make_bot(sqlite_url, rich_menu=False)
    sync(bot)
    bot.say("/yuri")
    assert bot.line.links() == []
    unsynced = make_bot(sqlite_url.replace("botan.db", "other.db"))
    unsynced.say("/kasho", user=ADMIN)  # no menus synced yet: nothing to link, nothing fails
    assert unsynced.line.links() == [] and unsynced.user_sister(ADMIN) == "kasho"


def test_the_cli_syncs_against_the_configured_line_api(sbot, monkeypatch, capsys, characters_dir, tmp_path):
    from conftest import SECRET, TOKEN

    from botan_line.ops.cli import main

    env = {"LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN, "LINE_API_BASE_URL": sbot.line.url,
           "BOTAN_DATABASE_URL": sbot.services.settings.database_url, "BOTAN_CHARACTERS_DIR": str(characters_dir)}  # fmt: skip
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert main(["richmenu", "sync"]) == 0
    assert "botan: created" in capsys.readouterr().out
    assert main(["richmenu", "sync"]) == 0
    out = capsys.readouterr().out
    assert "botan: unchanged" in out and "deleted 0 old menu(s)" in out
    assert len(sbot.line.menus) == 3
