"""The login journey in a real browser: Debian's chromium driven by Playwright."""

import os

import pytest

from grove.audit.models import AuditAction
from grove.core.testing.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    http_live_server,  # noqa: F401 -- a fixture
)
from grove.core.testing.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser]

if not CHROMIUM.exists() and os.environ.get("GROVE_REQUIRE_BROWSER") != "1":
    pytestmark = [
        pytest.mark.browser,
        pytest.mark.skip(reason=f"{CHROMIUM} not found (apt-get install chromium)"),
    ]


def test_a_member_logs_in_sees_the_home_page_and_logs_out(
    http_live_server,  # noqa: F811
    alice,
    audit_events,
):
    from playwright.sync_api import expect, sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"GROVE_REQUIRE_BROWSER=1 but {CHROMIUM} is missing")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
            page = context.new_page()

            page.goto(http_live_server.url + "/")
            expect(page).to_have_url(f"{http_live_server.url}/accounts/login/?next=/")

            page.get_by_label("Business email").fill("alice@a.example")
            page.get_by_label("Password").fill(TEST_PASSWORD)
            page.get_by_role("button", name="Log in").click()

            expect(page).to_have_url(f"{http_live_server.url}/")
            expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Alice")
            cookie_names = sorted(cookie["name"] for cookie in context.cookies())
            assert cookie_names == ["csrftoken", "sessionid"]

            page.get_by_role("button", name="Log out").click()
            expect(page).to_have_url(f"{http_live_server.url}/accounts/login/")
            page.goto(http_live_server.url + "/")
            expect(page).to_have_url(f"{http_live_server.url}/accounts/login/?next=/")
        finally:
            browser.close()

    # After the browser: Django refuses database access from inside Playwright's event loop.
    assert [e.actor_id for e in audit_events(AuditAction.LOGIN)] == [alice.pk]
    assert [e.actor_id for e in audit_events(AuditAction.LOGOUT)] == [alice.pk]
