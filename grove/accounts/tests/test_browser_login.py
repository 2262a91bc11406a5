"""The login journey in a real browser: Debian's chromium driven by Playwright."""

import os
from pathlib import Path

import pytest

from grove.audit.models import AuditAction
from grove.core.testing.factories import TEST_PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.browser

if not CHROMIUM.exists() and os.environ.get("GROVE_REQUIRE_BROWSER") != "1":
    pytestmark = [
        pytest.mark.browser,
        pytest.mark.skip(reason=f"{CHROMIUM} not found (apt-get install chromium)"),
    ]


def _wsgi_handler(live_server):
    # StaticFilesHandler -> _MediaFilesHandler -> WSGIHandler, built when the server started.
    handler = live_server.thread.httpd.get_app()
    while hasattr(handler, "application"):
        handler = handler.application
    return handler


@pytest.fixture
def http_live_server(live_server, settings):
    """pytest-django's live server, serving plain HTTP for the length of one test.

    The live server has no TLS, so the HTTPS redirect and the Secure cookie flag are off here
    (the Django test client tests cover them). SecurityMiddleware reads SECURE_SSL_REDIRECT
    when it is built, at the (session-wide) server's start: its middleware is rebuilt after
    the change, and again at the end so later tests get the real configuration back.
    """
    overrides = {
        "SECURE_SSL_REDIRECT": False,
        "SESSION_COOKIE_SECURE": False,
        "CSRF_COOKIE_SECURE": False,
    }
    originals = {name: getattr(settings, name) for name in overrides}
    for name, value in overrides.items():
        setattr(settings, name, value)
    handler = _wsgi_handler(live_server)
    handler.load_middleware()
    yield live_server
    for name, value in originals.items():
        setattr(settings, name, value)
    handler.load_middleware()


def test_a_member_logs_in_sees_the_home_page_and_logs_out(http_live_server, alice, audit_events):
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
