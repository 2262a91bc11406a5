"""/subprocessors, /subprocessors.json, /subprocessors.atom: public, from the registry only."""

from __future__ import annotations

import datetime
import json
import xml.etree.ElementTree as ET

import pytest
import time_machine
from django.test import override_settings
from django.utils import timezone

from grove.privacy.datamap import Category
from grove.subprocessors.models import (
    ChangeStatus,
    NoticeDelivery,
    ObjectionStatus,
    Subprocessor,
    SubprocessorStatus,
)
from grove.tenancy.context import tenant_context

from .test_policy_support import announce_addition, clear_registry, make_subprocessor, retire

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
NOW = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def registry(csm, security_manager):
    """Two active subprocessors, one retired 10 days ago, one announced addition."""
    clear_registry()
    make_subprocessor(
        "hoster",
        "Hoster",
        categories=(Category.SESSION_COOKIE, Category.BUSINESS_EMAIL),
        locations=({"name": "Ireland", "region": "North Europe"},),
        recorded_at=NOW - datetime.timedelta(days=300),
    )
    make_subprocessor(
        "errors",
        "Error Catcher",
        categories=(Category.FUNCTIONAL_LOG,),
        locations=({"name": "United States"},),
        safeguards="Standard Contractual Clauses (2021/914).",
        recorded_at=NOW - datetime.timedelta(days=200),
    )
    old = make_subprocessor("oldmail", "Old Mail", recorded_at=NOW - datetime.timedelta(days=400))
    removal = retire(
        old, by=csm, decided_by=security_manager, when=NOW - datetime.timedelta(days=10)
    )
    addition = announce_addition(
        "newmail",
        "New Mail",
        by=csm,
        decided_by=security_manager,
        announced_at=NOW - datetime.timedelta(days=2),
        effective_on=datetime.date(2026, 12, 20),
        summary="New Mail replaces Old Mail for transactional mail.",
        implications="Business emails and names go to New Mail (France).",
    )
    return {"removal": removal, "addition": addition}


@time_machine.travel(NOW, tick=False)
def test_the_page_lists_active_subprocessors_and_announced_changes(client, registry):
    response = client.get("/subprocessors")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-subprocessor="') == 2
    assert 'id="sp-errors"' in html and 'id="sp-hoster"' in html
    assert "Standard Contractual Clauses (2021/914)." in html
    # The announced addition, with its dates and its text.
    addition = registry["addition"]
    assert f'id="change-{addition.pk}"' in html
    assert "New Mail replaces Old Mail for transactional mail." in html
    assert 'datetime="2026-12-20"' in html and 'datetime="2026-11-18"' in html
    # The removal that took effect 10 days ago is listed as recent; Old Mail is not in use.
    assert f'id="change-{registry["removal"].pk}"' in html
    assert 'data-subprocessor="oldmail"' not in html
    assert "public" in response["Cache-Control"]


@time_machine.travel(NOW, tick=False)
def test_a_removal_older_than_the_recent_window_leaves_the_page(client, registry):
    with time_machine.travel(NOW + datetime.timedelta(days=95), tick=False):
        html = client.get("/subprocessors").content.decode()
    assert f'id="change-{registry["removal"].pk}"' not in html


@time_machine.travel(NOW, tick=False)
def test_the_json_lists_the_same_facts(client, registry):
    response = client.get("/subprocessors.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = json.loads(response.content)
    assert [s["slug"] for s in data["subprocessors"]] == ["errors", "hoster"]
    hoster = data["subprocessors"][1]
    assert hoster["data_categories"] == [
        {"code": "contact.business_email", "label": "Business email"},
        {"code": "session.cookie", "label": "Session cookie"},
    ]
    assert hoster["locations"] == ["Ireland, North Europe"]
    assert hoster["version"] == 1
    [announced] = data["announced_changes"]
    assert announced == {
        "id": str(registry["addition"].pk),
        "kind": "add",
        "kind_label": "Addition",
        "status": ChangeStatus.APPROVED,
        "subprocessor": {"slug": "newmail", "name": "New Mail"},
        "summary": "New Mail replaces Old Mail for transactional mail.",
        "implications": "Business emails and names go to New Mail (France).",
        "announced_at": "2026-11-18T09:00:00+00:00",
        "effective_on": "2026-12-20",
    }
    [recent] = data["recently_effective_changes"]
    assert recent["kind"] == "remove" and recent["subprocessor"]["slug"] == "oldmail"
    assert data["notice_days"] == 30
    assert "public" in response["Cache-Control"]


@time_machine.travel(NOW, tick=False)
@override_settings(GROVE_BASE_URL="https://grove.example")
def test_the_atom_feed_has_the_history_and_the_announced_changes(client, registry):
    response = client.get("/subprocessors.atom")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)  # noqa: S314 -- our own feed, not untrusted input
    assert feed.tag == f"{ATOM}feed"
    assert feed.find(f"{ATOM}id").text == "https://grove.example/subprocessors"
    entries = {
        e.find(f"{ATOM}id").text: (e.find(f"{ATOM}title").text, e.find(f"{ATOM}updated").text)
        for e in feed.findall(f"{ATOM}entry")
    }
    base = "https://grove.example/subprocessors#"
    addition = registry["addition"]
    assert entries == {
        f"{base}change-{addition.pk}": (
            "Announced: addition of New Mail, effective Dec. 20, 2026",
            "2026-11-18T09:00:00+00:00",
        ),
        f"{base}oldmail-v2": ("Old Mail: retired (version 2)", "2026-11-10T09:00:00+00:00"),
        f"{base}errors-v1": ("Error Catcher: listed (version 1)", "2026-05-04T09:00:00+00:00"),
        f"{base}hoster-v1": ("Hoster: listed (version 1)", "2026-01-24T09:00:00+00:00"),
    }
    # The retired subprocessor's first listing (400 days ago) is no longer published.
    assert f"{base}oldmail-v1" not in entries
    assert "public" in response["Cache-Control"]


@time_machine.travel(NOW, tick=False)
def test_nothing_tenant_specific_reaches_the_public_pages(client, registry, org_a, bob):
    with tenant_context(org_a):
        NoticeDelivery.objects.create(
            organization=org_a,
            notice=registry["addition"].notice,
            sent_at=timezone.now(),
            objection_status=ObjectionStatus.OPEN,
            objected_at=timezone.now(),
            objected_by=bob,
            objection="Organization A objects: our works council must be consulted.",
        )
    for url in ("/subprocessors", "/subprocessors.json", "/subprocessors.atom", "/privacy"):
        body = client.get(url).content.decode()
        assert "works council" not in body, url
        assert "Organization A" not in body, url
        assert bob.email not in body, url


def test_the_public_pages_need_no_login_and_only_answer_reads(client):
    for url in ("/subprocessors", "/subprocessors.json", "/subprocessors.atom"):
        assert client.get(url).status_code == 200, url
        assert client.post(url).status_code == 405, url


def test_a_retired_subprocessor_leaves_the_json(client, csm, security_manager):
    clear_registry()
    make_subprocessor("a", "A Corp")
    make_subprocessor("b", "B Corp", status=SubprocessorStatus.PROPOSED)
    assert [s["slug"] for s in client.get("/subprocessors.json").json()["subprocessors"]] == ["a"]
    retire(Subprocessor.objects.get(slug="a"), by=csm, decided_by=security_manager)
    assert client.get("/subprocessors.json").json()["subprocessors"] == []


def test_a_subprocessor_not_in_use_yet_is_not_in_the_feed(client):
    clear_registry()
    make_subprocessor("inuse", "In Use")
    make_subprocessor("soon", "Soon", status=SubprocessorStatus.APPROVED)
    make_subprocessor("maybe", "Maybe", status=SubprocessorStatus.PROPOSED)
    feed = ET.fromstring(client.get("/subprocessors.atom").content)  # noqa: S314 -- our own feed
    ids = [e.find(f"{ATOM}id").text for e in feed.findall(f"{ATOM}entry")]
    assert [i.rsplit("#", 1)[1] for i in ids] == ["inuse-v1"]


def test_the_feed_summary_is_the_registry_s_text_escaped(client):
    clear_registry()
    make_subprocessor("tags", "Tags Inc", purpose='Sends <b>mail</b> & "digests".\nSecond line.')
    feed = ET.fromstring(client.get("/subprocessors.atom").content)  # noqa: S314 -- our own feed
    summary = feed.find(f"{ATOM}entry").find(f"{ATOM}summary")
    assert summary.get("type") == "html"
    assert (
        "Sends &lt;b&gt;mail&lt;/b&gt; &amp; &quot;digests&quot;.<br>Second line." in summary.text
    )


def test_the_pages_follow_the_language_and_say_so_to_caches(client, alice):
    response = client.get("/subprocessors.json", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.json()["language"] == "fr"
    assert "Accept-Language" in response["Vary"]
    feed = ET.fromstring(  # noqa: S314 -- our own feed
        client.get("/subprocessors.atom", HTTP_ACCEPT_LANGUAGE="fr").content
    )
    assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == "fr"
    assert 'lang="fr"' in client.get("/subprocessors", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    client.force_login(alice)
    response = client.get("/subprocessors")
    assert "private" in response["Cache-Control"] and "public" not in response["Cache-Control"]
