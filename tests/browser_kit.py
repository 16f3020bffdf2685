"""A real headless Chromium (Debian's chromium and chromium-driver) driven by Selenium, for the console.

One browser per test module (``browser_session``), a fresh profile, and the flags that keep Chromium
off the network (this machine's network is closed; without them it tries Google's hosts at start).
A machine without the packages skips these tests, unless ``BOTAN_TEST_BROWSER=1`` (set by
``.ci/run``, which installs them) makes that a failure.
"""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--window-size=1280,900",
)
WAIT = 15.0  # seconds: the longest a page may take to show what a test waits for


def unavailable() -> str | None:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    if missing:
        return f"{' and '.join(missing)} not installed (apt-get install chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    return None


def start_browser(profile):
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # the driver's path is given: Selenium Manager has nothing to look up or download
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)


def browser_session(tmp_path_factory):
    """The body of a module-scoped ``browser`` fixture (``yield from browser_session(...)``)."""
    reason = unavailable()
    if reason:
        if os.environ.get("BOTAN_TEST_BROWSER") == "1":
            pytest.fail(f"BOTAN_TEST_BROWSER=1 but {reason}")
        pytest.skip(reason)
    driver = start_browser(tmp_path_factory.mktemp("chromium-profile"))
    driver.set_page_load_timeout(WAIT)
    yield driver
    driver.quit()


def wait(driver, condition, timeout: float = WAIT):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(condition)


def page_errors(driver) -> list[str]:
    """The browser's console errors, except the sisters' placeholder icon hosts failing to resolve."""
    return [
        e["message"]
        for e in driver.get_log("browser")
        if e["level"] == "SEVERE" and "botan-line.example/icons" not in e["message"]
    ]
