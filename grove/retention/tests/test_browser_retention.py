"""The legal-hold journey in a real browser (Debian's chromium driven by Playwright), on a
phone: a security officer opens an organization's retention page, places a hold on the whole
organization, sees it listed in force, then releases it. Screenshots go to var/artifacts/."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from grove.audit.models import AuditAction, AuditEvent
from grove.core.testing.browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    http_live_server,  # noqa: F401 -- a fixture
    no_horizontal_scroll,
    require_chromium,
    staff_session_cookie,
)
from grove.retention.models import LegalHold
from grove.tenancy.context import unscoped

pytestmark = pytest.mark.browser


def test_a_security_officer_places_then_releases_a_legal_hold(
    http_live_server,  # noqa: F811
    security_officer,
    org_a,
    alice,
    bob,
):
    from playwright.sync_api import expect, sync_playwright

    require_chromium()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    base = http_live_server.url
    until = timezone.localdate() + datetime.timedelta(days=45)
    cookie = staff_session_cookie(security_officer, base)  # before Playwright's event loop starts

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 390, "height": 844})
            context.add_cookies([cookie])
            page = context.new_page()
            page.goto(base + "/staff/")
            page.get_by_role("link", name="Retention", exact=True).click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Retention")
            page.get_by_role("link", name="Organization A").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Retention: Organization A")
            expect(page.get_by_text("No legal hold on this organization.")).to_be_visible()
            # The next purge's counts arrive by htmx, in place of the link.
            expect(page.locator("#dry-run .purge-counts")).to_be_visible()
            assert no_horizontal_scroll(page)

            page.get_by_text("Place a legal hold").click()
            expect(page.get_by_label("The whole organization")).to_be_checked()
            page.get_by_label("Until (inclusive)").fill(until.isoformat())
            page.get_by_label("Reason", exact=True).fill("Litigation hold, counsel ticket LEGAL-77")
            page.get_by_role("button", name="Place the hold").click()

            expect(page.get_by_role("status").first).to_contain_text("Legal hold placed")
            hold_card = page.locator("#holds li.request-card")
            expect(hold_card).to_have_count(1)
            expect(hold_card).to_contain_text("Hold on the whole organization")
            expect(hold_card).to_contain_text("In force")
            expect(hold_card).to_contain_text(until.isoformat())
            expect(hold_card).to_contain_text("LEGAL-77")
            expect(page.get_by_role("note")).to_contain_text("A legal hold is in force")
            assert no_horizontal_scroll(page)
            page.screenshot(path=str(ARTIFACTS / "retention-hold-placed-phone.png"), full_page=True)

            hold_card.get_by_text("Release this hold").click()
            hold_card.get_by_label("Why the hold is released").fill("Case settled")
            hold_card.get_by_role("button", name="Release the hold").click()

            expect(page.get_by_role("status").first).to_contain_text("Legal hold released")
            expect(hold_card).to_contain_text("Released")
            expect(hold_card).to_contain_text("Case settled")
            expect(hold_card).not_to_contain_text("In force")
            expect(page.get_by_role("note")).to_have_count(0)
            assert no_horizontal_scroll(page)
            page.screenshot(
                path=str(ARTIFACTS / "retention-hold-released-phone.png"), full_page=True
            )
        finally:
            browser.close()

    with unscoped("test: read"):
        [hold] = LegalHold.objects.all()
        actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert hold.until == until
    assert hold.released_at is not None
    assert {AuditAction.HOLD_PLACED, AuditAction.HOLD_RELEASED, AuditAction.VIEW} <= actions


def test_a_csm_reads_the_certificate_of_a_purged_organization(
    http_live_server,  # noqa: F811
    csm,
    org_a,
    alice,
    bob,
):
    """The real engine purges organization A (contract ended 40 days ago); its CSM finds it at
    the top of the overview and opens the signed certificate."""
    from playwright.sync_api import expect, sync_playwright

    from grove.privacy.datamap import Retention
    from grove.privacy.retention import purge_date
    from grove.retention.enforce import data_rule
    from grove.retention.lifecycle import end_contract
    from grove.retention.models import PurgeKind
    from grove.retention.purge import run_organization_purge
    from grove.staff.models import CsmAssignment
    from grove.tenancy.models import Organization

    require_chromium()
    end = timezone.localdate() - datetime.timedelta(days=40)
    with unscoped("test set-up"):
        CsmAssignment.objects.create(organization=org_a, csm=csm)
        Organization.objects.filter(pk=org_a.pk).update(
            contract_start=end - datetime.timedelta(days=300), contract_end=end
        )
        org_a.refresh_from_db()
    end_contract(
        organization=org_a, now=timezone.now(), reason=Organization.EndReason.CONTRACT_END_DATE
    )
    certificate = run_organization_purge(
        organization=org_a,
        kind=PurgeKind.ORGANIZATION_DATA,
        rule=data_rule(),
        due_on=purge_date(end, Retention.CONTRACT),
        run_by="scheduler",
    )
    base = http_live_server.url
    cookie = staff_session_cookie(csm, base)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 390, "height": 844})
            context.add_cookies([cookie])
            page = context.new_page()
            page.goto(base + "/retention/")
            card = page.locator("li.request-card").first
            expect(card).to_contain_text("Organization A")
            expect(card).to_contain_text("Personal data purged")
            assert no_horizontal_scroll(page)
            page.screenshot(path=str(ARTIFACTS / "retention-overview-phone.png"), full_page=True)
            card.get_by_role("link", name="The organization's personal data").click()
            expect(page.get_by_role("heading", level=1)).to_contain_text("Deletion certificate")
            expect(page.get_by_role("status")).to_contain_text("Signature valid")
            expect(page.locator(".purge-counts")).to_contain_text("accounts.User")
            expect(page.get_by_text(certificate.signature)).to_be_visible()
            assert no_horizontal_scroll(page)
            page.screenshot(path=str(ARTIFACTS / "retention-certificate-phone.png"), full_page=True)
        finally:
            browser.close()
