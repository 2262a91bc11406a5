"""The main journey in a real browser (Debian's chromium driven by Playwright): a member
publishes a practice with a photo, a colleague finds it by search and adopts it; the feed on a
phone-size screen. Screenshots are kept in var/artifacts/."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image

from grove.core.testing.browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    http_live_server,  # noqa: F401 -- a fixture
)
from grove.core.testing.factories import TEST_PASSWORD, TopicFactory
from grove.practices.models import Attachment, Practice, Reaction

from .view_helpers import *  # noqa: F403 -- the shared fixtures
from .view_helpers import rows

TITLE = "Greet every customer at the door"

pytestmark = [pytest.mark.browser]
if not CHROMIUM.exists() and os.environ.get("GROVE_REQUIRE_BROWSER") != "1":
    pytestmark = [
        pytest.mark.browser,
        pytest.mark.skip(reason=f"{CHROMIUM} not found (apt-get install chromium)"),
    ]


@pytest.fixture
def served(http_live_server):  # noqa: F811
    """The live server over plain HTTP for one test (grove/core/testing/browser.py)."""
    return http_live_server


@pytest.fixture
def photo(tmp_path) -> Path:
    path = tmp_path / "door.jpg"
    image = Image.new("RGB", (640, 480), (36, 88, 59))
    for x in range(200, 440):
        for y in range(120, 360):
            image.putpixel((x, y), (240, 200, 60))
    image.save(path, "JPEG", quality=85)
    return path


def _log_in(page, base_url: str, email: str) -> None:
    page.goto(base_url + "/accounts/login/")
    page.get_by_label("Business email").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(base_url + "/")


def test_a_member_publishes_with_a_photo_and_a_colleague_finds_and_adopts_it(
    served, alice, dave, photo
):
    from playwright.sync_api import expect, sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"GROVE_REQUIRE_BROWSER=1 but {CHROMIUM} is missing")
    TopicFactory(organization=alice.organization, name="Customer service")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    base = served.url

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            # Alice publishes.
            author = browser.new_context().new_page()
            _log_in(author, base, "alice@a.example")
            author.get_by_role("link", name="Publish", exact=True).click()
            author.get_by_label("Title").fill(TITLE)
            author.get_by_label("Topic").select_option(label="Customer service")
            author.get_by_label("Description").fill("Look up, smile, say **hello**.")
            author.get_by_label("Tags").fill("welcome, door")
            author.get_by_label("Photos and videos").set_input_files(str(photo))
            author.get_by_role("button", name="Publish", exact=True).click()
            expect(author.get_by_role("heading", level=1)).to_have_text(TITLE)
            expect(author.locator(".gallery img")).to_have_count(1)
            author.screenshot(path=str(ARTIFACTS / "practice-published.png"), full_page=True)

            # Dave finds it by search and adopts it.
            context = browser.new_context()
            reader = context.new_page()
            _log_in(reader, base, "dave@a.example")
            reader.get_by_label("Search practices").fill("greet customer")
            reader.get_by_label("Search practices").press("Enter")
            expect(reader.locator(".snippet mark").first).to_be_visible()
            reader.get_by_role("link", name=TITLE).click()
            adopt = reader.get_by_role("button", name="I adopted it")
            expect(adopt).to_have_attribute("aria-pressed", "false")
            expect(reader.locator("#adoption-count")).to_have_text("0 adoptions")
            page_url = reader.url
            adopt.click()
            expect(reader.locator("#adoption-count")).to_have_text("1 adoption")
            expect(reader.get_by_role("button", name="I adopted it")).to_have_attribute(
                "aria-pressed", "true"
            )
            assert reader.url == page_url  # swapped in place by htmx, no reload

            # The feed on a phone-size screen.
            reader.set_viewport_size({"width": 390, "height": 844})
            reader.goto(base + "/practices/")
            overflow = reader.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0
            for control in (
                reader.get_by_label("Search practices"),
                reader.get_by_role("link", name="Publish", exact=True),
                reader.get_by_role("button", name="Apply"),
                reader.get_by_role("link", name=TITLE),
                reader.locator(".card .adoptions").first,
            ):
                expect(control).to_be_visible()
            expect(reader.locator(".card .adoptions").first).to_have_text("1 adoption")
            reader.screenshot(path=str(ARTIFACTS / "feed-phone.png"), full_page=True)
        finally:
            browser.close()

    # After the browser: Django refuses database access from inside Playwright's event loop.
    [practice] = rows(Practice)
    assert practice.author_id == alice.pk
    assert practice.status == "published"
    assert practice.adoption_count == 1
    assert [(r.user_id, r.kind) for r in rows(Reaction)] == [(dave.pk, "adopted")]
    assert len(rows(Attachment, practice=practice)) == 1
    assert (ARTIFACTS / "feed-phone.png").stat().st_size > 0
