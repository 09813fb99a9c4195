"""The admin page in a real headless browser: Debian's chromium driven by Playwright."""
import shutil
from pathlib import Path

import pytest

from admin_helpers import PASSWORD, example, make_dead_ticket_action, start_admin

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (the test extra)")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists() or not shutil.which(str(CHROMIUM)),
                                reason="needs Debian's chromium at /usr/bin/chromium "
                                       "(apt-get install chromium; `make test` installs it)")


@pytest.fixture
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"admin-{name}.png"), full_page=True)


def test_sign_in_see_an_event_retry_a_dead_action_and_see_kpis(tmp_path, desk, browser):
    app, server = start_admin(tmp_path, desk, max_attempts=2)
    try:
        event_id, action_id = make_dead_ticket_action(app, desk)
        praise_id = app.send(example("05-praise.json"))["id"]
        app.settled(praise_id)
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.goto(f"{app.url}/admin")
        assert "/admin/login" in page.url
        shot(page, "login")
        page.get_by_label("Admin password").fill(PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url("**/admin/events")
        assert page.locator(f'a[href="/admin/events/{praise_id}"]').count() == 1
        shot(page, "events")
        page.get_by_role("link", name="KPIs").click()
        assert page.get_by_text("No data for “Tickets by policy”").is_visible()
        shot(page, "kpis-before-retry")
        page.goto(f"{app.url}/admin/events")

        page.locator(f'a[href="/admin/events/{event_id}"]').click()
        page.wait_for_url(f"**/admin/events/{event_id}")
        assert page.get_by_role("heading", name="Decisions").is_visible()
        assert page.get_by_text("public-complaint").first.is_visible()
        shot(page, "event-dead")
        page.get_by_role("button", name="Retry zendesk.ticket").click()
        page.wait_for_selector("text=queued again")

        def ticket_done():
            page.reload()
            return page.locator("a", has_text="Zendesk ticket #").count() == 1
        for _ in range(100):
            if ticket_done():
                break
            page.wait_for_timeout(200)
        assert page.locator("a", has_text="Zendesk ticket #").count() == 1
        assert app.event(event_id)["actions"][0]["status"] == "done"
        shot(page, "event-retried")

        page.get_by_role("link", name="Dead letters").click()
        assert page.get_by_text("No dead action.").is_visible()
        shot(page, "dead")
        page.get_by_role("link", name="Policies").click()
        assert page.locator("text=(current)").count() == 4
        shot(page, "policies")
        page.get_by_role("link", name="KPIs").click()
        assert page.get_by_text("No data for “Tickets by policy”").count() == 0
        chart = page.get_by_role("img", name="Tickets by policy: complaints: 1")
        assert chart.is_visible()
        assert page.get_by_role("heading", name="First response").is_visible()
        assert page.get_by_text("Answered: 0 of 1 tickets created in the period").is_visible()
        shot(page, "kpis")

        phone = browser.new_page(viewport={"width": 390, "height": 844})
        phone.context.add_cookies(page.context.cookies())
        phone.goto(f"{app.url}/admin/kpis")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        shot(phone, "kpis-phone")
    finally:
        server.shutdown()
        app.runtime.stop()
