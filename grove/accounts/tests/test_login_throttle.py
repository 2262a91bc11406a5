"""Throttling of password logins and password-reset mails, per login (throttle.py)."""

import datetime
import re
import threading
import time
from unittest import mock

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from grove.accounts import throttle
from grove.accounts.models import LoginThrottle, ThrottleScope
from grove.audit.models import AuditAction
from grove.core.testing.factories import TEST_PASSWORD

LOGIN_URL = reverse("accounts:login")
RESET_URL = reverse("accounts:password_reset")
WRONG = "not-the-password"
NOW = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
THROTTLED = "Too many failed attempts for this login."


def log_in(client, email, password=TEST_PASSWORD):
    return client.post(LOGIN_URL, {"username": email, "password": password})


def fail(client, email, times):
    for _ in range(times):
        response = log_in(client, email, WRONG)
        assert response.status_code == 200, "refused before the limit"


def refusal_text(response) -> str:
    [error] = response.context["form"].non_field_errors()
    return error


@pytest.fixture
def request_reset(client, django_capture_on_commit_callbacks):
    def post(email):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(RESET_URL, {"email": email})

    return post


# --- Login --------------------------------------------------------------------------------------


def test_the_sixth_attempt_is_refused_unchecked_even_with_the_right_password(
    client, alice, audit_events
):
    with time_machine.travel(NOW, tick=False):
        fail(client, "alice@a.example", 5)
        with mock.patch(
            "django.contrib.auth.forms.authenticate", side_effect=AssertionError("checked")
        ) as authenticate:
            response = log_in(client, "alice@a.example")

    authenticate.assert_not_called()
    assert response.status_code == 429
    assert refusal_text(response) == (
        "Too many failed attempts for this login. Try again in 15 minutes, or reset your password."
    )
    assert response["Retry-After"] == str(15 * 60)
    assert "_auth_user_id" not in client.session
    assert audit_events(AuditAction.LOGIN) == []
    failures = sorted(audit_events(AuditAction.LOGIN_FAILED), key=lambda e: e.sequence)
    # The five checked failures, then the refusal, told apart for the security officer.
    assert [e.details.get("throttled", False) for e in failures] == [False] * 5 + [True]


def test_the_message_counts_the_minutes_left_in_the_window(client, alice):
    with time_machine.travel(NOW, tick=False) as traveller:
        fail(client, "alice@a.example", 5)
        traveller.shift(datetime.timedelta(minutes=10, seconds=30))

        response = log_in(client, "alice@a.example")

    assert response.status_code == 429
    assert "Try again in 5 minutes" in refusal_text(response)
    assert response["Retry-After"] == str(4 * 60 + 30)


def test_after_the_window_the_right_password_works_again(client, alice):
    with time_machine.travel(NOW, tick=False) as traveller:
        fail(client, "alice@a.example", 5)
        assert log_in(client, "alice@a.example").status_code == 429
        traveller.shift(datetime.timedelta(minutes=15))

        response = log_in(client, "alice@a.example")
        assert client.session["_auth_user_id"] == str(alice.pk)

    assert response.status_code == 302
    assert not LoginThrottle.objects.exists()  # the success deleted the counter


def test_a_success_resets_the_count(client, alice):
    fail(client, "alice@a.example", 4)
    assert log_in(client, "alice@a.example").status_code == 302
    client.logout()

    fail(client, "alice@a.example", 5)  # five more failures allowed: the count restarted

    assert log_in(client, "alice@a.example").status_code == 429


def test_an_unknown_email_is_throttled_exactly_like_a_known_one(client, alice):
    with time_machine.travel(NOW, tick=False):
        fail(client, "alice@a.example", 5)
        fail(client, "nobody@a.example", 5)

        known = log_in(client, "alice@a.example")
        unknown = log_in(client, "nobody@a.example")

    assert unknown.status_code == known.status_code == 429
    assert unknown["Retry-After"] == known["Retry-After"]
    assert refusal_text(unknown) == refusal_text(known)


def test_case_and_spaces_do_not_make_another_login(client, alice):
    fail(client, "alice@a.example", 3)
    fail(client, " ALICE@a.Example ", 2)

    assert log_in(client, "Alice@A.example").status_code == 429


def test_one_login_being_throttled_leaves_the_others_alone(client, alice, bob):
    fail(client, "alice@a.example", 5)

    assert log_in(client, "bob@a.example").status_code == 302


def test_an_attempt_without_a_password_is_not_counted(client, alice):
    for _ in range(6):
        client.post(LOGIN_URL, {"username": "alice@a.example", "password": ""})

    assert not LoginThrottle.objects.exists()
    assert log_in(client, "alice@a.example").status_code == 302


def test_a_completed_password_reset_lifts_the_login_throttle(
    client, alice, request_reset, mailoutbox
):
    fail(client, "alice@a.example", 5)
    request_reset("alice@a.example")
    link = re.search(r"https://\S+", mailoutbox[0].body).group(0)
    set_password_url = client.get(link)["Location"]
    new_password = "a-brand-new-passphrase-2026"

    client.post(set_password_url, {"new_password1": new_password, "new_password2": new_password})

    assert log_in(client, "alice@a.example", new_password).status_code == 302


# --- Password-reset mails -----------------------------------------------------------------------


def test_the_fourth_reset_request_in_an_hour_sends_no_mail_and_the_same_page(
    client, alice, request_reset, mailoutbox
):
    answers = [request_reset("alice@a.example") for _ in range(3)]
    assert len(mailoutbox) == 3

    fourth = request_reset("alice@a.example")

    assert len(mailoutbox) == 3
    assert (fourth.status_code, fourth["Location"]) == (
        302,
        reverse("accounts:password_reset_sent"),
    )
    assert {(a.status_code, a["Location"]) for a in answers} == {
        (fourth.status_code, fourth["Location"])
    }


def test_reset_mails_are_sent_again_after_the_hour(alice, request_reset, mailoutbox):
    with time_machine.travel(NOW, tick=False) as traveller:
        for _ in range(4):
            request_reset("ALICE@a.example")
        assert len(mailoutbox) == 3
        traveller.shift(datetime.timedelta(minutes=60))

        request_reset("alice@a.example")

    assert len(mailoutbox) == 4


def test_reset_requests_for_an_unknown_email_are_counted_too(db, request_reset):
    for _ in range(4):
        response = request_reset("nobody@a.example")

    assert response.status_code == 302
    row = LoginThrottle.objects.get()
    assert (row.scope, row.count) == (ThrottleScope.PASSWORD_RESET, 4)


def test_reset_requests_and_logins_have_separate_counters(client, alice, request_reset):
    for _ in range(4):
        request_reset("alice@a.example")

    assert log_in(client, "alice@a.example").status_code == 302


# --- Storage ------------------------------------------------------------------------------------


def test_no_row_stores_the_email_in_clear(client, alice, request_reset):
    fail(client, "Alice@A.example", 2)
    request_reset("alice@a.example")
    fail(client, "nobody@a.example", 1)

    rows = list(LoginThrottle.objects.all())
    assert len(rows) == 3
    for row in rows:
        assert re.fullmatch(r"[0-9a-f]{64}", row.key_hash)
        for column in LoginThrottle._meta.concrete_fields:
            stored = str(getattr(row, column.attname)).lower()
            for needle in ("alice", "nobody", "a.example"):
                assert needle not in stored, column.name


def test_the_key_is_a_keyed_hash_that_changes_with_the_secret_key(settings):
    key = throttle.throttle_key(ThrottleScope.LOGIN, "alice@a.example")
    assert key == throttle.throttle_key(ThrottleScope.LOGIN, " Alice@A.example ")
    assert key != throttle.throttle_key(ThrottleScope.PASSWORD_RESET, "alice@a.example")
    settings.SECRET_KEY = "another-secret-key-for-this-test-only"
    assert key != throttle.throttle_key(ThrottleScope.LOGIN, "alice@a.example")


def test_counting_an_attempt_is_a_single_statement(db):
    throttle.count_login_attempt("alice@a.example")  # the row exists: the UPDATE path

    with CaptureQueriesContext(connection) as queries:
        attempt = throttle.count_login_attempt("alice@a.example")

    assert attempt.allowed
    [query] = queries.captured_queries
    assert "ON CONFLICT" in query["sql"]
    assert LoginThrottle.objects.get().count == 2


def test_an_expired_row_restarts_its_window_when_touched(db):
    with time_machine.travel(NOW, tick=False) as traveller:
        for _ in range(7):
            throttle.count_login_attempt("alice@a.example")
        traveller.shift(datetime.timedelta(minutes=20))

        attempt = throttle.count_login_attempt("alice@a.example")

    assert attempt.allowed
    row = LoginThrottle.objects.get()
    assert (row.count, row.window_start) == (1, NOW + datetime.timedelta(minutes=20))


def test_the_purge_deletes_only_the_counters_whose_window_ended(db):
    with time_machine.travel(NOW, tick=False) as traveller:
        throttle.count_login_attempt("old-login@a.example")
        throttle.count_password_reset_request("old-reset@a.example")
        traveller.shift(datetime.timedelta(minutes=30))
        throttle.count_login_attempt("new-login@a.example")

        deleted = throttle.purge_expired_throttles()

    assert deleted == 1  # the 30-minute-old login counter; the reset one has an hour
    remaining = {row.key_hash for row in LoginThrottle.objects.all()}
    assert remaining == {
        throttle.throttle_key(ThrottleScope.PASSWORD_RESET, "old-reset@a.example"),
        throttle.throttle_key(ThrottleScope.LOGIN, "new-login@a.example"),
    }
    assert throttle.purge_expired_throttles(now=NOW + datetime.timedelta(hours=1)) == 2


def test_the_limits_come_from_the_settings(settings, client, alice):
    settings.GROVE_LOGIN_MAX_FAILURES = 2
    fail(client, "alice@a.example", 2)

    assert log_in(client, "alice@a.example").status_code == 429


# --- Concurrency (PostgreSQL) -------------------------------------------------------------------

THREADS = 6


def _run_concurrently(work) -> list:
    """Run ``work()`` in THREADS threads at once, each on its own connection; their results."""
    start = threading.Barrier(THREADS)
    results: list = []
    errors: list[BaseException] = []
    backends: set[int] = set()

    def run() -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                backends.add(cursor.fetchone()[0])
            start.wait(timeout=30)
            results.append(work())
        except BaseException as error:  # noqa: BLE001 -- reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert len(backends) == THREADS  # one connection each: real concurrency in the database
    return results


@pytest.mark.postgres
def test_concurrent_attempts_add_up_exactly(transactional_db):
    increments = 15

    def count_many() -> None:
        for _ in range(increments):
            with transaction.atomic():
                throttle.count_login_attempt("alice@a.example")
                time.sleep(0.002)  # hold the row lock: the others queue behind it

    _run_concurrently(count_many)

    assert LoginThrottle.objects.get().count == THREADS * increments


@pytest.mark.postgres
def test_concurrent_first_attempts_get_exactly_the_allowed_number_of_checks(transactional_db):
    def one_attempt() -> bool:
        with transaction.atomic():
            attempt = throttle.count_login_attempt("alice@a.example")
            time.sleep(0.05)  # as if checking the password, the row still locked
            return attempt.allowed

    allowed = _run_concurrently(one_attempt)

    assert sorted(allowed) == [False] + [True] * 5
    assert LoginThrottle.objects.get().count == THREADS


def test_the_window_start_is_aware_and_now(db):
    before = timezone.now()
    throttle.count_login_attempt("alice@a.example")

    window_start = LoginThrottle.objects.get().window_start
    assert before <= window_start <= timezone.now()
