"""Test-only URLconf: views that make the mistakes the conventions forbid (personal data in an
exception message, in local variables and in log lines), to prove that Sentry and the logs
still receive none of it."""

import logging

from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.urls import path

logger = logging.getLogger("grove.tests.careless")


class ProfileLookupError(Exception):
    pass


def form(request):
    get_token(request)  # sets the csrftoken cookie, as any page with a form does
    return HttpResponse("form")


def crash(request):
    email = request.user.email
    first_name = request.user.first_name
    last_name = request.user.last_name
    logger.info("looking up the profile of %s", email, extra={"first_name": first_name})
    raise ProfileLookupError(f"no profile for {email} ({len(first_name + last_name)} chars)")


def log_lines(request):
    email = request.user.email
    logger.warning("profile of %s updated", email, extra={"contact": email, "ids": [email, 1]})
    try:
        raise ValueError(f"cannot notify {email}")
    except ValueError:
        logger.exception("notification failed")
    return HttpResponse("logged")


urlpatterns = [
    path("form/", form),
    path("crash/", crash),
    path("log/", log_lines),
]
