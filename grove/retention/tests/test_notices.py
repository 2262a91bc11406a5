"""The notices to an ended organization's managers: contract end, purge warning, certificate."""

from __future__ import annotations

import datetime
import io
import re
import zipfile

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend

from grove.accounts.models import OrgRole
from grove.audit.models import AuditAction, AuditEvent
from grove.core.testing.factories import UserFactory
from grove.retention import notices
from grove.retention.models import (
    CertificateStatus,
    DeletionCertificate,
    OrganizationExport,
    PurgeKind,
)
from grove.retention.org_export import build_organization_export, export_for
from grove.tenancy.context import unscoped
from grove.tenancy.models import Organization

END = datetime.date(2027, 3, 31)
NOW = datetime.datetime(2027, 4, 1, 3, tzinfo=datetime.UTC)


class BrokenBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise ConnectionRefusedError("smtp down for bob@a.example")


@pytest.fixture
def ended(org_a, bob):
    """Organization A, ended on END (its contract's last day), its export ready."""
    with unscoped("test set-up"):
        Organization.objects.filter(pk=org_a.pk).update(
            contract_end=END, status=Organization.Status.ENDED, ended_at=NOW
        )
        org_a.refresh_from_db()
    with time_machine.travel(NOW, tick=False):
        build_organization_export(export_for(org_a).pk)
    return org_a


@pytest.fixture
def french_manager(ended):
    return UserFactory(
        email="fanny@a.example",
        first_name="Fanny",
        organization=ended,
        org_role=OrgRole.MANAGER,
        language="fr",
    )


def events(action: str) -> list[AuditEvent]:
    with unscoped("test"):
        return list(AuditEvent.objects.filter(action=action))


def test_the_end_notice_goes_to_each_active_manager_in_their_language(
    ended, bob, alice, french_manager
):
    UserFactory(organization=ended, org_role=OrgRole.MANAGER, is_active=False)
    with time_machine.travel(NOW, tick=False):
        assert notices.send_contract_end_notice(ended) == 2
    by_address = {m.to[0]: m for m in mail.outbox}
    assert set(by_address) == {bob.email, french_manager.email}  # no member, no former manager
    english, french = by_address[bob.email], by_address[french_manager.email]
    assert "Hello Bob," in english.body
    assert "March 31, 2027" in english.body  # the contract's last day, in English
    assert "April 30, 2027" in english.body  # the data purge date (30 days of grace)
    assert "31 mars 2027" in french.body  # the same, French format
    assert english.alternatives[0].mimetype == "text/html"
    assert "<a href=" in english.alternatives[0].content
    with unscoped("test"):
        assert Organization.objects.get(pk=ended.pk).end_notice_sent_at == NOW
    (event,) = events(AuditAction.RETENTION_NOTICE_SENT)
    assert event.organization_id is None  # the operator chain outlives the organization's
    assert event.object_ids == [str(ended.pk)]
    assert event.details["notice"] == "contract_end"
    assert event.details["recipients"] == 2
    assert "@" not in str(event.details)


def test_the_link_in_the_notice_downloads_the_export(ended, bob, client):
    with time_machine.travel(NOW, tick=False):
        notices.send_contract_end_notice(ended)
        link = re.search(r"https?://\S+/retention/export/\S+/", mail.outbox[0].body).group(0)
        path = link.split("://", 1)[1].split("/", 1)[1]
        page = client.get("/" + path)
        assert page.status_code == 200
        download = client.post("/" + path)
    assert download.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    assert archive.namelist()


def test_a_notice_is_sent_once(ended, bob):
    with time_machine.travel(NOW, tick=False):
        notices.send_contract_end_notice(ended)
        assert notices.send_contract_end_notice(ended) == 0
    assert len(mail.outbox) == 1


def test_a_failed_mail_records_nothing_and_says_no_address(ended, bob, settings):
    settings.EMAIL_BACKEND = f"{__name__}.BrokenBackend"
    with pytest.raises(notices.NoticeNotSent) as failure:
        notices.send_contract_end_notice(ended)
    assert "@" not in str(failure.value)
    assert "ConnectionRefusedError" in str(failure.value)
    with unscoped("test"):
        assert Organization.objects.get(pk=ended.pk).end_notice_sent_at is None
    assert events(AuditAction.RETENTION_NOTICE_SENT) == []


def test_no_notice_without_a_ready_export(org_a, bob):
    with unscoped("test set-up"):
        Organization.objects.filter(pk=org_a.pk).update(status=Organization.Status.ENDED)
        OrganizationExport.objects.all().delete()
    with pytest.raises(notices.NoticeNotSent):
        notices.send_contract_end_notice(org_a)
    assert mail.outbox == []


def test_the_purge_warning_names_the_purge_date(ended, bob):
    with unscoped("test set-up"):
        Organization.objects.filter(pk=ended.pk).update(end_notice_sent_at=NOW)
        ended.refresh_from_db()
    later = NOW + datetime.timedelta(days=22)
    with time_machine.travel(later, tick=False):
        assert notices.send_purge_warning(ended) == 1
    (message,) = mail.outbox
    assert "April 30, 2027" in message.body
    assert "/retention/export/" in message.body
    with unscoped("test"):
        assert Organization.objects.get(pk=ended.pk).purge_warning_sent_at == later
    (event,) = events(AuditAction.RETENTION_NOTICE_SENT)
    assert event.details["notice"] == "purge_warning"


def test_the_certificate_mail_has_the_counts_and_no_link(ended, bob, french_manager):
    with unscoped("test set-up"):
        certificate = DeletionCertificate.objects.create(
            organization=ended,
            kind=PurgeKind.ORGANIZATION_DATA,
            status=CertificateStatus.RUNNING,
            rule="contract_end+30d",
            due_on=END + datetime.timedelta(days=30),
            run_by="scheduler",
            total_rows=42,
            files_deleted=3,
            progress={
                "entries": {
                    "practices.Practice:deleted": {
                        "model": "practices.Practice",
                        "table": "practices_practice",
                        "category": ["content"],
                        "action": "deleted",
                        "rows": 40,
                        "acc": "ff",
                    },
                    "practices.Comment:deleted": {
                        "model": "practices.Comment",
                        "table": "practices_comment",
                        "category": ["content"],
                        "action": "deleted",
                        "rows": 2,
                        "acc": "01",
                    },
                }
            },
        )
    assert notices.send_certificate_to_managers(certificate) == 2
    english = next(m for m in mail.outbox if m.to == [bob.email])
    assert "Client business content (deleted): 42 rows" in english.body
    assert "3 files deleted" in english.body
    assert str(certificate.pk) in english.body
    assert "http" not in english.body
    assert "href" not in english.alternatives[0].content
    (event,) = events(AuditAction.CERTIFICATE_SENT)
    assert event.object_ids == [str(certificate.pk)]
    assert event.details == {"organization": str(ended.pk), "recipients": 2}


@pytest.fixture
def no_manager_left(ended, bob):
    """The ended organization's only manager is a plain member now."""
    with unscoped("test set-up"):
        type(bob).objects.filter(pk=bob.pk).update(org_role=OrgRole.MEMBER)
    return ended


def test_without_a_manager_the_serving_csm_is_told_without_the_link(
    no_manager_left, csm, security_officer
):
    from grove.core.testing.factories import StaffUserFactory
    from grove.staff.models import CsmAssignment

    other_csm = StaffUserFactory(email="other.csm@grove.example", staff_role=csm.staff_role)
    with unscoped("test set-up"):
        CsmAssignment.objects.create(organization=no_manager_left, csm=csm)
    with time_machine.travel(NOW, tick=False):
        assert notices.send_contract_end_notice(no_manager_left) == 0
    assert [m.to for m in mail.outbox] == [[csm.email]]
    message = mail.outbox[0]
    assert no_manager_left.name in message.subject
    assert "no active manager" in message.body
    assert "/retention/export/" not in message.body and "http" not in message.body
    assert other_csm.email not in str([m.to for m in mail.outbox])
    (event,) = events(AuditAction.RETENTION_NOTICE_SENT)
    assert event.details["recipients"] == 0 and event.details["staff_alerted"] == 1
    assert csm.email not in str(event.details)
    with unscoped("test"):
        assert Organization.objects.get(pk=no_manager_left.pk).end_notice_sent_at is not None


def test_without_a_manager_nor_a_csm_the_security_officers_are_told(
    no_manager_left, security_officer
):
    with time_machine.travel(NOW, tick=False):
        assert notices.send_purge_warning(no_manager_left) == 0
    assert [m.to for m in mail.outbox] == [[security_officer.email]]
    assert "warning before the deletion" in mail.outbox[0].body
