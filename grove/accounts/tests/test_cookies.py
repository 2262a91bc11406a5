"""The session cookie and the CSRF cookie are the only cookies Grove sets."""

from django.urls import reverse

from grove.core.testing.factories import TEST_PASSWORD


def test_logging_in_leaves_only_the_session_and_csrf_cookies(client, alice):
    client.get(reverse("accounts:login"))
    response = client.post(
        reverse("accounts:login"), {"username": "alice@a.example", "password": TEST_PASSWORD}
    )
    client.get(reverse("core:home"))

    assert set(response.cookies) == {"sessionid", "csrftoken"}
    assert set(client.cookies) == {"sessionid", "csrftoken"}


def test_the_session_cookie_is_httponly_samesite_lax_and_secure(client, alice):
    response = client.post(
        reverse("accounts:login"), {"username": "alice@a.example", "password": TEST_PASSWORD}
    )

    session_cookie = response.cookies["sessionid"]
    assert session_cookie["httponly"] is True
    assert session_cookie["samesite"] == "Lax"
    assert session_cookie["secure"] is True


def test_the_csrf_cookie_is_httponly_samesite_lax_and_secure(client, db):
    response = client.get(reverse("accounts:login"))

    csrf_cookie = response.cookies["csrftoken"]
    assert csrf_cookie["httponly"] is True
    assert csrf_cookie["samesite"] == "Lax"
    assert csrf_cookie["secure"] is True


def test_an_anonymous_visit_sets_no_session_cookie(client, db):
    response = client.get(reverse("accounts:login"))

    assert "sessionid" not in response.cookies
