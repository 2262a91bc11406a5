"""The activation journey in a real browser: the invitation mail's link, the confirmation page,
the password and the terms, then the feed."""

import pytest
from django.core import mail

from grove.accounts.invitations import invitations_send
from grove.core.testing.browser import CHROMIUM, CHROMIUM_ARGS, http_live_server  # noqa: F401
from grove.core.testing.factories import UserFactory

from .test_invitations import IMMEDIATE, link_token

pytestmark = pytest.mark.browser
PASSWORD = "an-unusual-passphrase-for-dora-7"  # noqa: S105 -- test value


@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} not found")
def test_an_invited_person_activates_their_account_and_lands_in_the_feed(
    http_live_server,  # noqa: F811
    settings,
    org_a,
    audit_events,
):
    from playwright.sync_api import expect, sync_playwright

    settings.TASKS = IMMEDIATE
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    dora = UserFactory(
        email="dora@a.example",
        first_name="Dora",
        last_name="Dupont",
        organization=org_a,
        password=None,
    )
    invitations_send(users=[dora])  # transactional test: the task runs on commit at once
    url = f"{http_live_server.url}/accounts/invitation/{link_token(mail.outbox[-1])}/"

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(url)
            expect(page.get_by_role("heading", name="Activate your account")).to_be_visible()

            # The terms are required (the server checks too: test_activation_views).
            terms = page.get_by_label("I accept the terms of use")
            expect(terms).to_have_attribute("required", "")

            page.locator("#id_new_password1").fill(PASSWORD)
            page.locator("#id_new_password2").fill(PASSWORD)
            terms.check()
            page.get_by_role("button", name="Activate my account").click()

            expect(page).to_have_url(f"{http_live_server.url}/practices/")
            expect(page.get_by_role("button", name="Log out")).to_be_visible()

            page.goto(url)  # the link is spent
            expect(page.get_by_role("heading", name="This link was already used")).to_be_visible()
        finally:
            browser.close()
    assert len(audit_events("invitation.accepted")) == 1
