"""The break-glass journey in a real browser: request, approval by another person, access to
the client's users, revocation ending it at once."""

import pytest
from django.conf import settings
from django.test import Client

from grove.audit.models import AuditAction
from grove.core.testing.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    http_live_server,  # noqa: F401 -- a fixture
    require_chromium,
)
from grove.core.testing.fixtures import log_in_verified_staff
from grove.staff.models import AccessGrant
from grove.tenancy.context import unscoped

pytestmark = pytest.mark.browser


def _session_cookie(user, url: str) -> dict:
    """A session with the second factor verified (its own tests cover that page)."""
    client = Client()
    log_in_verified_staff(client, user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies["sessionid"].value,
        "url": url,
    }


def test_a_technician_gets_approved_access_then_loses_it_on_revocation(
    http_live_server,  # noqa: F811
    tech,
    security_officer,
    org_a,
    alice,
    audit_events,
):
    from playwright.sync_api import expect, sync_playwright

    require_chromium()
    url = http_live_server.url
    tech_cookie = _session_cookie(tech, url)
    officer_cookie = _session_cookie(security_officer, url)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            tech_context = browser.new_context()
            tech_context.add_cookies([tech_cookie])
            tech_page = tech_context.new_page()
            tech_page.goto(url + "/staff/organizations/org-a/")
            expect(tech_page.get_by_role("heading", level=1)).to_have_text("Not Found")

            tech_page.goto(url + "/staff/grants/request/")
            tech_page.get_by_label("Organization identifier").fill("org-a")
            tech_page.get_by_label("Why you need access").fill("Feed fails for some members")
            tech_page.get_by_label("Incident or ticket reference").fill("INC-321")
            tech_page.get_by_label("For how long").select_option("60")
            tech_page.get_by_role("button", name="Send the request").click()
            expect(tech_page).to_have_url(url + "/staff/")
            expect(tech_page.get_by_text("Your request was sent")).to_be_visible()

            officer_context = browser.new_context()
            officer_context.add_cookies([officer_cookie])
            officer_page = officer_context.new_page()
            officer_page.goto(url + "/staff/grants/pending/")
            expect(officer_page.get_by_text("INC-321")).to_be_visible()
            officer_page.get_by_role("button", name="Approve").click()
            expect(officer_page.get_by_text("Access approved.")).to_be_visible()

            tech_page.goto(url + "/staff/")
            tech_page.get_by_role("link", name="Organization A").click()
            expect(tech_page.get_by_text("alice@a.example")).to_be_visible()

            tech_page.goto(url + "/staff/")
            tech_page.get_by_role("button", name="Revoke now").click()
            expect(tech_page.get_by_text("Access revoked.")).to_be_visible()
            tech_page.goto(url + "/staff/organizations/org-a/")
            expect(tech_page.get_by_role("heading", level=1)).to_have_text("Not Found")
        finally:
            browser.close()

    # After the browser: Django refuses database access from inside Playwright's event loop.
    with unscoped("test: read the grant"):
        grant = AccessGrant.objects.get()
    assert grant.status == AccessGrant.Status.REVOKED
    assert grant.decided_by_id == security_officer.pk
    [listed] = audit_events(AuditAction.LIST)
    assert listed.grant_id == grant.pk
    assert listed.object_ids == [str(alice.pk)]
    assert [e.actor_id for e in audit_events(AuditAction.ACCESS_DENIED)] == [tech.pk, tech.pk]
    for action in (
        AuditAction.GRANT_REQUESTED,
        AuditAction.GRANT_APPROVED,
        AuditAction.GRANT_USED,
        AuditAction.GRANT_REVOKED,
    ):
        assert [e.grant_id for e in audit_events(action)] == [grant.pk]
