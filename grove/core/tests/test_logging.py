"""Log lines: JSON in production, with the request id, and never an email address."""

import copy
import io
import json
import logging
import logging.config
from typing import Any, cast

import pytest
from django.conf import settings

from grove.core.logging import JsonFormatter, RedactPersonalDataFilter, TextFormatter
from grove.core.redaction import REDACTED
from grove.tenancy.context import unscoped


def _console_handler() -> logging.StreamHandler:
    return next(
        h
        for h in logging.getLogger().handlers
        if isinstance(h, logging.StreamHandler)
        and isinstance(h.formatter, JsonFormatter | TextFormatter)
    )


@pytest.fixture
def log_output():
    """The project's LOGGING, in its production (JSON) format, written to a string."""

    def configure(log_format: str) -> io.StringIO:
        stream = io.StringIO()
        config = cast(dict[str, Any], copy.deepcopy(settings.LOGGING))  # a dict in settings.py
        config["handlers"]["console"]["formatter"] = log_format
        config["handlers"]["console"]["stream"] = stream
        logging.config.dictConfig(config)
        return stream

    original_stream = _console_handler().stream
    yield configure
    config = copy.deepcopy(settings.LOGGING)
    config["handlers"]["console"]["stream"] = original_stream
    logging.config.dictConfig(config)


def _json_lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.mark.urls("grove.core.tests.urls_careless")
def test_a_requests_log_lines_are_json_with_request_id_and_no_email(client, alice, log_output):
    with unscoped("test: log Alice in"):
        client.force_login(alice)
    output = log_output("json")

    response = client.get("/log/", secure=True)

    assert response.status_code == 200
    lines = [r for r in _json_lines(output) if r["logger"] == "grove.tests.careless"]
    assert [r["level"] for r in lines] == ["WARNING", "ERROR"]
    assert {r["request_id"] for r in lines} == {response["X-Request-ID"]}
    warning, error = lines
    assert warning["message"] == f"profile of {REDACTED} updated"
    assert warning["contact"] == REDACTED  # extra= values
    assert warning["ids"] == [REDACTED, 1]
    assert error["message"] == "notification failed"
    assert f"ValueError: cannot notify {REDACTED}" in error["exc_info"]  # the traceback
    assert "time" in warning
    assert alice.email not in output.getvalue()


def test_json_lines_stay_valid_json_around_redactions(log_output):
    output = log_output("json")
    logger = logging.getLogger("grove.tests.careless")

    logger.warning('quote " backslash \\ newline\nalice@a.example, josé@exämple.fr')
    logger.warning("data", extra={"nested": {"to": ("bob@a.example",)}, "first_name": "Bob"})

    first, second = _json_lines(output)
    assert first["message"] == f'quote " backslash \\ newline\n{REDACTED}, {REDACTED}'
    assert first["request_id"] == "-"  # outside a request
    assert second["nested"] == {"to": [REDACTED]}
    assert second["first_name"] == REDACTED


def test_request_lines_lose_their_query_string(log_output):
    output = log_output("json")

    logging.getLogger("django.server").warning(
        '"%s" %s %s', "GET /search/?email=alice%40a.example&q=Anders HTTP/1.1", "404", "179"
    )

    (line,) = _json_lines(output)
    assert line["message"] == f'"GET /search/?{REDACTED} HTTP/1.1" 404 179'


def test_djangos_own_unredacted_handlers_are_gone():
    for name in ["django", "django.server", "django.request"]:
        assert logging.getLogger(name).handlers == [], name
    assert logging.getLogger("django.server").propagate


def test_django_request_errors_keep_the_request_object_out(log_output):
    output = log_output("json")

    class FakeRequest:
        def __str__(self):
            return "<WSGIRequest: GET '/p/?email=alice@a.example'>"

    logging.getLogger("django.request").error(
        "Internal Server Error: %s", "/p/", extra={"status_code": 500, "request": FakeRequest()}
    )

    (line,) = _json_lines(output)
    assert line["message"] == "Internal Server Error: /p/"
    assert line["status_code"] == 500
    assert line["request"] is None
    assert "alice" not in output.getvalue()


def test_text_lines_are_redacted_tracebacks_included(log_output):
    output = log_output("text")
    logger = logging.getLogger("grove.tests.careless")

    try:
        raise ValueError("cannot notify alice@a.example")
    except ValueError:
        logger.exception("failed for %s", "bob@a.example")

    text = output.getvalue()
    assert f"failed for {REDACTED}" in text
    assert f"ValueError: cannot notify {REDACTED}" in text
    assert "@a.example" not in text


def test_the_filter_alone_redacts_message_and_extras():
    record = logging.LogRecord(
        "grove", logging.INFO, __file__, 1, "invite %s", ("carol@b.example",), None
    )
    record.invitee = "carol@b.example"
    record.count = 3

    assert RedactPersonalDataFilter().filter(record) is True

    assert record.getMessage() == f"invite {REDACTED}"
    assert record.invitee == REDACTED
    assert record.count == 3


def test_the_filter_never_raises_on_a_malformed_call():
    record = logging.LogRecord("grove", logging.INFO, __file__, 1, "%s and %s", ("one",), None)

    assert RedactPersonalDataFilter().filter(record) is True


def test_production_logs_are_json_by_default():
    # The suite runs with DEBUG=0, as production does.
    assert settings.LOG_FORMAT == "json"
    assert settings.LOGGING["handlers"]["console"]["formatter"] == "json"
    assert isinstance(_console_handler().formatter, JsonFormatter)
