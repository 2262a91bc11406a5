"""The export link: the GET page spends nothing, the POST streams the ZIP once; a used,
expired or unknown link is a 404 page that says so (and is recorded)."""

from __future__ import annotations

import datetime
import io
import zipfile

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from grove.audit.models import AuditAction
from grove.rights.export import export_create
from grove.rights.models import PersonalDataExport

from .test_views_fixtures import *  # noqa: F403 -- the shared fixtures
from .test_views_fixtures import rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(alice, assigned_csm):
    _export, token = export_create(actor=assigned_csm, subject=alice)
    return token


def _zip(response) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_the_link_page_shows_a_button_and_spends_nothing(client, token):
    url = reverse("rights:export_download", args=[token])
    page = client.get(url)
    assert page.status_code == 200
    assert "Download the ZIP file" in page.content.decode()
    assert page["Cache-Control"].startswith("max-age=0") or "no-cache" in page["Cache-Control"]
    [export] = rows(PersonalDataExport)
    assert export.downloaded_at is None


def test_the_post_streams_the_zip_once(client, token, alice, events):
    url = reverse("rights:export_download", args=[token])
    response = client.post(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "grove-personal-data-" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    archive = _zip(response)
    assert "data.json" in archive.namelist()
    assert b"alice@a.example" in archive.read("data.json")
    [export] = rows(PersonalDataExport)
    assert export.downloaded_at is not None
    again = client.post(url)
    assert again.status_code == 404
    assert "This link no longer works" in again.content.decode()
    assert events(AuditAction.ACCESS_DENIED)


def test_an_unknown_link_is_the_same_404(client, token):
    response = client.post(reverse("rights:export_download", args=["not-a-real-token"]))
    assert response.status_code == 404
    assert "This link no longer works" in response.content.decode()
    assert rows(PersonalDataExport)[0].downloaded_at is None


def test_an_expired_link_is_refused(client, token, settings):
    later = timezone.now() + datetime.timedelta(days=settings.GROVE_DSR_EXPORT_DAYS, hours=1)
    with time_machine.travel(later):
        response = client.post(reverse("rights:export_download", args=[token]))
    assert response.status_code == 404
    assert rows(PersonalDataExport)[0].downloaded_at is None


def test_the_persons_request_page_tells_the_links_state(client, alice, assigned_csm, make_request):
    dsr = make_request(alice, "access", state="fulfilled", closed_at=timezone.now())
    _export, token = export_create(actor=assigned_csm, subject=alice, dsr=dsr)
    client.force_login(alice)
    url = reverse("rights:my_request", args=[dsr.pk])
    assert "It works once, until" in client.get(url).content.decode()
    assert token not in client.get(url).content.decode()
    client.post(reverse("rights:export_download", args=[token]))
    assert "Downloaded on" in client.get(url).content.decode()
