"""What the browser tests share: Debian's chromium and its flags, the live server over plain
HTTP, a verified staff session to hand to the browser, the artefacts folder, and the checks
every journey makes (chromium present, no horizontal scroll on a phone)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from .fixtures import log_in_verified_staff

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
ARTIFACTS = Path(settings.BASE_DIR) / "var" / "artifacts"


def require_chromium() -> None:
    """Skip without chromium, unless GROVE_REQUIRE_BROWSER=1 (CI): then fail."""
    if CHROMIUM.exists():
        return
    if os.environ.get("GROVE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"GROVE_REQUIRE_BROWSER=1 but {CHROMIUM} is missing")
    pytest.skip(f"{CHROMIUM} not found (apt-get install chromium)")


def wsgi_handler(live_server):
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
    handler = wsgi_handler(live_server)
    handler.load_middleware()
    yield live_server
    for name, value in originals.items():
        setattr(settings, name, value)
    handler.load_middleware()


def staff_session_cookie(user, url: str) -> dict:
    """A staff session with the second factor verified (its own tests cover that page), as a
    cookie for the browser context."""
    client = Client()
    log_in_verified_staff(client, user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": url,
    }


def no_horizontal_scroll(page) -> bool:
    return (
        page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        <= 0
    )
