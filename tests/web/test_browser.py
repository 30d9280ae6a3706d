"""The dashboard in a real headless Chromium (Debian's ``chromium``, driven by Playwright).

The app is served by the daemon's own listener (:class:`StatusServer`, port 0) over a store
with a cycle-to-date series for every demo KR; the page is loaded with JavaScript disabled.
Without chromium or playwright the test skips, or fails when ``CI`` is ``true``.
"""

from __future__ import annotations

import importlib.util
import math
import os
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from syncd.config import LoadedConfig
from syncd.observe import StatusServer
from syncd.store import Store
from syncd.store.records import MeasurementIn
from tests.web.conftest import CYCLE_START, NOW, measurement
from tests.web.helpers import dashboard_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).parent / "screenshots"  # git-ignored; looked at by people


def require_browser() -> None:
    """Skip (or, in CI, fail) unless chromium and the playwright package are installed."""
    missing = []
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        missing.append(f"{CHROMIUM} (apt-get install -y chromium)")
    if importlib.util.find_spec("playwright") is None:
        missing.append("the playwright package (pip install playwright)")
    if missing:
        reason = "browser test needs " + " and ".join(missing)
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)


def cycle_series(loaded: LoadedConfig) -> list[MeasurementIn]:
    """One point a day for every KR, drifting from its baseline with a gentle wobble; the
    last one fetched a few minutes before NOW."""
    items = []
    days = (NOW - CYCLE_START).days
    for index, (_, kr) in enumerate(loaded.config.key_results()):
        for day in range(1, days + 1):
            at = CYCLE_START + timedelta(days=day)
            wobble = math.sin(day / 4 + index)
            if kr.maintain is not None:
                limit = kr.maintain.at_most or kr.maintain.at_least or 1.0
                value = limit * (0.8 + 0.1 * wobble)
            else:
                assert kr.baseline is not None and kr.target is not None
                pace = 0.3 + 0.1 * (index % 7)  # some ahead, some behind
                share = pace * day / 92 + 0.03 * wobble
                value = kr.baseline + share * (kr.target - kr.baseline)
            fresh = NOW - timedelta(minutes=3 + index) if day == days else None
            items.append(measurement(kr.id, at, value, collected=fresh))
    return items


@pytest.fixture
def served(demo_config: LoadedConfig, store: Store, store_path: Path) -> Iterator[str]:
    store.record_measurements(cycle_series(demo_config))
    store.record_checkin(
        "booking-5d",
        at=NOW - timedelta(hours=3),
        confidence="at_risk",
        note="campaign slipped a week",
    )
    server = StatusServer(dashboard_app(demo_config, store_path), port=0)
    server.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.stop()


@pytest.mark.parametrize("width", [1280, 420])
def test_dashboard_in_chromium_shows_every_kr(
    demo_config: LoadedConfig, request: pytest.FixtureRequest, width: int
) -> None:
    require_browser()
    from playwright.sync_api import sync_playwright

    base = request.getfixturevalue("served")
    SCREENSHOTS.mkdir(exist_ok=True)
    screenshot = SCREENSHOTS / f"dashboard-{width}.png"
    screenshot.unlink(missing_ok=True)
    requested: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                viewport={"width": width, "height": 900}, java_script_enabled=False
            )
            page = context.new_page()
            page.on("request", lambda req: requested.append(req.url))
            answer = page.goto(base + "/")
            assert answer is not None and answer.status == 200
            assert page.title() == "syncd · OKR progress"
            for _, kr in demo_config.config.key_results():
                heading = page.locator(f'li[data-kr="{kr.id}"] h4')
                assert heading.inner_text() == kr.title
                assert heading.is_visible()
            assert page.locator("li.kr").count() == 20
            assert page.locator("li.kr svg").count() == 20
            # The stylesheet applied: the pace marker is positioned absolutely, in its bar.
            marker = page.locator('li[data-kr="booking-5d"] .bar-marker')
            assert marker.evaluate("m => getComputedStyle(m).position") == "absolute"
            # The summary opens the page, inside the first screen; sources come last.
            summary = page.locator("section.summary").bounding_box()
            assert summary is not None and summary["y"] < 900
            sources = page.locator("section.sources").bounding_box()
            last_kr = page.locator("li.kr").last.bounding_box()
            assert sources is not None and last_kr is not None
            assert sources["y"] > last_kr["y"]
            # The owner's word is on the card, beside the computed status.
            checkin = page.locator('li[data-kr="booking-5d"] .kr-checkin')
            assert "campaign slipped a week" in checkin.inner_text()
            # Nothing runs off the side, even on a phone.
            overflow = page.evaluate("() => document.documentElement.scrollWidth")
            assert overflow <= width
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    assert requested and all(url.startswith(base + "/") for url in requested), requested
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size > 50_000


def test_a_browser_signs_in_with_the_form_and_keeps_a_strict_session_cookie(
    demo_config: LoadedConfig, store: Store, store_path: Path
) -> None:
    require_browser()
    from playwright.sync_api import sync_playwright

    token = "browser-token-2c9d"
    server = StatusServer(dashboard_app(demo_config, store_path, token=token), port=0)
    server.start()
    base = f"http://127.0.0.1:{server.port}"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                context = browser.new_context(java_script_enabled=False)
                page = context.new_page()
                answer = page.goto(base + "/kr/booking-5d")
                assert answer is not None and answer.status == 401
                page.fill("#token", "not-it")
                page.click("button[type=submit]")
                assert "That is not the token." in page.inner_text("main")
                page.fill("#token", token)
                page.click("button[type=submit]")
                page.wait_for_url(base + "/kr/booking-5d")
                assert page.locator("h1").inner_text() == (
                    "70 % of newcomers book a doctor within 5 days"
                )
                [cookie] = context.cookies()
                assert (cookie["httpOnly"], cookie["sameSite"]) == (True, "Strict")
                assert token not in cookie["value"]
                # Signed in, the whole dashboard opens without a header.
                assert page.goto(base + "/").status == 200  # type: ignore[union-attr]
                page.click("form.logout button")
                assert page.goto(base + "/").status == 401  # type: ignore[union-attr]
            finally:
                browser.close()
    finally:
        server.stop()
