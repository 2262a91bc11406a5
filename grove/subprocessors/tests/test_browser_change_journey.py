"""A subprocessor change in a real browser, from the proposal to the client's acknowledgement:
a technician proposes, a security manager approves with the notice period, the CSM sends the
notice, the client's manager acknowledges, the CSM sees it."""

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from grove.audit.models import AuditAction
from grove.core.testing.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    http_live_server,  # noqa: F401 -- a fixture
    require_chromium,
)
from grove.core.testing.fixtures import log_in_verified_staff
from grove.subprocessors.models import ChangeStatus, NoticeDelivery, SubprocessorChange
from grove.tenancy.context import unscoped

pytestmark = pytest.mark.browser


def _session_cookie(user, url: str, *, staff: bool = True) -> dict:
    """A session (staff: with the second factor verified; its own tests cover that page)."""
    client = Client()
    if staff:
        log_in_verified_staff(client, user)
    else:
        client.force_login(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": url,
    }


def test_a_change_goes_from_proposal_to_the_clients_acknowledgement(
    http_live_server,  # noqa: F811
    tech,
    security_manager,
    csm,
    bob,
    org_a,
    assign,
    make_subprocessor,
    audit_events,
):
    from playwright.sync_api import expect, sync_playwright

    require_chromium()
    # Its own row: the seeded ones do not survive a transactional test's flush.
    make_subprocessor("vendor", name="Vendor Mail")
    assign(csm, org_a)
    url = http_live_server.url
    cookies = {
        "tech": _session_cookie(tech, url),
        "manager": _session_cookie(security_manager, url),
        "csm": _session_cookie(csm, url),
        "bob": _session_cookie(bob, url, staff=False),
    }

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:

            def page_of(who):
                context = browser.new_context()
                context.add_cookies([cookies[who]])
                return context.new_page()

            page = page_of("tech")
            page.goto(url + "/subprocessor-registry/entries/vendor/")
            page.get_by_role("link", name="Propose a change or its removal").click()
            page.get_by_label("Locations").fill("Germany: Frankfurt")
            page.get_by_label("Impact on personal data", exact=True).fill(
                "Emails will be stored in Germany instead of France."
            )
            page.get_by_role("button", name="Send the proposal").click()
            expect(page.get_by_text("Your proposal was sent")).to_be_visible()
            expect(page.get_by_text("another security manager decides it")).to_be_visible()

            page = page_of("manager")
            page.goto(url + "/subprocessor-registry/changes/queue/")
            page.get_by_role("link", name="Change", exact=True).click()
            expect(page.get_by_text("Germany (Frankfurt)")).to_be_visible()
            page.get_by_label("Notice to clients: what changes").fill(
                "Vendor Mail moves our mail data from France to Germany."
            )
            page.get_by_role("button", name="Approve").click()
            expect(page.get_by_text("Change approved.")).to_be_visible()

            page = page_of("csm")
            page.goto(url + "/subprocessor-registry/staff/notices/")
            expect(page.get_by_text("Sent: 0 of 1")).to_be_visible()
            page.get_by_role("button", name="Send").click()
            expect(page.get_by_text("Notice sent to the organization's managers.")).to_be_visible()

            client_page = page_of("bob")
            client_page.goto(url + "/subprocessor-registry/notices/")
            expect(
                client_page.get_by_text("Vendor Mail moves our mail data from France to Germany.")
            ).to_be_visible()
            client_page.get_by_role("button", name="Acknowledge").click()
            expect(client_page.get_by_text("the notice is acknowledged")).to_be_visible()

            page.goto(url + "/subprocessor-registry/staff/notices/")
            expect(page.get_by_text("Acknowledged: 1 of 1")).to_be_visible()
        finally:
            browser.close()

    # After the browser: Django refuses database access from inside Playwright's event loop.
    change = SubprocessorChange.objects.get()
    assert change.status == ChangeStatus.APPROVED
    assert change.proposed_by_id == tech.pk
    assert change.decided_by_id == security_manager.pk
    assert change.proposed == {"locations": [{"name": "Germany", "region": "Frankfurt"}]}
    with unscoped("test: the delivery"):
        delivery = NoticeDelivery.objects.get()
    assert delivery.sent_by_id == csm.pk
    assert delivery.acknowledged_by_id == bob.pk
    # The CSM was told a notice waits (approval), then Bob received it.
    assert [m.to for m in mail.outbox] == [[csm.email], [bob.email]]
    for action in (
        AuditAction.SUBPROCESSOR_CHANGE_PROPOSED,
        AuditAction.SUBPROCESSOR_CHANGE_APPROVED,
        AuditAction.NOTICE_CREATED,
        AuditAction.NOTICE_SENT,
        AuditAction.NOTICE_ACKNOWLEDGED,
    ):
        assert len(audit_events(action)) == 1, action
