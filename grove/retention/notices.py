"""The mails of an organization's end to its managers: the contract-end notice and the purge
warning (both with the link to the organization's export), and the deletion certificate sent
before their own accounts go.

Each goes to the organization's active managers, each in their profile's language (text and
HTML). An organization with no active manager left would lose its data unwarned: the notice
then goes, without the export link (client data is not theirs to download), to the CSMs serving
it (or, if none, to the security officers), who reach the client by other means. A notice is
recorded once (``Organization.end_notice_sent_at`` / ``purge_warning_sent_at``), only when
every mail went: a transport error raises, nothing is recorded, and the next daily run sends it
again (some managers may then get it twice, which beats none getting it). The access-log
events (RETENTION_NOTICE_SENT, CERTIFICATE_SENT) go to the operator chain, which outlives the
organization's: ids and counts, never an address.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from grove.accounts.models import OrgRole, StaffRole, User
from grove.audit.events import record_event
from grove.audit.models import AuditAction
from grove.privacy.datamap import Category
from grove.staff.models import CsmAssignment
from grove.tenancy.context import unscoped
from grove.tenancy.models import Organization

from . import org_export
from .models import DeletionCertificate, ExportStatus

CONTRACT_END = "contract_end"
PURGE_WARNING = "purge_warning"
CERTIFICATE = "certificate"
NO_MANAGER = "no_manager"

SUBJECTS = {
    CONTRACT_END: lambda org: (
        _("%(organization)s: your Grove contract has ended") % {"organization": org.name}
    ),
    PURGE_WARNING: lambda org: (
        _("%(organization)s: your data will be deleted in a few days") % {"organization": org.name}
    ),
    CERTIFICATE: lambda org: (
        _("%(organization)s: certificate of deletion of your data") % {"organization": org.name}
    ),
    NO_MANAGER: lambda org: (
        _("%(organization)s: no manager left to receive the retention notice")
        % {"organization": org.name}
    ),
}


class NoticeNotSent(RuntimeError):
    """A mail of a notice did not go: nothing is recorded, the next run sends it again."""


def active_managers(organization) -> list[User]:
    """The organization's managers who can still read a mail from us (ordered, for tests)."""
    with unscoped("retention: the managers of an ended organization get its notices"):
        return list(
            User.objects.filter(
                organization_id=organization.pk,
                org_role=OrgRole.MANAGER,
                is_active=True,
                erased_at__isnull=True,
            ).order_by("created_at", "pk")
        )


def staff_to_alert(organization) -> list[User]:
    """Who hears of a notice no manager can receive: the CSMs serving the organization, or the
    security officers if none does (ordered, for tests)."""
    with unscoped("retention: who is told that an ended organization has no manager"):
        serving = CsmAssignment.objects.filter(
            organization_id=organization.pk, ended_at__isnull=True
        ).values("csm_id")
        csms = list(
            User.objects.filter(pk__in=serving, is_active=True, staff_role=StaffRole.CSM).order_by(
                "pk"
            )
        )
        if csms:
            return csms
        officers = User.objects.filter(is_active=True, staff_role=StaffRole.SECURITY_OFFICER)
        return list(officers.order_by("pk"))


def send_contract_end_notice(organization, *, now: datetime.datetime | None = None) -> int:
    """Mail the contract-end notice (with the export link) once; returns how many went (0 if
    it had been sent already). Raises NoticeNotSent if the export is not ready or a mail
    failed."""
    return _send_notice(organization, CONTRACT_END, "end_notice_sent_at", now=now)


def send_purge_warning(organization, *, now: datetime.datetime | None = None) -> int:
    """Mail the warning before the data purge (with the export link) once; as above."""
    return _send_notice(organization, PURGE_WARNING, "purge_warning_sent_at", now=now)


def send_certificate_to_managers(certificate: DeletionCertificate) -> int:
    """Mail the certificate so far (counts per category, no link) to the organization's active
    managers, just before the purge anonymises their accounts; returns how many went. Raises
    NoticeNotSent when a mail fails, so the purge stops before the accounts and the next run
    retries. The purge sets ``managers_notified_at``."""
    from .certificates import certificate_document

    organization = certificate.organization
    managers = active_managers(organization)
    document = certificate_document(certificate)
    context = {
        "organization_name": organization.name,
        "certificate_id": str(certificate.pk),
        "started_at": certificate.started_at,
        "categories": certificate_categories(document),
        "total_rows": document.get("total_rows", certificate.total_rows),
        "files_deleted": document.get("files_deleted", certificate.files_deleted),
        "ids_digest": document.get("ids_digest", certificate.ids_digest),
    }
    messages = [_mail(CERTIFICATE, organization, manager, context) for manager in managers]
    _deliver(messages, organization)
    record_event(
        action=AuditAction.CERTIFICATE_SENT,
        organization=None,
        object_type="deletion_certificate",
        object_ids=[certificate.pk],
        details={"organization": str(organization.pk), "recipients": len(messages)},
    )
    return len(messages)


def certificate_categories(document: dict) -> list[dict]:
    """Rows per data-map category (and action) from the certificate's per-model entries."""
    entries = document.get("models") or document.get("entries") or []
    totals: dict[tuple[str, str], int] = {}
    for entry in entries:
        categories = entry.get("category") or entry.get("categories") or []
        if isinstance(categories, str):
            categories = [c.strip() for c in categories.split(",") if c.strip()]
        key = (", ".join(_category_label(c) for c in categories), str(entry.get("action", "")))
        totals[key] = totals.get(key, 0) + int(entry.get("rows", 0))
    return [
        {"category": category, "action": action, "rows": rows}
        for (category, action), rows in sorted(totals.items())
    ]


def _category_label(code: str) -> str:
    try:
        return str(Category(code).label)
    except ValueError:
        return code


# --- How a notice is made and recorded ------------------------------------------------------


def _send_notice(organization, kind: str, sent_field: str, *, now=None) -> int:
    from .enforce import expected_data_purge_day, log_purge_date

    now = now or timezone.now()
    export = org_export.export_for(organization)
    if export.status != ExportStatus.READY:
        raise NoticeNotSent(f"organization {organization.pk}: no ready export for the {kind}")
    with transaction.atomic(), unscoped("retention: recording a notice sent"):
        # The row lock makes concurrent runs send each notice once.
        locked = Organization.objects.select_for_update().get(pk=organization.pk)
        if getattr(locked, sent_field) is not None:
            return 0
        context = {
            "organization_name": locked.name,
            "contract_end": locked.contract_end,
            "data_purge_date": expected_data_purge_day(locked, timezone.localdate(now)),
            "log_purge_date": log_purge_date(locked),
            "ended_early": locked.end_reason == Organization.EndReason.ENDED_EARLY,
        }
        messages = [
            _mail(
                kind,
                locked,
                manager,
                {**context, "link": org_export.download_url(export, manager)},
            )
            for manager in active_managers(locked)
        ]
        alerted = []
        if not messages:
            alerted = [
                _mail(NO_MANAGER, locked, person, {**context, "notice": kind})
                for person in staff_to_alert(locked)
            ]
        _deliver(messages + alerted, locked)
        Organization.objects.filter(pk=locked.pk).update(**{sent_field: now})
        setattr(organization, sent_field, now)
        record_event(
            action=AuditAction.RETENTION_NOTICE_SENT,
            organization=None,
            object_type="organization",
            object_ids=[locked.pk],
            details={
                "notice": kind,
                "recipients": len(messages),
                "staff_alerted": len(alerted),
                "export": str(export.pk),
            },
        )
    return len(messages)


def _mail(kind: str, organization, manager: User, context: dict) -> EmailMultiAlternatives:
    """One person's mail of ``kind`` (a manager's; a staff member's for NO_MANAGER), in their
    language."""
    with translation.override(manager.language or settings.LANGUAGE_CODE):
        full = {
            **context,
            "first_name": manager.first_name,
            "operator_name": settings.GROVE_OPERATOR_NAME,
            "privacy_contact": settings.GROVE_PRIVACY_CONTACT,
        }
        subject = str(SUBJECTS[kind](organization))
        text = render_to_string(f"retention/mail/{kind}.txt", full)
        html = render_to_string(f"retention/mail/{kind}.html", full)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[manager.email])
    message.attach_alternative(html, "text/html")
    return message


def _deliver(messages: list[EmailMultiAlternatives], organization) -> None:
    """Send every message over one connection; raise NoticeNotSent (ids and the error's type,
    never an address) if one fails."""
    if not messages:
        return
    try:
        with get_connection() as connection:
            connection.send_messages(messages)
    except Exception as error:  # any transport error
        raise NoticeNotSent(
            f"organization {organization.pk}: mail not sent: {type(error).__name__}"
        ) from None
