# ruff: noqa: F811 -- the fixtures imported from test_actions are used as arguments
"""The workflow's mails: in the person's language, after the commit only, a failed send
logged without its text, every step's template complete."""

from __future__ import annotations

import datetime
import logging

import pytest
import time_machine
from django.core import mail
from django.db import transaction

from grove.accounts.models import User
from grove.rights import mails
from grove.rights.actions import request_file, request_start
from grove.rights.models import Channel, RefusalGround, RequestState, RequestType
from grove.rights.tests.test_actions import (  # noqa: F401 -- fixtures
    assigned_csm,
    audit_events,
    make_request,
    reload,
    run,
    steps,
)
from grove.tenancy.context import unscoped

S = RequestState
MARCH = datetime.datetime(2027, 2, 10, 9, 0, tzinfo=datetime.UTC)  # due 10 March


def _speaks(user, language: str) -> None:
    with unscoped("test set-up"):
        User.objects.filter(pk=user.pk).update(language=language)
    user.language = language


def test_the_person_is_mailed_in_their_language(alice, run):
    _speaks(alice, "fr")
    with time_machine.travel(MARCH, tick=False):
        run(
            request_file,
            actor=alice,
            subject=alice,
            request_type=RequestType.ACCESS,
            channel=Channel.PROFILE,
        )
    [notice] = mail.outbox
    assert notice.body.startswith("Bonjour Alice,")
    assert "10 mars 2027" in notice.body


def test_without_a_chosen_language_the_mail_is_in_the_default_one(alice, run, settings):
    with time_machine.travel(MARCH, tick=False):
        run(
            request_file,
            actor=alice,
            subject=alice,
            request_type=RequestType.ACCESS,
            channel=Channel.PROFILE,
        )
    [notice] = mail.outbox
    assert notice.body.startswith("Hello Alice,")
    assert "March 10, 2027" in notice.body


def test_the_staff_member_acting_does_not_change_the_persons_language(
    alice, assigned_csm, make_request, run
):
    _speaks(alice, "fr")
    _speaks(assigned_csm, "en")
    dsr = make_request(S.IDENTITY_VERIFIED)
    run(request_start, actor=assigned_csm, dsr=dsr)
    assert mail.outbox[0].body.startswith("Bonjour Alice,")


def test_no_mail_leaves_when_the_step_rolls_back(alice, assigned_csm):
    with transaction.atomic():
        request_file(
            actor=assigned_csm, subject=alice, request_type=RequestType.ACCESS, channel=Channel.MAIL
        )
        transaction.set_rollback(True)
    assert mail.outbox == []


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_persons_mail_renders_whole(language, alice, make_request):
    _speaks(alice, language)
    dsr = make_request(S.REFUSED, refusal_ground=RefusalGround.LEGAL_HOLD)
    extra = {
        "code": "012345",
        "minutes": 10,
        "reason": "A reason",
        "ground": RefusalGround.LEGAL_HOLD.label,
        "details": "Some details",
        "authority_name": "the CNIL",
        "authority_url": "https://www.cnil.fr/fr/plaintes",
        "link": "https://grove.example/rights/exports/token/",
        "expires_at": dsr.due_at,
        "fields": ["First name"],
    }
    for kind in sorted(mails.PERSON_SUBJECTS):
        message = mails.person_mail(kind=kind, dsr=dsr, person=alice, **extra)
        assert message.to == ["alice@a.example"], kind
        assert message.subject.strip(), kind
        assert "Alice," in message.body.splitlines()[0], kind
        assert "{{" not in message.body and "{%" not in message.body, kind
        assert "privacy@grove.example" in message.body, kind


def test_the_refusal_mail_states_the_ground_details_and_the_right_to_complain(alice, make_request):
    dsr = make_request(S.REFUSED, refusal_ground=RefusalGround.LEGAL_CLAIMS)
    body = mails.person_mail(
        kind="refused",
        dsr=dsr,
        person=alice,
        ground=RefusalGround.LEGAL_CLAIMS.label,
        details="Needed for the ongoing case 2027-14.",
        authority_name="the CNIL",
        authority_url="https://www.cnil.fr/fr/plaintes",
    ).body
    assert "Needed to establish, exercise or defend legal claims" in body
    assert "Needed for the ongoing case 2027-14." in body
    assert "supervisory authority" in body and "the CNIL" in body
    assert "Article 12(4)" in body


def test_a_failed_send_is_logged_by_type_only(alice, make_request, caplog, settings):
    settings.EMAIL_BACKEND = "grove.rights.tests.test_mails.BrokenBackend"
    dsr = make_request(S.IN_PROGRESS)
    message = mails.person_mail(kind="started", dsr=dsr, person=alice)
    with caplog.at_level(logging.ERROR, logger="grove.rights.mails"):
        mails.send_now([message], dsr_id=dsr.pk)
    [record] = caplog.records
    assert record.getMessage() == f"data request {dsr.pk}: mail not sent: ConnectionRefusedError"
    assert "alice" not in caplog.text.lower()


class BrokenBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("smtp refused alice@a.example")
