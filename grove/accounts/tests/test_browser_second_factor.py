"""The staff second factor in a real browser: enrolment from the key shown on the page, the
recovery codes shown once, then a later login verified with one of them."""

import base64

import pytest
from django_otp.oath import TOTP

from grove.audit.models import AuditAction
from grove.core.testing.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    http_live_server,  # noqa: F401 -- a fixture
    require_chromium,
)
from grove.core.testing.factories import TEST_PASSWORD

pytestmark = pytest.mark.browser


def code_from_key(text: str) -> str:
    """What an authenticator app shows for the key as the page prints it."""
    key = base64.b32decode(text.replace(" ", ""))
    return str(TOTP(key).token()).zfill(6)


def log_in(page, url: str, email: str) -> None:
    page.goto(url + "/accounts/login/")
    page.get_by_label("Business email").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_staff_enrol_then_verify_a_later_session_with_a_recovery_code(
    http_live_server,  # noqa: F811
    csm,
    audit_events,
):
    from playwright.sync_api import expect, sync_playwright

    require_chromium()
    url = http_live_server.url

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_context().new_page()
            log_in(page, url, "csm@grove.example")
            expect(page).to_have_url(url + "/accounts/second-factor/enrol/?next=%2F")
            expect(page.locator("figure.qr-code svg")).to_be_visible()
            # Pages other than the second factor's stay out of reach meanwhile.
            page.goto(url + "/")
            expect(page).to_have_url(url + "/accounts/second-factor/enrol/?next=%2F")

            key = page.locator("code.otp-secret").inner_text()
            page.get_by_role("textbox", name="Code").fill(code_from_key(key))
            page.get_by_role("button", name="Confirm").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
            codes = page.locator("ol.recovery-codes code").all_inner_texts()
            assert len(codes) == 10

            page.get_by_role("link", name="I have saved them, continue").click()
            expect(page).to_have_url(url + "/")
            page.get_by_role("button", name="Log out").click()

            log_in(page, url, "csm@grove.example")
            expect(page).to_have_url(url + "/accounts/second-factor/?next=%2F")
            page.get_by_role("textbox", name="Code").fill(codes[0])
            page.get_by_role("button", name="Verify").click()
            expect(page).to_have_url(url + "/")
        finally:
            browser.close()

    # After the browser: Django refuses database access from inside Playwright's event loop.
    assert [e.actor_id for e in audit_events(AuditAction.OTP_ENROLLED)] == [csm.pk]
    [used] = audit_events(AuditAction.RECOVERY_CODE_USED)
    assert used.details == {"remaining": 9}
