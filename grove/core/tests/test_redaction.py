"""The shared redaction helpers behind the log formatters and the Sentry scrubber."""

import time

from grove.core.redaction import REDACTED, is_sensitive_key, redact, redact_text


def test_it_redacts_plain_and_url_encoded_addresses():
    text = "to alice@a.example, ALICE%40A.EXAMPLE and o.brien+tag@mail.sub-domain.example.co.uk."

    assert redact_text(text) == f"to {REDACTED}, {REDACTED} and {REDACTED}."


def test_it_leaves_text_without_addresses_alone():
    text = "user 7d0c2a3e-4f6b-4a51-9bb4-1c0f4e9f2d10 logged in @ 10:00 (100% done)"

    assert redact_text(text) == text


def test_it_takes_linear_time_on_long_words():
    # An unbounded pattern backtracks quadratically: seconds for a 200 kB line.
    started = time.monotonic()
    redact_text("a" * 200_000 + "@")
    redact_text(("b" * 70 + "@") * 3_000)
    assert time.monotonic() - started < 2


def test_sensitive_keys_are_whole_words():
    for key in [
        "email",
        "user_email",
        "userEmail",
        "first_name",
        "lastName",
        "HTTP_COOKIE",
        "X-CSRFToken",
        "csrfmiddlewaretoken",
        "sessionid",
        "session_key",
        "password",
        "ip_address",
        "Authorization",
    ]:
        assert is_sensitive_key(key), key
    for key in ["filename", "name", "runtime", "module", "keyword", "status_code", "tokens_used"]:
        assert not is_sensitive_key(key), key


def test_it_redacts_nested_values_and_converts_other_objects():
    class Person:
        def __str__(self):
            return "Person(dan@c.example)"

    value = {"ids": (1, "x@y.example"), "password": "hunter2", "who": Person(), "n": None}

    assert redact(value) == {
        "ids": [1, REDACTED],
        "password": REDACTED,
        "who": f"Person({REDACTED})",
        "n": None,
    }
