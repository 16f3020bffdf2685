"""The web console's endpoints in-process (Flask's test client): the simulator on the real core, the
dashboard's data, the review through /approve, and the guard (token, loopback Host, origin, headers)."""

from __future__ import annotations

import json
import re
from datetime import datetime
from html import unescape
from pathlib import Path

import pytest
from conftest import TZ
from console_kit import ANSWERS, QUESTION, TOKEN, consoles, texts

from botan_line.doors.console import CONSOLE_ADMIN, UI, create_app

VENDORED = UI / "static" / "vendor"


@pytest.fixture
def make_console(make_settings, clock, openai_fake):
    yield from consoles(make_settings, clock, openai_fake)


@pytest.fixture
def console(make_console, database_url):
    return make_console(database_url)


@pytest.fixture
def sconsole(make_console, sqlite_url):
    return make_console(sqlite_url)


# --- the simulator ---------------------------------------------------------------------------------
def test_a_greeting_is_answered_from_layer1_with_her_name_icon_pattern_and_file_line(console):
    html = console.say("おはよう", at="2026-11-28T07:30")
    row = console.ledger()[-1]
    assert (row.layer, row.pattern, row.yen) == ("layer1", "botan:morning", 0.0)
    assert texts(html, "sender") == ["牡丹"]
    assert texts(html, "bubble") == [said(console, "Ufan1")]
    assert 'src="https://botan-line.example/icons/botan.png"' in html  # the sender's iconUrl, as LINE gets it
    assert texts(html, "layer") == ["layer1"]
    assert re.search(r'class="source">botan/greetings\.yaml:\d+<', html)
    assert texts(html, "yen") == ["¥0.0000"]
    assert row.created_at == datetime(2026, 11, 28, 7, 30, tzinfo=TZ).timestamp()  # the chosen clock


def said(console, user: str, sister: str = "botan") -> str:
    """What she last said to this fan, as the store remembers it."""
    return console.services.store.history(user, sister, 1)[-1][1]


def test_a_layer2_reply_shows_model_tier_and_the_ledgers_yen(console):
    console.ai.queue("へぇ〜、映画いいじゃん！なに見たの？", prompt_tokens=1500, completion_tokens=40)
    html = console.say("昨日ひとりで映画みてきた", user="Ufan2")
    row = console.ledger()[-1]
    assert row.layer == "layer2" and row.yen > 0
    assert "へぇ〜、映画いいじゃん！なに見たの？" in texts(html, "bubble")
    assert texts(html, "model") == [f"{row.model} ({row.tier})"]
    assert texts(html, "yen") == [f"¥{row.yen:.4f}"]
    assert len(console.ai.calls()) == 1  # through the real OpenAI client to the fake server


def test_follow_shows_the_welcome_with_quick_reply_and_a_tap_switches_sister(sconsole):
    html = sconsole.post("/chat/follow", {"user": "Unew", "name": "ミカ"}).get_data(as_text=True)
    assert sconsole.ledger()[-1].pattern == "lines:welcome"
    chips = re.findall(r'name="data" value="(sister=\w+)"><input type="hidden" name="display" value="([^"]+)">\s*'
                       r'<button class="chip"', html)  # fmt: skip
    assert chips == [("sister=botan", "牡丹"), ("sister=kasho", "Kasho（花相）"), ("sister=yuri", "ユリ")]
    tapped = sconsole.post("/chat/tap", {"user": "Unew", "data": "sister=yuri", "display": "ユリ"})
    html = tapped.get_data(as_text=True)
    assert sconsole.services.store.user("Unew").sister == "yuri"
    assert texts(html, "sender")[-1] == "ユリ"
    assert "LINE side (not run by the console): rich menu of yuri linked to Unew" in unescape(html)
    assert sconsole.services.store.user("Unew").display_name == "ミカ"  # from the follow's profile


def test_several_bubbles_and_a_sticker_shown_by_its_ids_and_what_it_shows(
    make_console, sqlite_url, characters_dir
):
    kit = characters_dir / "botan" / "stickers.yaml"
    text = kit.read_text(encoding="utf-8")
    kit.write_text(
        re.sub(r"(?m)^with_line: .*$", "with_line: 1.0", re.sub(r"(?m)^chance: .*$", "chance: 1.0", text))
    )
    console = make_console(sqlite_url)
    html = console.post("/chat/sticker", {"user": "Ufan3", "sticker": "11537/52002734", "keywords": "happy"})
    html = html.get_data(as_text=True)
    row = console.ledger()[-1]
    assert row.layer == "event" and row.pattern.startswith("sticker:")
    assert html.count('class="msg msg-text"') == 1 and html.count('class="msg msg-sticker"') == 1
    package, sticker = row.pattern.removeprefix("sticker:").split("/")
    assert f"<code>{package}/{sticker}</code>" in html
    chars = console.services.characters.current
    shows = next(s.shows for s in chars.sisters["botan"].stickers.stickers if str(s.sticker_id) == sticker)
    assert unescape(shows) in unescape(html) and "sticker.svg" in html  # a local placeholder, no LINE CDN


def test_an_admins_stats_come_as_a_flex_card_with_buttons_that_send_their_text(sconsole):
    html = sconsole.say("/stats", user=CONSOLE_ADMIN)
    assert sconsole.ledger()[-1].layer == "command"
    assert 'class="fx-bubble' in html and "alt: 📊" in html
    assert re.search(r'name="text" value="/stats today text">\s*<button class="fx-button fx-link"', html)
    assert 'data-bg="#e9ecef"' in html  # styles travel as data, drawn by the page's script


def test_what_a_fan_writes_is_escaped(sconsole):
    html = sconsole.say('<script>alert("x")</script><img src=x onerror=alert(1)>', user="Uevil")
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    page = sconsole.get("/chat?user=Uevil&name=%3Cb%3Ebold%3C/b%3E").get_data(as_text=True)
    assert "<b>bold</b>" not in page and "&lt;b&gt;bold&lt;/b&gt;" in page


def test_a_bad_clock_is_refused_and_nothing_is_decided(sconsole):
    answer = sconsole.post("/chat/say", {"user": "Ufan1", "text": "おはよう", "at": "tomorrow morning"})
    assert answer.status_code == 400 and sconsole.ledger() == []


def test_without_the_script_a_post_redirects_back_to_the_same_fan_and_clock(sconsole):
    answer = sconsole.client.post(
        sconsole.path("/chat/say"),
        data={"user": "Ufan9", "name": "ユウ", "at": "2026-11-28T21:00", "text": "おやすみ"},
    )
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith("/chat?user=Ufan9&name=%E3%83%A6%E3%82%A6&at=2026-11-28T21:00")
    page = sconsole.client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "おやすみ" in texts(page, "bubble fan ")


# --- the dashboard ---------------------------------------------------------------------------------
def test_the_dashboard_embeds_the_days_of_the_ledger_and_loads_the_vendored_charts(console):
    console.clock.set("2026-11-28T12:00")
    console.say("おはよう", at="2026-11-26T08:00")
    console.say("おはよう", user="Ufan2", at="2026-11-27T08:00")
    console.ai.queue("えー、それマジ？もっと聞かせて！")
    console.say("昨日すごいことがあってさ", user="Ufan3", at="2026-11-27T20:00")
    page = console.get("/dashboard?days=7").get_data(as_text=True)
    data = json.loads(
        re.search(r'<script type="application/json" id="dashboard-data">(.*?)</script>', page, re.S)[1]
    )
    assert [d["day"] for d in data["days"]] == [f"2026-11-{n}" for n in range(22, 29)]
    by_day = {d["day"]: d for d in data["days"]}
    assert by_day["2026-11-26"]["layers"]["layer1"] == 1
    assert by_day["2026-11-27"]["layers"] == {"layer1": 1, "layer2": 1, "fallback": 0, "safety": 0}
    assert by_day["2026-11-27"]["yen"] == pytest.approx(console.ledger()[-1].yen, abs=1e-4)
    assert sum(d["messages"] for d in data["days"]) == data["report"]["overall"]["messages"] == 3
    for canvas in ("chart-layers", "chart-yen", "chart-tiers", "chart-reduction"):
        assert f'<canvas id="{canvas}"' in page
    assert f"/{TOKEN}/static/vendor/chart.umd.min.js" in page and "cdn" not in page.lower()


def test_a_retiring_model_is_a_banner_on_every_page_until_it_is_resolved(sconsole):
    from botan_line.core.layer2 import lifecycle
    from botan_line.core.ports import ModelStatus

    store = sconsole.services.store
    soon = lifecycle.reading(0.0, [ModelStatus("gpt-6-luna", "2026-12-08")])  # the clock says 2026-11-28
    store.set_state(lifecycle.STATE_KEY, json.dumps(soon))
    for page in ("/chat", "/dashboard", "/review"):
        html = unescape(sconsole.get(page).get_data(as_text=True))
        assert "gpt-6-luna（cheap）: 2026-12-08 に提供終了（あと10日）" in html
    store.set_state(
        lifecycle.STATE_KEY, json.dumps(lifecycle.reading(0.0, [ModelStatus("gpt-6-luna", None)]))
    )
    assert "提供終了" not in unescape(sconsole.get("/chat").get_data(as_text=True))


def test_the_dashboard_offers_only_its_spans(sconsole):
    assert sconsole.get("/dashboard?days=5").status_code == 400
    assert sconsole.get("/dashboard?days=90").status_code == 200


def test_the_vendored_chart_library_is_served_with_its_licence_and_version():
    script = (VENDORED / "chart.umd.min.js").read_text(encoding="utf-8")
    assert script.startswith("/*!\n * Chart.js v4.6.1\n")
    assert "MIT License" in (VENDORED / "chart.js.LICENSE.md").read_text(encoding="utf-8")
    assert "4.6.1" in (VENDORED / "README.md").read_text(encoding="utf-8")


def test_static_files_are_served_under_the_token_only(sconsole):
    answer = sconsole.get("/static/vendor/chart.umd.min.js")
    assert answer.status_code == 200 and answer.data.startswith(b"/*!\n * Chart.js")
    assert sconsole.client.get("/static/vendor/chart.umd.min.js").status_code == 404
    assert sconsole.get("/static/../console.py").status_code == 404


# --- the review ------------------------------------------------------------------------------------
def test_a_candidate_mined_from_three_fans_is_approved_through_the_approve_command(console):
    console.ask_many(["Ua", "Ub", "Uc"])
    page = console.get("/review").get_data(as_text=True)  # listing mines, as /candidates does
    (cand,) = console.candidates()
    assert f'id="c{cand.id}"' in page and "3 fans" in page and f"「{cand.trigger}」" in unescape(page)
    form = {"replies": "\n".join(ANSWERS), "original": ANSWERS}
    answer = console.client.post(console.path(f"/review/{cand.id}/approve"), data=form)
    assert answer.status_code == 302
    done = console.client.get(answer.headers["Location"]).get_data(as_text=True)
    command = console.ledger()[-1]
    assert (command.user_id, command.layer, command.pattern) == (CONSOLE_ADMIN, "command", "approve")
    assert f"/approve {cand.id}" in texts(done, "who") and f"#{cand.id}" in unescape(done)
    assert (
        console.candidates()[0].status == "approved" and console.candidates()[0].decided_by == CONSOLE_ADMIN
    )
    console.clock.advance(5)  # a store that checks for new learned patterns every 2 s has looked again
    html = console.say(QUESTION, user="Ud")
    row = console.ledger()[-1]
    assert (row.layer, row.pattern) == ("layer1", f"botan:learned_{cand.id}")
    assert set(texts(html, "bubble")) & set(ANSWERS)


def test_edited_replies_are_sent_as_the_approve_command_an_admin_would_type(sconsole):
    sconsole.ask_many(["Ua", "Ub", "Uc"])
    sconsole.get("/review")
    (cand,) = sconsole.candidates()
    original = [r.strip() for r in json.loads(cand.replies)]
    form = {"replies": "\n".join([*original, "寂しいときは、あたしに話しに来なよ！"]), "original": original}
    answer = sconsole.client.post(sconsole.path(f"/review/{cand.id}/approve"), data=form)
    done = sconsole.client.get(answer.headers["Location"]).get_data(as_text=True)
    assert texts(done, "who") == [f"/approve {cand.id} + 寂しいときは、あたしに話しに来なよ！"]
    command = sconsole.ledger()[-1]
    assert (command.user_id, command.layer) == (CONSOLE_ADMIN, "command")
    # whatever /approve answers to it (the reply syntax, or "a number, please"), shown as she said it
    assert texts(done, "answer") and texts(done, "answer")[0]


def test_reject_goes_through_the_reject_command(sconsole):
    sconsole.ask_many(["Ua", "Ub", "Uc"])
    sconsole.get("/review")
    (cand,) = sconsole.candidates()
    answer = sconsole.client.post(sconsole.path(f"/review/{cand.id}/reject"))
    assert answer.status_code == 302
    assert sconsole.ledger()[-1].pattern == "reject" and sconsole.candidates()[0].status == "rejected"
    assert 'id="no-candidates"' in sconsole.get("/review").get_data(as_text=True)


def test_an_edit_that_approve_cannot_read_is_refused_before_anything_is_sent(sconsole):
    sconsole.ask_many(["Ua", "Ub", "Uc"])
    sconsole.get("/review")
    (cand,) = sconsole.candidates()
    before = len(sconsole.ledger())
    answer = sconsole.client.post(
        sconsole.path(f"/review/{cand.id}/approve"), data={"replies": "いいね | すごい", "original": ANSWERS}
    )
    assert answer.status_code == 400 and "cannot contain |" in answer.get_data(as_text=True)
    assert len(sconsole.ledger()) == before and sconsole.candidates()[0].status == "open"


def test_the_review_lists_check_problems_as_file_line(make_console, sqlite_url, characters_dir):
    console = make_console(sqlite_url)
    assert 'id="check-ok"' in console.get("/review").get_data(as_text=True)
    broken = characters_dir / "yuri" / "learned.yaml"
    broken.write_text("patterns:\n  - id: Bad-Id\n    replies: [a]\n", encoding="utf-8")
    page = console.get("/review").get_data(as_text=True)
    places = texts(page, "place")
    assert f"{broken}:2" in places, places


def test_the_weakest_patterns_name_the_file_and_line_to_edit(sconsole):
    for n in range(3):  # three fans greeted, none wrote again: 0% came back
        sconsole.say("おやすみ", user=f"Uw{n}", at="2026-11-28T23:00")
    sconsole.clock.set("2026-11-29T12:00")
    page = sconsole.get("/review").get_data(as_text=True)
    row = re.search(r"<tr><td>(botan:\w+)</td><td><code>([^<]+)</code></td><td>3</td>", page)
    assert row and row[2].startswith("botan/") and re.search(r"\.yaml:\d+$", row[2])


# --- the guard -------------------------------------------------------------------------------------
def test_every_request_needs_the_token(sconsole):
    assert sconsole.get("/chat").status_code == 200
    for path in (
        "/",
        "/chat",
        "/per-run-token-3f9c2a7d41b8e60/chat",
        "/x/chat",
        "/" + TOKEN.upper() + "/chat",
    ):
        assert sconsole.client.get(path).status_code == 404, path
    wrong = sconsole.client.post("/wrong-token-wrong-token/chat/say", data={"user": "U1", "text": "おはよう"})
    assert wrong.status_code == 404 and sconsole.ledger() == []


def test_a_host_that_is_not_loopback_is_refused_against_dns_rebinding(sconsole):
    assert sconsole.get("/chat", headers={"Host": "evil.example:8765"}).status_code == 403
    assert sconsole.get("/chat", headers={"Host": "127.0.0.1:9000"}).status_code == 200  # ssh -L to any port
    assert sconsole.get("/chat", headers={"Host": "[::1]:8765"}).status_code == 200


def test_posts_from_another_origin_or_site_are_refused_and_decide_nothing(sconsole):
    form = {"user": "U1", "text": "おはよう"}
    evil = sconsole.client.post(
        sconsole.path("/chat/say"), data=form, headers={"Origin": "https://evil.example"}
    )
    site = sconsole.client.post(
        sconsole.path("/chat/say"), data=form, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert (evil.status_code, site.status_code) == (403, 403) and sconsole.ledger() == []
    null = sconsole.client.post(
        sconsole.path("/chat/say"), data=form, headers={"Origin": "null"}
    )  # a sandboxed frame
    assert null.status_code == 403 and sconsole.ledger() == []
    same = sconsole.client.post(sconsole.path("/chat/say"), data=form, headers={"Origin": "http://localhost"})
    assert same.status_code == 302 and len(sconsole.ledger()) == 1


def test_every_answer_forbids_framing_caching_referrers_and_foreign_scripts(sconsole):
    for answer in (sconsole.get("/chat"), sconsole.get("/dashboard"), sconsole.client.get("/nope")):
        headers = answer.headers
        assert headers["X-Frame-Options"] == "DENY" and headers["Cache-Control"] == "no-store"
        assert headers["Referrer-Policy"] == "same-origin" and headers["X-Content-Type-Options"] == "nosniff"
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self';" in csp and "frame-ancestors 'none'" in csp and "unsafe" not in csp


def test_no_page_shows_a_secret(make_console, sqlite_url):
    secrets = {"line_channel_secret": "SECRET-channel-5b1e", "openai_api_key": "sk-SECRET-key-77aa"}
    console = make_console(sqlite_url, **secrets)
    console.say("おはよう")
    console.say("/stats", user=CONSOLE_ADMIN)
    for path in ("/chat", "/dashboard", "/review", f"/chat?user={CONSOLE_ADMIN}"):
        page = console.get(path).get_data(as_text=True)
        assert not [s for s in [*secrets.values(), "test-token"] if s in page], path


def test_a_short_token_is_refused(sconsole):
    with pytest.raises(ValueError, match="long and random"):
        create_app(sconsole.services, "short")


def test_templates_and_static_files_ship_inside_the_package():
    shipped = {p.relative_to(UI).as_posix() for p in UI.rglob("*") if p.is_file()}
    assert {"templates/chat.html", "static/console.js", "static/vendor/chart.umd.min.js"} <= shipped
    assert Path(UI).is_relative_to(Path(__file__).resolve().parents[2] / "botan_line")
