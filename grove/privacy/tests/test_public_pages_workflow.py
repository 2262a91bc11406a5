"""The public pages through the registry's real workflow: propose, approve (a notice), take effect.

A change approved by the security manager is announced on /subprocessors (not yet on /privacy's
list of subprocessors in use); on its effective date it moves to /privacy, the JSON and the feed;
a removal takes it off again.
"""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.conf import settings

from grove.privacy.datamap import Category
from grove.subprocessors import actions
from grove.subprocessors.models import Subprocessor

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 11, 2, 8, 0, tzinfo=datetime.UTC)


def _in_use(client, url="/privacy") -> set[str]:
    return set(re.findall(r'data-subprocessor="([^"]*)"', client.get(url).content.decode()))


def test_an_approved_addition_is_announced_then_listed_then_removed(
    client, csm, security_manager, org_a
):
    seeded = _in_use(client)
    with time_machine.travel(START, tick=False):
        change = actions.change_propose(
            actor=csm,
            kind="add",
            impact="Business emails and names go to Postbox.",
            proposed={
                "name": "Postbox",
                "service": "Transactional mail",
                "purpose": "Sends the service's mail.",
                "data_categories": [Category.BUSINESS_EMAIL, Category.NAME],
                "data_subjects": "Client users",
                "locations": [{"name": "France", "region": "Paris"}],
                "transfer_safeguards": "EU only.",
            },
        )
        actions.change_approve(
            actor=security_manager,
            change=change,
            summary="Postbox will send our transactional mail.",
            implications="Your people's business emails and names go to Postbox (France).",
        )
        html = client.get("/subprocessors").content.decode()
        assert f'id="change-{change.pk}"' in html
        assert "Postbox will send our transactional mail." in html
        effective = START.date() + datetime.timedelta(days=settings.GROVE_SUBPROCESSOR_NOTICE_DAYS)
        assert f'datetime="{effective.isoformat()}"' in html
        assert _in_use(client) == seeded  # announced, not in use yet
        assert (
            "Postbox will send our transactional mail." in client.get("/privacy").content.decode()
        )
        feed = client.get("/subprocessors.atom").content.decode()
        assert f"#change-{change.pk}</id>" in feed

    later = START + datetime.timedelta(days=settings.GROVE_SUBPROCESSOR_NOTICE_DAYS)
    with time_machine.travel(later, tick=False):
        assert actions.changes_apply_due(now=later) == [change.pk]
        postbox = Subprocessor.objects.get(name="Postbox")
        assert _in_use(client) == seeded | {postbox.slug}
        assert postbox.slug in [
            s["slug"] for s in client.get("/subprocessors.json").json()["subprocessors"]
        ]
        feed = client.get("/subprocessors.atom").content.decode()
        assert f"#{postbox.slug}-v{postbox.version}</id>" in feed

        removal = actions.change_propose(
            actor=csm, kind="remove", subprocessor=postbox, impact="No more mail through Postbox."
        )
        actions.change_approve(
            actor=security_manager,
            change=removal,
            summary="Postbox stops sending our mail.",
            implications="No data goes to Postbox any more.",
        )

    gone = later + datetime.timedelta(days=settings.GROVE_SUBPROCESSOR_NOTICE_DAYS)
    with time_machine.travel(gone, tick=False):
        actions.changes_apply_due(now=gone)
        assert _in_use(client) == seeded
        html = client.get("/subprocessors").content.decode()
        assert f'id="change-{removal.pk}"' in html  # recently in effect
