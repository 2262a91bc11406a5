"""The mails of the request workflow: to the person at each step, to staff for reminders and
approvals. Built inside the action (in the recipient's language), sent after the commit.

The person's mails go to their business email and only there. Staff mails name the
organization, the type and the dates, never the person: the console shows who, to those
entitled to see it.
"""

from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _

from .models import DataSubjectRequest

logger = logging.getLogger(__name__)

# The person's mails, by step: the subject line (rendered in their language) and the body's
# template under grove/templates/rights/mail/.
PERSON_SUBJECTS = {
    "filed": lambda: _("We received your data request"),
    "merged": lambda: _("Your data request is already open"),
    "code": lambda: _("Your verification code for your data request"),
    "identity_verified": lambda: _("Your identity is confirmed for your data request"),
    "started": lambda: _("Your data request is being handled"),
    "extended": lambda: _("Your data request: more time is needed"),
    "approval_asked": lambda: _("Your data request is with our security officer"),
    "approved": lambda: _("Your erasure request is approved"),
    "continued": lambda: _("Your data request is being handled"),
    "refused": lambda: _("Your data request is refused"),
    "fulfilled_export": lambda: _("Your data is ready to download"),
    "fulfilled_rectification": lambda: _("Your details are corrected"),
    "fulfilled_erasure": lambda: _("Your data is erased"),
    "fulfilled": lambda: _("Your data request is closed"),
}
STAFF_SUBJECTS = {
    "reminder": lambda: _("A data request is due soon"),
    "approval_needed": lambda: _("A data request awaits your decision"),
}


def language_of(user) -> str:
    return getattr(user, "language", "") or settings.LANGUAGE_CODE


def person_mail(*, kind: str, dsr: DataSubjectRequest, person, **extra) -> EmailMultiAlternatives:
    """The mail of step ``kind`` to the person the request is about, in their language."""
    with translation.override(language_of(person)):
        context = {
            **_common_context(dsr),
            "first_name": person.first_name,
            **extra,
        }
        subject = str(PERSON_SUBJECTS[kind]())
        body = render_to_string(f"rights/mail/{kind}.txt", context)
    return EmailMultiAlternatives(subject=subject, body=body, to=[person.email])


def staff_mail(
    *, kind: str, dsr: DataSubjectRequest, recipient, organization_name: str
) -> EmailMultiAlternatives:
    """A mail to a CSM or security officer about a request (never naming the person)."""
    with translation.override(language_of(recipient)):
        context = {
            **_common_context(dsr),
            "first_name": recipient.first_name,
            "organization_name": organization_name,
            "console_url": console_url(dsr),
        }
        subject = str(STAFF_SUBJECTS[kind]())
        body = render_to_string(f"rights/mail/{kind}.txt", context)
    return EmailMultiAlternatives(subject=subject, body=body, to=[recipient.email])


def console_url(dsr: DataSubjectRequest) -> str:
    """The request's page in the operator console (the console's list if it has no page)."""
    for name, args in (("rights:console_detail", [dsr.pk]), ("rights:console", [])):
        try:
            return settings.GROVE_BASE_URL + reverse(name, args=args)
        except NoReverseMatch:
            continue
    return settings.GROVE_BASE_URL + "/rights/"


def send_after_commit(messages: list[EmailMultiAlternatives], *, dsr_id: uuid.UUID) -> None:
    """Send ``messages`` once the current transaction commits (not at all if it rolls back)."""
    if messages:
        transaction.on_commit(lambda: send_now(messages, dsr_id=dsr_id))


def send_now(messages: list[EmailMultiAlternatives], *, dsr_id: uuid.UUID) -> None:
    for message in messages:
        try:
            message.send()
        except Exception as error:  # any transport error; logged by type, never its text
            logger.error("data request %s: mail not sent: %s", dsr_id, type(error).__name__)


def _common_context(dsr: DataSubjectRequest) -> dict:
    return {
        "dsr": dsr,
        "request_type": dsr.get_request_type_display(),
        "state": dsr.get_state_display(),
        "operator_name": settings.GROVE_OPERATOR_NAME,
        "privacy_contact": settings.GROVE_PRIVACY_CONTACT,
        "base_url": settings.GROVE_BASE_URL,
    }
