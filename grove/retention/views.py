"""The staff retention pages: thin views over grove/retention/queries.py and the actions.

- /retention/: every organization the staff member may see, the upcoming purges first.
- /retention/<slug>/: the lifecycle's timeline, the legal holds, "end the contract early",
  "place a hold" / "release", the dry-run counts of the next purge, the certificates.
- /retention/certificates/<uuid>/: one certificate (and its JSON download).

Security officers and security managers see every organization, a CSM those they serve;
anyone else (technical staff, client users) and a forged id get the same logged 404. Each page
view records a VIEW (or LIST) event with ids only. The actions decide who may act: their
refusals (PermissionDenied, recorded by the action) come back as a 403 page with their message,
their validation errors on the form.
"""

from __future__ import annotations

import json
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from grove.audit.events import record_event
from grove.audit.models import AuditAction
from grove.staff.authorization import deny
from grove.tenancy.models import Organization

from . import holds, queries
from .certificates import certificate_document, verify_certificate
from .forms import EndEarlyForm, HoldPlaceForm, HoldReleaseForm
from .lifecycle import contract_end_early
from .models import CertificateStatus, PurgeKind

CSS = "rights/rights.css"  # the cards, facts, timeline and alert styles of the staff consoles


def retention_staff(view):
    """Logged-in staff who may open the retention pages (CSM, security officer, security
    manager); anyone else gets the logged 404."""

    @login_required
    @never_cache
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not queries.may_open_retention(request.user):
            deny(
                user=request.user,
                organization_id=None,
                capability=None,
                request=request,
                object_type="",
                object_id=None,
                details={"attempted": "retention"},
            )
        return view(request, *args, **kwargs)

    return wrapper


def _log_chain(organization: Organization):
    """The chain a staff view of the organization goes to: its own while it has logs; the
    operator chain once only the tombstone remains (its log was purged and stays so)."""
    return None if organization.status == Organization.Status.TOMBSTONE else organization


def _record_view(
    request, *, organization, object_type, object_ids, action=AuditAction.VIEW, **details
):
    record_event(
        action=action,
        actor=request.user,
        organization=_log_chain(organization) if organization is not None else None,
        object_type=object_type,
        object_ids=object_ids,
        request=request,
        details={**details, **({"organization": str(organization.pk)} if organization else {})},
        read=True,
    )


@require_GET
@retention_staff
def overview(request):
    rows = queries.overview(request.user)
    _record_view(
        request,
        organization=None,
        object_type="organization",
        object_ids=[row.organization.pk for row in rows],
        action=AuditAction.LIST,
        page="retention.overview",
    )
    return render(
        request,
        "retention/staff_overview.html",
        {"rows": rows, "today": timezone.localdate(), "css": CSS},
    )


@require_GET
@retention_staff
def organization(request, slug):
    org = queries.organization_for_retention(user=request.user, slug=slug, request=request)
    _record_view(
        request,
        organization=org,
        object_type="organization",
        object_ids=[org.pk],
        page="retention.organization",
    )
    return _organization_page(request, org)


def _organization_page(
    request, org, *, end_form=None, hold_form=None, release_forms=None, status=200
):
    user = request.user
    today = timezone.localdate()
    hold_rows = queries.holds_of(org, today=today)
    # Nothing is left to hold once only the tombstone remains (the action would refuse).
    may_manage_holds = queries.may_manage_holds(user) and (
        org.status != Organization.Status.TOMBSTONE
    )
    release_forms = release_forms or {}
    for row in hold_rows:
        if may_manage_holds and row.in_force and row.hold.pk not in release_forms:
            release_forms[row.hold.pk] = HoldReleaseForm(hold=row.hold)
    may_end_early = queries.may_end_early(user, org)
    next_purge = queries.next_purge(org)
    return render(
        request,
        "retention/staff_organization.html",
        {
            "organization": org,
            "dates": queries.dates_of(org),
            "timeline": queries.timeline(org),
            "holds": [(row, release_forms.get(row.hold.pk)) for row in hold_rows],
            "holds_in_force": [row for row in hold_rows if row.in_force],
            "certificates": queries.certificates_of(org),
            "next_purge_label": PurgeKind(next_purge[0]).label if next_purge else "",
            "next_purge": next_purge,
            "may_end_early": may_end_early,
            "may_manage_holds": may_manage_holds,
            "end_form": end_form or (EndEarlyForm(organization=org) if may_end_early else None),
            "hold_form": hold_form
            or (HoldPlaceForm(organization=org) if may_manage_holds else None),
            "today": today,
            "css": CSS,
        },
        status=status,
    )


def _refused(request, refusal, organization):
    """An action the staff member may not take: say why (the action recorded the attempt)."""
    return render(
        request,
        "retention/staff_refused.html",
        {"message": str(refusal) or _("You may not do this."), "organization": organization},
        status=403,
    )


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@require_POST
@retention_staff
def end_early(request, slug):
    org = queries.organization_for_retention(user=request.user, slug=slug, request=request)
    form = EndEarlyForm(request.POST, organization=org)
    if form.is_valid():
        try:
            contract_end_early(
                actor=request.user,
                organization=org,
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except PermissionDenied as refusal:
            return _refused(request, refusal, org)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _("The contract ended today. Its members can no longer log in; the purge follows."),
            )
            return redirect("retention:organization", org.slug)
    return _organization_page(request, org, end_form=form, status=400)


@require_POST
@retention_staff
def hold_place(request, slug):
    org = queries.organization_for_retention(user=request.user, slug=slug, request=request)
    form = HoldPlaceForm(request.POST, organization=org)
    if form.is_valid():
        data = form.cleaned_data
        try:
            holds.hold_place(
                request=request,
                actor=request.user,
                organization=org,
                reason=data["reason"],
                until=data["until"],
                user=data["member"],
            )
        except PermissionDenied as refusal:
            return _refused(request, refusal, org)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Legal hold placed: no purge runs while it is in force."))
            return redirect("retention:organization", org.slug)
    return _organization_page(request, org, hold_form=form, status=400)


@require_POST
@retention_staff
def hold_release(request, slug, hold_id):
    org = queries.organization_for_retention(user=request.user, slug=slug, request=request)
    hold = queries.hold_of_organization(
        user=request.user, organization=org, hold_id=hold_id, request=request
    )
    form = HoldReleaseForm(request.POST, hold=hold)
    if form.is_valid():
        try:
            holds.hold_release(
                actor=request.user, hold=hold, reason=form.cleaned_data["reason"], request=request
            )
        except PermissionDenied as refusal:
            return _refused(request, refusal, org)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request, _("Legal hold released: the held purges run at the next daily run.")
            )
            return redirect("retention:organization", org.slug)
    return _organization_page(request, org, release_forms={hold.pk: form}, status=400)


@require_GET
@retention_staff
def dry_run(request, slug):
    """What the next purge would delete, per model and category (counts only). Loaded by htmx
    into the organization's page (it counts rows: not on the page's first paint)."""
    from .plan import dry_run_counts

    org = queries.organization_for_retention(user=request.user, slug=slug, request=request)
    next_purge = queries.next_purge(org)
    rows = queries.labelled(dry_run_counts(org, next_purge[0])) if next_purge else []
    _record_view(
        request,
        organization=org,
        object_type="organization",
        object_ids=[org.pk],
        page="retention.dry_run",
    )
    context = {
        "organization": org,
        "next_purge": next_purge,
        "next_purge_label": PurgeKind(next_purge[0]).label if next_purge else "",
        "rows": rows,
        "total": sum(int(r.get("rows") or 0) for r in rows),
        "css": CSS,
    }
    if getattr(request, "htmx", False):
        return render(request, "retention/_dry_run.html", context)
    return render(request, "retention/staff_dry_run.html", context)


@require_GET
@retention_staff
def certificate(request, certificate_id):
    cert = queries.certificate_for_staff(
        user=request.user, certificate_id=certificate_id, request=request
    )
    _record_view(
        request,
        organization=cert.organization,
        object_type="deletion_certificate",
        object_ids=[cert.pk],
        page="retention.certificate",
    )
    completed = cert.status == CertificateStatus.COMPLETED
    return render(
        request,
        "retention/staff_certificate.html",
        {
            "certificate": cert,
            "organization": cert.organization,
            "completed": completed,
            "valid": completed and verify_certificate(cert),
            "entries": queries.certificate_models(cert),
            "vacuum": cert.vacuum or {},
            "css": CSS,
        },
    )


@require_GET
@retention_staff
def certificate_json(request, certificate_id):
    """The certificate's document (what is mailed and kept), as a JSON file."""
    cert = queries.certificate_for_staff(
        user=request.user, certificate_id=certificate_id, request=request
    )
    _record_view(
        request,
        organization=cert.organization,
        object_type="deletion_certificate",
        object_ids=[cert.pk],
        action=AuditAction.DOWNLOAD,
        page="retention.certificate_json",
    )
    body = json.dumps(certificate_document(cert), indent=2, sort_keys=True, default=str)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="deletion-certificate-{cert.pk}.json"'
    return response
