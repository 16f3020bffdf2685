"""The console in a real headless Chromium: chat as a fan, watch the charts draw, approve a candidate.

Few and end to end (one browser for the module); the endpoints' details are tested in-process in
tests/ops/test_console.py.
"""

from __future__ import annotations

import pytest
from browser_kit import browser_session, page_errors, wait
from console_kit import ANSWERS, QUESTION, consoles

from botan_line.doors.console import CONSOLE_ADMIN

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    yield from browser_session(tmp_path_factory)


@pytest.fixture
def make_console(make_settings, clock, openai_fake):
    yield from consoles(make_settings, clock, openai_fake)


@pytest.fixture
def site(make_console, sqlite_url):
    console = make_console(sqlite_url)
    return console, console.serve()


def by_css(driver, css: str):
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, css)


def send(driver, text: str) -> dict:
    """Type into the composer and send; wait for the new exchange; return what the page shows of it."""
    before = len(by_css(driver, ".exchange"))
    box = by_css(driver, "#text")[0]
    box.send_keys(text)
    by_css(driver, "#send")[0].click()
    wait(driver, lambda d: len(by_css(d, ".exchange")) > before)
    return last_exchange(driver)


def last_exchange(driver) -> dict:
    return driver.execute_script(
        """const x = [...document.querySelectorAll('.exchange')].pop();
        const all = (css) => [...x.querySelectorAll(css)].map((e) => e.textContent.trim());
        return {layer: x.dataset.layer, pattern: x.dataset.pattern, fan: all('.bubble.fan')[0],
                senders: all('.sender'), bubbles: all('.msg .bubble'), model: all('.model')[0] || null,
                yen: all('.yen')[0], source: all('.source')[0] || null};"""
    )


def test_a_fan_greets_then_chats_and_taps_a_quick_reply(browser, site):
    console, url = site
    console.ai.queue("え〜映画いいじゃん！なに見たの？教えて〜！")
    browser.get(f"{url}/chat?user=Ubrowser1&name=ミカ&at=2026-11-28T07:30")
    greeting = send(browser, "おはよう")
    assert greeting["fan"] == "おはよう" and greeting["senders"] == ["牡丹"]
    assert (greeting["layer"], greeting["pattern"]) == ("layer1", "botan:morning")
    assert greeting["bubbles"] == [console.services.store.history("Ubrowser1", "botan", 1)[-1][1]]
    assert greeting["source"].startswith("botan/greetings.yaml:") and greeting["yen"] == "¥0.0000"

    chat = send(browser, "昨日ひとりで映画みてきたんだけどさ")
    row = console.ledger()[-1]
    assert chat["layer"] == "layer2" and chat["bubbles"] == ["え〜映画いいじゃん！なに見たの？教えて〜！"]
    assert chat["model"] == f"{row.model} ({row.tier})" and chat["yen"] == f"¥{row.yen:.4f}"
    assert console.ai.calls()[-1]["messages"][-1]["content"].endswith("昨日ひとりで映画みてきたんだけどさ")

    by_css(browser, "#follow")[0].click()  # 友だち追加: the welcome comes with one button per sister
    wait(browser, lambda d: len(by_css(d, ".quick-reply .chip")) == 3)
    before = len(by_css(browser, ".exchange"))
    next(b for b in by_css(browser, ".quick-reply .chip") if b.text == "ユリ").click()
    wait(browser, lambda d: len(by_css(d, ".exchange")) > before)
    tap = last_exchange(browser)
    assert tap["fan"] == "ユリ" and tap["senders"] == ["ユリ"]
    assert console.services.store.user("Ubrowser1").sister == "yuri"
    assert page_errors(browser) == []


def test_the_dashboard_draws_its_charts_from_the_ledger(browser, site):
    console, url = site
    console.clock.set("2026-11-28T12:00")
    for n, day in enumerate(("2026-11-25", "2026-11-26", "2026-11-26", "2026-11-27")):
        console.say("おはよう", user=f"Ud{n}", at=f"{day}T08:00")
    console.ai.queue("それめっちゃわかる〜！")
    console.say("最近ずっと眠くてさ、どうしたらいいと思う？", user="Ud9", at="2026-11-27T22:00")
    browser.get(f"{url}/dashboard?days=7")
    wait(browser, lambda d: d.execute_script("return document.body.dataset.charts") == "drawn")
    layers = browser.execute_script(
        "return Chart.getChart('chart-layers').data.datasets.map((s) => [s.label, s.data])"
    )
    assert dict(layers)["Layer 1"] == [0, 0, 0, 1, 2, 1, 0] and dict(layers)["Layer 2"] == [
        0,
        0,
        0,
        0,
        0,
        1,
        0,
    ]
    yen = browser.execute_script("return Chart.getChart('chart-yen').data.datasets[0].data")
    assert yen[5] == pytest.approx(console.ledger()[-1].yen, abs=1e-4) and yen[5] > 0
    for canvas in ("chart-layers", "chart-yen", "chart-tiers", "chart-reduction"):
        assert painted(browser, canvas) > 200, canvas  # pixels actually drawn
    green = browser.execute_script(
        """const c = document.getElementById('chart-layers'), g = c.getContext('2d');
        const px = g.getImageData(0, 0, c.width, c.height).data; let n = 0;
        for (let i = 0; i < px.length; i += 4) if (px[i] === 0x2f && px[i+1] === 0x9e && px[i+2] === 0x44) n++;
        return n;"""
    )
    assert green > 100  # the Layer 1 bars, in their colour
    assert page_errors(browser) == []


def painted(driver, canvas_id: str) -> int:
    return driver.execute_script(
        """const c = document.getElementById(arguments[0]);
        const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
        for (let i = 3; i < px.length; i += 4) if (px[i] > 0) n++;
        return n;""",
        canvas_id,
    )


def test_a_candidate_approved_in_the_page_is_answered_from_layer1(browser, site):
    console, url = site
    console.ask_many(["Uq1", "Uq2", "Uq3"])  # three fans, three Layer 2 answers: the real learning path
    browser.get(f"{url}/review")
    (card,) = by_css(browser, ".candidate")
    assert "3 fans" in card.text
    card.find_element("css selector", "button.approve").click()
    wait(browser, lambda d: by_css(d, "#result"))
    assert "承認" in by_css(browser, "#result")[0].text
    command = console.ledger()[-1]
    assert (command.user_id, command.pattern) == (CONSOLE_ADMIN, "approve")
    assert by_css(browser, "#no-candidates")

    console.clock.advance(5)  # a store that checks for new learned patterns every 2 s has looked again
    browser.get(f"{url}/chat?user=Uq4")
    answer = send(browser, QUESTION)
    assert answer["layer"] == "layer1" and answer["pattern"].startswith("botan:learned_")
    assert answer["bubbles"][0] in ANSWERS and answer["source"].startswith(
        "database:learned/botan"
    )  # from the database
    assert page_errors(browser) == []
