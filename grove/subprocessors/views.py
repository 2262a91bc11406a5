"""Pages of the registry (staff), its decisions (security managers), the notices (CSMs and
security officers) and the clients' answers (client managers): thin views over the queries and
actions. Anyone outside a page's audience gets the one logged 404; a refused action a page
that says why (the attempt is already in the log)."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from grove.accounts.models import StaffRole
from grove.audit.events import record_event
from grove.audit.models import AuditAction
from grove.staff.authorization import deny, is_staff

from . import actions, queries
from .forms import ApproveForm, ObjectionForm, ProposeForm, RejectForm, ResolutionForm
from .models import ChangeKind, ChangeStatus
from .registry import EDITABLE_FIELDS, SNAPSHOT_FIELDS, current_values


def _deny_page(request, page: str):
    deny(
        user=request.user,
        organization_id=None,
        capability=None,
        request=request,
        object_type="",
        object_id=None,
        details={"attempted": page},
    )


def staff_only(view):
    """Logged-in operator staff (the second factor is enforced by the accounts middleware)."""

    @login_required
    @never_cache
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_staff(request.user):
            _deny_page(request, "subprocessor_registry")
        return view(request, *args, **kwargs)

    return wrapper


def _is_security_manager(user) -> bool:
    return is_staff(user) and user.staff_role == StaffRole.SECURITY_MANAGER


def _handles_notices(user) -> bool:
    return is_staff(user) and user.staff_role in (StaffRole.CSM, StaffRole.SECURITY_OFFICER)


def _refused(request, refusal, status: int = 403):
    return render(request, "subprocessors/refused.html", {"message": str(refusal)}, status=status)


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _nav(user) -> dict:
    return {
        "is_security_manager": _is_security_manager(user),
        "handles_notices": _handles_notices(user),
    }


# --- The registry ---------------------------------------------------------------------------


@require_http_methods(["GET"])
@staff_only
def registry(request):
    return render(
        request,
        "subprocessors/registry.html",
        {
            "subprocessors": queries.registry(),
            "pending": queries.pending_changes(),
            "scheduled": queries.scheduled_changes(),
            **_nav(request.user),
        },
    )


@require_http_methods(["GET"])
@staff_only
def detail(request, slug):
    subprocessor = queries.subprocessor_for_staff(user=request.user, slug=slug, request=request)
    return render(
        request,
        "subprocessors/detail.html",
        {
            "subprocessor": subprocessor,
            "history": [
                (version, _snapshot_fields(version.snapshot))
                for version in queries.versions_of(subprocessor)
            ],
            "changes": queries.changes_of(subprocessor),
            **_nav(request.user),
        },
    )


def _snapshot_fields(snapshot: dict) -> list[tuple[str, object]]:
    """A version's fields in the record's order (a JSON object keeps no order of its own)."""
    return [(field, snapshot[field]) for field in SNAPSHOT_FIELDS if field in snapshot]


@require_http_methods(["GET", "POST"])
@staff_only
def propose(request):
    """``?subprocessor=<slug>``: a change, removal or re-addition of that one; without it, a
    new subprocessor. The page keeps its query string when it posts."""
    slug = request.GET.get("subprocessor")
    chosen = (
        queries.subprocessor_for_staff(user=request.user, slug=slug, request=request)
        if slug
        else None
    )
    form = ProposeForm(request.POST or None, subprocessor=chosen)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                change = actions.change_propose(
                    actor=request.user,
                    kind=data["kind"],
                    subprocessor=chosen,
                    proposed=form.proposed_values(),
                    impact=data["impact"],
                    has_personal_data_impact=data["has_personal_data_impact"],
                    request=request,
                )
            except actions.ChangeRefused as refusal:
                return _refused(request, refusal)
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("Your proposal was sent to the security managers."))
                return redirect("subprocessors:change", change_id=change.pk)
    return render(
        request,
        "subprocessors/propose.html",
        {"form": form, "chosen": chosen, **_nav(request.user)},
        status=status,
    )


# --- Changes and their decision -------------------------------------------------------------


@require_http_methods(["GET"])
@staff_only
def queue(request):
    if not _is_security_manager(request.user):
        _deny_page(request, "subprocessor_changes_queue")
    return render(
        request,
        "subprocessors/queue.html",
        {
            "pending": queries.pending_changes(),
            "recent": queries.recent_changes(),
            **_nav(request.user),
        },
    )


@require_http_methods(["GET"])
@staff_only
def change(request, change_id):
    change = queries.change_for_staff(user=request.user, change_id=change_id, request=request)
    return _change_page(request, change)


def _change_page(request, change, *, approve_form=None, reject_form=None, status=200):
    may_decide = (
        _is_security_manager(request.user)
        and change.status == ChangeStatus.PROPOSED
        and change.proposed_by_id != request.user.pk
    )
    if may_decide:
        today = timezone.localdate()
        earliest = (
            actions.earliest_effective_date(approved_on=today)
            if change.has_personal_data_impact
            else today
        )
        if approve_form is None:
            approve_form = ApproveForm(
                initial={"effective_on": earliest, "implications": change.impact}
            )
        # The browser's date picker starts at the first allowed day (the action decides).
        approve_form.fields["effective_on"].widget.attrs["min"] = earliest.isoformat()
    return render(
        request,
        "subprocessors/change.html",
        {
            "row": queries.change_row(change),
            "comparison": _comparison(change),
            "counts": queries.notice_counts(change),
            "may_decide": may_decide,
            "approve_form": approve_form,
            "reject_form": reject_form or RejectForm(prefix="reject"),
            "notice_days": actions.notice_days(),
            **_nav(request.user),
        },
        status=status,
    )


def _comparison(change) -> list[dict]:
    """The proposed values beside the current ones (a new subprocessor has none)."""
    current = current_values(change.subprocessor) if change.subprocessor_id else {}
    if change.kind == ChangeKind.ADD and change.status != ChangeStatus.PROPOSED:
        current = {}
    return [
        {"field": field, "current": current.get(field), "proposed": change.proposed[field]}
        for field in EDITABLE_FIELDS
        if field in change.proposed
    ]


@require_POST
@staff_only
def change_approve(request, change_id):
    change = queries.change_for_staff(user=request.user, change_id=change_id, request=request)
    form = ApproveForm(request.POST)
    if not form.is_valid():
        return _change_page(request, change, approve_form=form, status=400)
    data = form.cleaned_data
    try:
        actions.change_approve(
            actor=request.user,
            change=change,
            effective_on=data["effective_on"],
            note=data["note"],
            summary=data["summary"],
            implications=data["implications"],
            request=request,
        )
    except actions.ChangeRefused as refusal:
        return _refused(request, refusal)
    except ValidationError as error:
        _add_errors(form, error)
        return _change_page(request, change, approve_form=form, status=400)
    messages.success(request, _("Change approved."))
    return redirect("subprocessors:change", change_id=change.pk)


@require_POST
@staff_only
def change_reject(request, change_id):
    change = queries.change_for_staff(user=request.user, change_id=change_id, request=request)
    form = RejectForm(request.POST, prefix="reject")
    if form.is_valid():
        try:
            actions.change_reject(
                actor=request.user, change=change, note=form.cleaned_data["note"], request=request
            )
        except actions.ChangeRefused as refusal:
            return _refused(request, refusal)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Change rejected."))
            return redirect("subprocessors:change", change_id=change.pk)
    return _change_page(request, change, reject_form=form, status=400)


# --- Notices: the CSM's and the security officer's pages ------------------------------------


@require_http_methods(["GET"])
@staff_only
def staff_notices(request):
    if not _handles_notices(request.user):
        _deny_page(request, "subprocessor_notices")
    return render(
        request,
        "subprocessors/staff_notices.html",
        {"summaries": queries.notices_for_staff(user=request.user), **_nav(request.user)},
    )


@require_http_methods(["GET"])
@staff_only
def delivery(request, delivery_id):
    row = queries.delivery_for_staff(user=request.user, delivery_id=delivery_id, request=request)
    return _delivery_page(request, row)


def _delivery_page(request, row, *, resolution_form=None, status=200):
    delivery = row.delivery
    # The client's objection is its content: reading it is recorded in its access log.
    record_event(
        action=AuditAction.VIEW,
        actor=request.user,
        organization=delivery.organization_id,
        object_type="notice_delivery",
        object_ids=[delivery.pk],
        request=request,
        read=True,
    )
    people = queries.staff_names(
        [
            delivery.sent_by_id,
            delivery.acknowledged_by_id,
            delivery.objected_by_id,
            delivery.resolved_by_id,
        ]
    )
    return render(
        request,
        "subprocessors/delivery.html",
        {
            "row": row,
            "delivery": delivery,
            "notice": row.notice,
            "subprocessor": row.notice.change.subprocessor,
            "people": people,
            "resolution_form": resolution_form or ResolutionForm(),
            **_nav(request.user),
        },
        status=status,
    )


@require_POST
@staff_only
def notice_send(request, delivery_id):
    row = queries.delivery_for_staff(user=request.user, delivery_id=delivery_id, request=request)
    try:
        actions.notice_send(actor=request.user, delivery=row.delivery, request=request)
    except actions.ChangeRefused as refusal:
        return _refused(request, refusal)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Notice sent to the organization's managers."))
    return redirect("subprocessors:delivery", delivery_id=row.delivery.pk)


@require_POST
@staff_only
def objection_resolve(request, delivery_id):
    row = queries.delivery_for_staff(user=request.user, delivery_id=delivery_id, request=request)
    form = ResolutionForm(request.POST)
    if form.is_valid():
        try:
            actions.objection_resolve(
                actor=request.user,
                delivery=row.delivery,
                resolution=form.cleaned_data["resolution"],
                request=request,
            )
        except actions.ChangeRefused as refusal:
            return _refused(request, refusal)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Objection resolved."))
            return redirect("subprocessors:delivery", delivery_id=row.delivery.pk)
    return _delivery_page(request, row, resolution_form=form, status=400)


# --- Notices: the client manager's page -----------------------------------------------------


def manager_only(view):
    @login_required
    @never_cache
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not actions.is_client_manager_of(user=user, organization_id=user.organization_id):
            _deny_page(request, "subprocessor_notices_client")
        return view(request, *args, **kwargs)

    return wrapper


@require_http_methods(["GET"])
@manager_only
def notices(request):
    return _notices_page(request)


def _notices_page(request, *, objection_form=None, objecting=None, status=200):
    deliveries = queries.deliveries_for_manager(user=request.user)
    record_event(
        action=AuditAction.LIST,
        actor=request.user,
        organization=request.user.organization_id,
        object_type="notice_delivery",
        object_ids=[d.pk for d in deliveries],
        request=request,
        read=True,
    )
    return render(
        request,
        "subprocessors/notices.html",
        {
            "deliveries": deliveries,
            "objection_form": objection_form,
            "objecting": objecting,
            "people": queries.staff_names(
                [d.acknowledged_by_id for d in deliveries] + [d.objected_by_id for d in deliveries]
            ),
        },
        status=status,
    )


@require_POST
@manager_only
def notice_acknowledge(request, delivery_id):
    delivery = queries.delivery_for_manager(
        user=request.user, delivery_id=delivery_id, request=request
    )
    try:
        actions.notice_acknowledge(actor=request.user, delivery=delivery, request=request)
    except actions.ChangeRefused as refusal:
        return _refused(request, refusal)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Thank you: the notice is acknowledged."))
    return redirect("subprocessors:notices")


@require_POST
@manager_only
def notice_object(request, delivery_id):
    delivery = queries.delivery_for_manager(
        user=request.user, delivery_id=delivery_id, request=request
    )
    form = ObjectionForm(request.POST)
    if form.is_valid():
        try:
            actions.notice_object(
                actor=request.user,
                delivery=delivery,
                objection=form.cleaned_data["objection"],
                request=request,
            )
        except actions.ChangeRefused as refusal:
            return _refused(request, refusal)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request, _("Your objection is recorded; your customer success manager will answer.")
            )
            return redirect("subprocessors:notices")
    return _notices_page(request, objection_form=form, objecting=delivery.pk, status=400)
