"""The import journey in a real browser: upload, preview, commit, and the progress bar that
htmx polls until the import is finished."""

import threading

import pytest

from grove.core.testing.browser import (  # noqa: F401
    CHROMIUM,
    CHROMIUM_ARGS,
    http_live_server,
)
from grove.core.testing.factories import TEST_PASSWORD
from grove.onboarding.models import ImportStatus, UserImport
from grove.tenancy.context import unscoped

pytestmark = pytest.mark.browser
LIST = (
    "email,first name,last name,country,job type,phone\n"
    "dana@a.example,Dana,Durand,FR,,+33612345678\n"
    "eve@a.example,Eve,Evans,DE,,\n"
    "not-an-email,Finn,Fox,FR,,\n"
)


def _in_a_thread(work) -> None:
    # Django refuses database access from inside Playwright's event loop: run it beside it.
    errors = []

    def run():
        try:
            work()
        except Exception as error:  # pragma: no cover -- reported below
            errors.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} not found")
def test_a_manager_previews_commits_and_watches_the_progress(
    http_live_server,  # noqa: F811
    settings,
    tmp_path,
    bob,
):
    from playwright.sync_api import expect, sync_playwright

    # The database queue: the import waits as QUEUED (no worker here) and the page polls.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }

    def finish():
        with unscoped("test: the worker's part"):
            UserImport.objects.update(
                status=ImportStatus.DONE, rows_done=3, created_count=2, error_count=1
            )

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(http_live_server.url + "/onboarding/import/")
            page.get_by_label("Business email").fill(bob.email)
            page.get_by_label("Password").fill(TEST_PASSWORD)
            page.get_by_role("button", name="Log in").click()
            expect(page).to_have_url(f"{http_live_server.url}/onboarding/import/")

            page.get_by_label("User list (CSV or Excel .xlsx)").set_input_files(
                files=[{"name": "list.csv", "mimeType": "text/csv", "buffer": LIST.encode()}]
            )
            page.get_by_role("button", name="Preview the import").click()

            expect(
                page.get_by_text("These columns were dropped and not stored: phone")
            ).to_be_visible()
            expect(page.locator('[data-count="create"]')).to_have_text("2")
            expect(page.locator('[data-count="error"]')).to_have_text("1")
            assert "+33612345678" not in page.content()

            page.get_by_label("Import valid rows only").check()
            page.get_by_role("button", name="Commit the import").click()

            progress = page.locator("#import-progress")
            expect(progress).to_have_attribute("data-status", "queued")
            expect(progress).to_have_attribute("hx-trigger", "every 2s")

            _in_a_thread(finish)

            expect(page.locator('[data-count="created"]')).to_have_text("2", timeout=15_000)
            expect(progress).to_have_attribute("data-status", "done")
            expect(progress).not_to_have_attribute("hx-trigger", "every 2s")
            expect(page.locator("#import-progress-bar")).to_have_attribute("value", "3")
            expect(page.get_by_role("link", name="Follow the invitations")).to_be_visible()
        finally:
            browser.close()
