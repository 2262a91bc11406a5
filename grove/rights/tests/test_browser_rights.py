"""The access-request journey in a real browser (Debian's chromium driven by Playwright): a
member files an access request from their profile, the CSM takes and fulfils it, the member
gets the mail with the link and downloads the ZIP. Screenshots are kept in var/artifacts/."""

from __future__ import annotations

import re
import zipfile
from urllib.parse import urlsplit

import pytest
from django.core import mail

from grove.core.testing.browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    http_live_server,  # noqa: F401 -- a fixture
    no_horizontal_scroll,
    require_chromium,
    staff_session_cookie,
)
from grove.core.testing.factories import TEST_PASSWORD
from grove.rights.models import DataSubjectRequest, PersonalDataExport, RequestState

from .test_views_fixtures import *  # noqa: F403 -- the shared fixtures
from .test_views_fixtures import rows

pytestmark = pytest.mark.browser


def test_a_member_gets_their_data_through_an_access_request(
    http_live_server,  # noqa: F811
    alice,
    assigned_csm,
    tmp_path,
):
    from playwright.sync_api import expect, sync_playwright

    require_chromium()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    base = http_live_server.url
    csm_cookie = staff_session_cookie(assigned_csm, base)
    saved = tmp_path / "my-data.zip"

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            # Alice, on a phone, files an access request from her profile.
            member = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
            member.goto(base + "/accounts/login/")
            member.get_by_label("Business email").fill("alice@a.example")
            member.get_by_label("Password").fill(TEST_PASSWORD)
            member.get_by_role("button", name="Log in").click()
            member.wait_for_url(base + "/")
            member.get_by_role("link", name="Profile").click()
            member.get_by_role("link", name="My data requests").click()
            expect(member.get_by_role("heading", level=1)).to_have_text("My data requests")
            member.get_by_role("link", name="Make a request").click()
            # The rectification's fields stay hidden until it is chosen.
            expect(member.get_by_label("First name")).to_be_hidden()
            member.get_by_label("Rectification").check()
            expect(member.get_by_label("First name")).to_be_visible()
            # Keyboard only: the radio group, then the button.
            member.get_by_label("Access to my data").focus()
            member.keyboard.press("Space")
            expect(member.get_by_label("Access to my data")).to_be_checked()
            expect(member.get_by_label("First name")).to_be_hidden()
            assert no_horizontal_scroll(member)
            member.get_by_role("button", name="Send my request").focus()
            member.keyboard.press("Enter")
            expect(member.get_by_role("heading", level=1)).to_have_text(
                "Your request: Access to my data"
            )
            expect(member.get_by_role("status")).to_contain_text("We answer by")
            assert no_horizontal_scroll(member)
            member.screenshot(path=str(ARTIFACTS / "rights-request-phone.png"), full_page=True)

            # The CSM takes it and fulfils it.
            staff_context = browser.new_context()
            staff_context.add_cookies([csm_cookie])
            console = staff_context.new_page()
            console.goto(base + "/rights/console/")
            console.get_by_role("link", name=re.compile("Access to my data · Alice Anders")).click()
            console.get_by_role("button", name="Take this request").click()
            expect(console.get_by_role("status")).to_contain_text("You are handling this request")
            console.get_by_role("button", name="Fulfil the request").click()
            expect(console.get_by_role("status")).to_contain_text("mailed a download link")
            console.screenshot(path=str(ARTIFACTS / "rights-console-fulfilled.png"), full_page=True)

            # The mail's link, then the download (the link is built on GROVE_BASE_URL).
            [message] = [
                m
                for m in mail.outbox
                if m.to == ["alice@a.example"] and "/rights/exports/" in m.body
            ]
            link = re.search(r"https?://\S+/rights/exports/\S+/", message.body).group(0)
            member.goto(base + urlsplit(link).path)
            expect(member.get_by_role("heading", level=1)).to_have_text("Download your data")
            with member.expect_download() as download_info:
                member.get_by_role("button", name="Download the ZIP file").click()
            download_info.value.save_as(saved)

            # The link works once.
            member.goto(base + urlsplit(link).path)
            member.get_by_role("button", name="Download the ZIP file").click()
            expect(member.get_by_role("heading", level=1)).to_have_text("This link no longer works")
        finally:
            browser.close()

    # After the browser: Django refuses database access from inside Playwright's event loop.
    with zipfile.ZipFile(saved) as archive:
        assert "data.json" in archive.namelist()
        assert b"alice@a.example" in archive.read("data.json")
    [dsr] = rows(DataSubjectRequest)
    assert (dsr.state, dsr.handler_id, dsr.channel) == (
        RequestState.FULFILLED,
        assigned_csm.pk,
        "profile",
    )
    [export] = rows(PersonalDataExport)
    assert export.downloaded_at is not None and export.request_id == dsr.pk


def test_the_officer_finds_the_overdue_request_first_and_decides_on_a_phone(
    http_live_server,  # noqa: F811
    org_a,
    alice,
    assigned_csm,
    security_officer,
):
    from playwright.sync_api import expect, sync_playwright

    from grove.core.testing.factories import UserFactory
    from grove.rights.demo import seed_rights_demo

    require_chromium()
    for n in range(5):
        UserFactory(organization=org_a, email=f"member{n}@a.example")
    seed_rights_demo(org_a)
    [awaiting] = rows(DataSubjectRequest, state=RequestState.AWAITING_APPROVAL)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    base = http_live_server.url
    cookie = staff_session_cookie(security_officer, base)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 390, "height": 844})
            context.add_cookies([cookie])
            page = context.new_page()
            page.goto(base + "/rights/console/")
            expect(page.locator(".overdue-summary")).to_have_text(
                "1 request is overdue: it comes first."
            )
            first = page.locator(".request-card").first
            expect(first).to_have_class(re.compile("is-overdue"))
            expect(first.locator(".badge.overdue")).to_contain_text("Overdue by")
            assert no_horizontal_scroll(page)
            page.screenshot(path=str(ARTIFACTS / "rights-console-phone.png"), full_page=True)

            # The state filter swaps the list in place (htmx), and the address follows.
            url_before = page.url
            page.get_by_label("State").select_option(label="Awaiting the security officer")
            expect(page.locator(".request-card")).to_have_count(1)
            expect(page).to_have_url(re.compile(r"state=awaiting_approval"))
            assert page.url != url_before
            page.locator(".request-card a").first.click()
            expect(page.get_by_role("heading", name="Decide on the erasure")).to_be_visible()
            page.get_by_role("button", name="Approve").focus()
            page.keyboard.press("Enter")
            expect(page.get_by_role("status").first).to_contain_text("Approved.")
            expect(page.get_by_role("button", name="Erase now")).to_be_visible()
            assert no_horizontal_scroll(page)
        finally:
            browser.close()

    [decided] = rows(DataSubjectRequest, pk=awaiting.pk)
    assert (decided.state, decided.decided_by_id) == (RequestState.APPROVED, security_officer.pk)


def test_someone_not_logged_in_files_a_request_and_proves_their_address(
    http_live_server,  # noqa: F811
    alice,
):
    from playwright.sync_api import expect, sync_playwright

    require_chromium()
    base = http_live_server.url

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
            page.goto(base + "/rights/request/")
            page.get_by_label("Your business email").fill("alice@a.example")
            page.get_by_label("Erasure").check()
            page.get_by_role("button", name="Send me a code").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Confirm it is you")
            [message] = [m for m in mail.outbox if m.to == ["alice@a.example"]]
            code = re.search(r"\b(\d{6})\b", message.body).group(1)
            wrong = "000000" if code != "000000" else "111111"
            page.get_by_label("The 6-digit code").fill(wrong)
            page.get_by_label("The 6-digit code").press("Enter")
            expect(page.get_by_role("alert")).to_contain_text("This code is not right")
            page.get_by_label("The 6-digit code").fill(f"{code[:3]} {code[3:]}")
            page.get_by_role("button", name="Confirm").click()
            expect(page.get_by_role("heading", level=1)).to_have_text(
                "Thank you: your request is received"
            )
            assert no_horizontal_scroll(page)
        finally:
            browser.close()

    [dsr] = rows(DataSubjectRequest)
    assert (dsr.subject_id, dsr.request_type, dsr.state, dsr.verification_attempts) == (
        alice.pk,
        "erasure",
        RequestState.IDENTITY_VERIFIED,
        1,
    )
