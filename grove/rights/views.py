"""The pages of data-subject requests: thin views over grove/rights/queries.py and actions.py.

- The person, logged in (/rights/): their requests, a new one (type; for a rectification the new
  values), one request's timeline, and their details where the organization lets members
  correct them.
- Anyone (/rights/request/): the public form, then the 6-digit code mailed to the address (a
  new one on demand). The answer is the same whether the address is known or not; an unknown
  one gets a decoy kept in the session that behaves like a request whose code is never right:
  the same messages, locked after as many wrong codes, refused after as many new codes. The
  mails these pages cause are made and sent by a task (grove/rights/tasks.py), never within
  the request, and the decoy enqueues the same task where a real request would (an id that
  is no request): a known address does not answer slower.
- The console (/rights/console/): CSMs and security officers (the steps they may take, as
  buttons and forms), client managers (read-only, their organization's users). Overdue requests
  come first. Another organization's request and a forged id get the same logged 404.
- The export link (/rights/exports/<token>/): a page with a button, the POST streams the ZIP
  once (a GET never spends the link, so a mail scanner opening it does no harm).

Refusals of the actions (``RightsRefusal``) come back as a message on the page, with the form.
"""

from __future__ import annotations

import datetime
import uuid
from functools import wraps
from typing import TYPE_CHECKING

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from grove.accounts.models import OrgRole, StaffRole, User
from grove.audit.events import record_event
from grove.audit.models import AuditAction
from grove.staff.authorization import (
    Capability,
    deny,
    is_staff,
    permits,
    visible_organizations,
)
from grove.tenancy.context import tenant_context, unscoped
from grove.tenancy.models import JobType, Organization

from . import actions, queries, verification
from .errors import ExportUnavailable, InvalidTransition, RequestNotFound, RightsRefusal
from .forms import (
    PUBLIC_TYPES,
    CodeForm,
    DecisionForm,
    ErasureApprovalForm,
    ExtendForm,
    FileRequestForm,
    NoteForm,
    PublicRequestForm,
    RecordRequestForm,
    RectificationFields,
    RefusalForm,
    StateFilterForm,
    type_choices,
)
from .models import (
    Channel,
    DataSubjectRequest,
    PersonalDataExport,
    RefusalGround,
    RequestState,
    RequestStep,
    RequestType,
)

if TYPE_CHECKING:
    from django.forms import Form
    from django_stubs_ext import StrOrPromise

# The public form's pending request, kept server-side in the session (never in the URL).
PENDING_KEY = "rights_public_pending"
# A decoy (unknown address) refuses its codes like a real request, and locks after as many.
DECOY_MAX_ATTEMPTS = verification.MAX_ATTEMPTS
# The console lists at most this many requests (overdue ones first); filters narrow it.
CONSOLE_ROWS_SHOWN = 200
CONSOLE_ROLES = frozenset({StaffRole.CSM, StaffRole.SECURITY_OFFICER})
# The timeline as the person reads it: what happened to their request, in plain words.
PERSON_STEP_LABELS = {
    AuditAction.REQUEST_FILED: gettext_lazy("We received your request"),
    AuditAction.REQUEST_MERGED: gettext_lazy("The same request again, added to this one"),
    AuditAction.REQUEST_CODE_SENT: gettext_lazy("A code was sent to your business email"),
    AuditAction.REQUEST_CODE_FAILED: gettext_lazy("A wrong code was typed"),
    AuditAction.REQUEST_IDENTITY_VERIFIED: gettext_lazy("Your identity is confirmed"),
    AuditAction.REQUEST_STARTED: gettext_lazy("Our privacy team is handling it"),
    AuditAction.REQUEST_APPROVAL_ASKED: gettext_lazy("With our security officer for approval"),
    AuditAction.REQUEST_APPROVED: gettext_lazy("Approved by our security officer"),
    AuditAction.REQUEST_EXTENDED: gettext_lazy("We need more time"),
    AuditAction.REQUEST_REFUSED: gettext_lazy("Refused"),
    AuditAction.REQUEST_FULFILLED: gettext_lazy("Done"),
    AuditAction.RECTIFICATION_APPLIED: gettext_lazy("Your details are corrected"),
    AuditAction.EXPORT_CREATED: gettext_lazy("Your data is ready to download"),
    AuditAction.ERASURE_APPLIED: gettext_lazy("Your data is erased"),
}
RECTIFIED_FIELD_LABELS = {
    "first_name": RectificationFields.base_fields["first_name"].label,
    "last_name": RectificationFields.base_fields["last_name"].label,
    "country": RectificationFields.base_fields["country"].label,
    "job_type": RectificationFields.base_fields["job_type"].label,
}


def _css() -> str:
    return "rights/rights.css"


# --- Shared helpers -----------------------------------------------------------------------------


def _deny_page(request, page: str, capability: str | None = Capability.REQUESTS_HANDLE):
    """The logged 404 of a page this person may not open at all (ids only)."""
    deny(
        user=request.user,
        organization_id=getattr(request.user, "organization_id", None),
        capability=capability,
        request=request,
        object_type="rights.request",
        object_id=None,
        details={"attempted": page},
    )


def client_user_only(view):
    """A logged-in person of a client organization (staff have no data requests of their own
    here); anyone else gets the logged 404."""

    @login_required
    @never_cache
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.organization_id is None:
            _deny_page(request, view.__name__, capability=None)
        return view(request, *args, **kwargs)

    return wrapper


def console_user_only(view):
    """CSMs, security officers and client managers; anyone else the logged 404."""

    @login_required
    @never_cache
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not (_is_handler(request.user) or _is_client_manager(request.user)):
            _deny_page(request, "rights_console")
        return view(request, *args, **kwargs)

    return wrapper


def _is_handler(user) -> bool:
    return is_staff(user) and user.staff_role in CONSOLE_ROLES


def _is_officer(user) -> bool:
    return is_staff(user) and user.staff_role == StaffRole.SECURITY_OFFICER


def _is_client_manager(user) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and not user.staff_role
        and user.organization_id
        and user.org_role == OrgRole.MANAGER
    )


def _job_types(organization) -> list[JobType]:
    with tenant_context(organization):
        return list(JobType.objects.filter(organization=organization).order_by("name"))


def _step_rows(dsr: DataSubjectRequest, *, viewer: str, user) -> list[dict]:
    """The timeline: label, when, who (as this viewer may see it), the note where it is meant
    for them. ``viewer``: "subject", "manager" or "staff"."""
    with unscoped("rights pages: the steps of a request the caller may see"):
        steps = list(
            RequestStep.objects.filter(request_id=dsr.pk)
            .select_related("actor")
            .order_by("occurred_at", "id")
        )
    rows = []
    for step in steps:
        try:
            label = AuditAction(step.action).label
        except ValueError:
            label = step.action
        if viewer == "subject":
            label = PERSON_STEP_LABELS.get(step.action, label)
        actor = step.actor
        if actor is None:
            who = _("Grove")
        elif viewer == "staff":
            who = actor.display_name or actor.email
        elif actor.pk == user.pk:
            who = _("You")
        elif actor.staff_role:
            who = _("Grove staff")
        elif viewer == "subject" or actor.organization_id == dsr.organization_id:
            who = actor.display_name or _("A member of your organization")
        else:
            who = _("Grove staff")
        shown_note = viewer == "staff" or (
            viewer == "subject"
            and step.action in (AuditAction.REQUEST_EXTENDED, AuditAction.REQUEST_REFUSED)
        )
        rows.append(
            {
                "step": step,
                "label": label,
                "who": who,
                "note": step.note if shown_note else "",
                "state_label": RequestState(step.state).label if step.state else "",
            }
        )
    return rows


def _rectification_rows(dsr: DataSubjectRequest) -> list[dict]:
    """The values asked for, and before/after once applied: {field: value} or
    {field: {"before": ..., "after": ...}} (both shapes are read)."""
    rows = []
    for field, value in (dsr.rectification or {}).items():
        if isinstance(value, dict):
            before, after = value.get("before"), value.get("after", "")
        else:
            before, after = None, value
        rows.append(
            {
                "label": RECTIFIED_FIELD_LABELS.get(field, field),
                "before": _display_value(field, before, dsr.organization_id),
                "after": _display_value(field, after, dsr.organization_id),
            }
        )
    return rows


def _display_value(field: str, value, organization_id):
    if value is None:
        return None
    if value == "":
        return _("(empty)")
    if field == "country":
        from django_countries import countries

        return countries.name(value) or value
    if field == "job_type":
        with tenant_context(organization_id):
            job = JobType.objects.filter(pk=_as_uuid(value)).first() if _as_uuid(value) else None
        return job.name if job else value
    return value


def _as_uuid(value):
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


def _overdue_days(dsr: DataSubjectRequest, now) -> int:
    """Whole days past the due date; a request due a few hours ago is a day late already."""
    if not dsr.is_overdue_at(now):
        return 0
    return max((now - dsr.due_at).days, 1)


def _names(user_ids) -> dict:
    """Full names by user id (staff rows included: they belong to no organization). Called
    once the caller may see the requests these people are on."""
    ids = {pk for pk in user_ids if pk}
    if not ids:
        return {}
    with unscoped("rights pages: names of the people on the requests shown"):
        return {
            user.pk: user
            for user in User.objects.filter(pk__in=ids).only(
                "id",
                "first_name",
                "last_name",
                "email",
                "staff_role",
                "organization_id",
                "erased_at",
            )
        }


def _annotate(rows, now) -> list[dict]:
    soon = now + datetime.timedelta(days=settings.GROVE_DSR_REMINDER_DAYS)
    people = _names([dsr.subject_id for dsr in rows] + [dsr.handler_id for dsr in rows])
    with unscoped("rights pages: names of the organizations of the requests shown"):
        organizations = {
            org.pk: org
            for org in Organization.objects.filter(pk__in={d.organization_id for d in rows})
        }
    annotated = []
    for dsr in rows:
        subject = people.get(dsr.subject_id)
        handler = people.get(dsr.handler_id)
        organization = organizations.get(dsr.organization_id)
        annotated.append(
            {
                "dsr": dsr,
                "overdue": dsr.is_overdue_at(now),
                "overdue_days": _overdue_days(dsr, now),
                "due_soon": dsr.is_open and now < dsr.due_at <= soon,
                "state_label": RequestState(dsr.state).label,
                "type_label": RequestType(dsr.request_type).label,
                "subject_name": (subject.display_name if subject else "") or _("Former member"),
                "subject_email": subject.display_email if subject else "",
                "handler_name": (handler.display_name or handler.display_email) if handler else "",
                "organization_name": organization.name if organization else "",
            }
        )
    return annotated


# --- The person: their requests -----------------------------------------------------------------


@require_GET
@client_user_only
def my_requests_view(request):
    now = timezone.now()
    rows = _annotate(list(queries.requests_of_subject(request.user)), now)
    return render(
        request,
        "rights/my_requests.html",
        {
            "rows": rows,
            "css": _css(),
            "may_rectify": request.user.organization.members_may_rectify,
        },
    )


@require_http_methods(["GET", "POST"])
@client_user_only
def file_request_view(request):
    user = request.user
    posted = request.method == "POST"
    form = FileRequestForm(
        request.POST if posted else None,
        subject=user,
        job_types=_job_types(user.organization),
        initial={"request_type": request.GET.get("type", "")},
    )
    refusal = ""
    if posted and form.is_valid():
        started = timezone.now()
        try:
            dsr = actions.request_file(
                actor=user,
                subject=user,
                request_type=form.cleaned_data["request_type"],
                channel=Channel.PROFILE,
                rectification=form.rectification(),
                request=request,
            )
        except RightsRefusal as error:
            refusal = str(error)
        else:
            target = dsr.merged_into or dsr
            if dsr.merged_into_id or target.received_at < started:
                messages.info(
                    request,
                    _(
                        "You already had an open request of this type: we added this one to "
                        "it. You will hear from us about it."
                    ),
                )
            else:
                messages.success(
                    request,
                    _("Your request is received. We answer by %(due)s at the latest.")
                    % {"due": _date(target.due_at)},
                )
            return redirect("rights:my_request", request_id=target.pk)
    return render(
        request,
        "rights/file_request.html",
        {
            "form": form,
            "type_help": type_choices(RequestType.choices),
            "refusal": refusal,
            "css": _css(),
            "deadline_months": settings.GROVE_DSR_DEADLINE_MONTHS,
            "may_rectify": user.organization.members_may_rectify,
        },
        status=400 if posted else 200,
    )


def _date(value) -> str:
    from django.utils.formats import date_format

    return date_format(timezone.localtime(value), "DATE_FORMAT")


@require_GET
@client_user_only
def my_request_view(request, request_id):
    # Another person's request and a forged id: the same 404, recorded by the query.
    dsr = queries.request_of_subject(request.user, request_id, request=request)
    now = timezone.now()
    return render(
        request,
        "rights/my_request.html",
        {
            "row": _annotate([dsr], now)[0],
            "dsr": dsr,
            "steps": _step_rows(dsr, viewer="subject", user=request.user),
            "rectification": _rectification_rows(dsr),
            "refusal_ground": _ground_label(dsr),
            "export": _latest_export(dsr),
            "now": now,
            "css": _css(),
        },
    )


def _latest_export(dsr: DataSubjectRequest) -> PersonalDataExport | None:
    """The export answering this request (its link's expiry and use, never the token)."""
    if dsr.request_type not in (RequestType.ACCESS, RequestType.PORTABILITY):
        return None
    with tenant_context(dsr.organization_id):
        return PersonalDataExport.objects.filter(request_id=dsr.pk).order_by("-created_at").first()


def _ground_label(dsr: DataSubjectRequest) -> StrOrPromise:
    if not dsr.refusal_ground:
        return ""
    try:
        return RefusalGround(dsr.refusal_ground).label
    except ValueError:
        return dsr.refusal_ground


@require_http_methods(["GET", "POST"])
@client_user_only
def my_details_view(request):
    """Self-service rectification where the organization allows it; otherwise the page says so
    and points to a rectification request."""
    user = request.user
    allowed = user.organization.members_may_rectify
    posted = request.method == "POST"
    form = RectificationFields(
        request.POST if posted else None, subject=user, job_types=_job_types(user.organization)
    )
    refusal = ""
    if posted and not allowed:
        refusal = _(
            "Your organization does not let members change these details themselves. "
            "Ask for a rectification instead: we apply it for you."
        )
    elif posted and form.is_valid():
        changes = form.changes()
        for name in ("first_name", "last_name"):
            if name in changes and not changes[name]:
                form.add_error(name, _("This cannot be empty."))
        if not form.errors:
            if not changes:
                messages.info(request, _("Nothing changed."))
                return redirect("accounts:profile")
            job_type = user.job_type
            if "job_type" in changes:
                job_type = next(
                    (j for j in _job_types(user.organization) if str(j.pk) == changes["job_type"]),
                    None,
                )
            try:
                actions.profile_rectify(
                    actor=user,
                    first_name=changes.get("first_name", user.first_name),
                    last_name=changes.get("last_name", user.last_name),
                    country=changes.get("country", str(user.country or "")),
                    job_type=job_type,
                    request=request,
                )
            except RightsRefusal as error:
                refusal = str(error)
            else:
                messages.success(request, _("Your details are updated."))
                return redirect("accounts:profile")
    return render(
        request,
        "rights/my_details.html",
        {"form": form, "allowed": allowed, "refusal": refusal, "css": _css()},
        status=(403 if refusal and not allowed else 400) if posted else 200,
    )


# --- Anyone: the public form and the code -------------------------------------------------------


@require_http_methods(["GET", "POST"])
@never_cache
def public_request_view(request):
    posted = request.method == "POST"
    form = PublicRequestForm(request.POST if posted else None)
    if posted and form.is_valid():
        dsr = actions.request_file_public(
            email=form.cleaned_data["email"],
            request_type=form.cleaned_data["request_type"],
            request=request,
        )
        # Same answer either way: an unknown address gets a decoy nobody can tell apart.
        request.session[PENDING_KEY] = {
            "id": str(dsr.pk) if dsr is not None else str(uuid.uuid4()),
            "decoy": dsr is None,
            "attempts": 0,
            "codes": 1,
        }
        return redirect("rights:public_verify")
    return render(
        request,
        "rights/public_request.html",
        {"form": form, "type_help": type_choices(PUBLIC_TYPES), "css": _css()},
        status=400 if posted else 200,
    )


def _wrong_code_message() -> str:
    return _("This code is not right, or it has expired. Check the latest mail and try again.")


def _locked_message() -> str:
    return _(
        "Too many wrong codes: this request is closed and your identity could not be "
        "verified. You may file a new request."
    )


@require_http_methods(["GET", "POST"])
@never_cache
def public_verify_view(request):
    pending = request.session.get(PENDING_KEY)
    if not pending:
        messages.info(request, _("Start with the form: we send you a code to confirm it is you."))
        return redirect("rights:public")
    posted = request.method == "POST"
    form = CodeForm(request.POST if posted else None)
    refusal = ""
    if posted and form.is_valid():
        if pending.get("decoy"):
            pending["attempts"] = pending.get("attempts", 0) + 1
            request.session[PENDING_KEY] = pending
            if pending["attempts"] >= DECOY_MAX_ATTEMPTS:
                # A real request's lock enqueues its refusal mail: the decoy, the same task.
                actions.request_public_decoy(kind="refused")
                refusal = _locked_message()
            else:
                refusal = _wrong_code_message()
        else:
            try:
                dsr = actions.request_verify_code(
                    dsr_id=pending["id"], code=form.cleaned_data["code"], request=request
                )
            except RightsRefusal as error:
                refusal = _public_refusal(error, pending)
                request.session[PENDING_KEY] = pending
            else:
                del request.session[PENDING_KEY]
                return render(
                    request,
                    "rights/public_done.html",
                    {"due_at": dsr.due_at, "css": _css()},
                )
        if pending.get("attempts", 0) >= DECOY_MAX_ATTEMPTS:
            # Nothing left to try with this request: the page offers a new one.
            request.session.pop(PENDING_KEY, None)
            return render(
                request,
                "rights/public_verify.html",
                {"form": None, "refusal": refusal, "locked": True, "css": _css()},
                status=400,
            )
    return render(
        request,
        "rights/public_verify.html",
        {"form": form, "refusal": refusal, "locked": False, "css": _css()},
        status=400 if posted else 200,
    )


def _resent_message() -> str:
    return _(
        "If this address belongs to a Grove account, a new code is on its way. It is valid "
        "for 10 minutes; wrong codes already typed still count."
    )


def _no_more_codes_message() -> str:
    return _("No more codes can be sent for this request. Start again with a new request.")


@require_POST
@never_cache
def public_resend_view(request):
    """A new code for the pending request (a decoy answers the same, up to the same limit)."""
    pending = request.session.get(PENDING_KEY)
    if not pending:
        return redirect("rights:public")
    if pending.get("codes", 1) >= verification.MAX_CODES_SENT:
        refusal = _no_more_codes_message()
    elif pending.get("decoy"):
        # A real request's new code is a task: the decoy enqueues the same one, for nothing.
        actions.request_public_decoy(kind="code")
        refusal = ""
    else:
        refusal = _send_public_code(request, pending["id"])
    if refusal:
        return render(
            request,
            "rights/public_verify.html",
            {"form": CodeForm(), "refusal": refusal, "locked": False, "css": _css()},
            status=400,
        )
    pending["codes"] = pending.get("codes", 1) + 1
    request.session[PENDING_KEY] = pending
    messages.info(request, _resent_message())
    return redirect("rights:public_verify")


def _send_public_code(request, dsr_id) -> str:
    with unscoped("public code page: the pending request a new code is for"):
        dsr = DataSubjectRequest.objects.filter(pk=dsr_id).first()
    if dsr is None:
        return _no_more_codes_message()
    try:
        actions.request_send_code(dsr=dsr, request=request)
    except RightsRefusal:
        return _no_more_codes_message()
    return ""


def _public_refusal(error: RightsRefusal, pending: dict) -> str:
    """The same two messages as a decoy's: a wrong (or expired) code, or a locked request."""
    pending["attempts"] = pending.get("attempts", 0) + 1
    if _is_locked(pending["id"]):
        pending["attempts"] = DECOY_MAX_ATTEMPTS
        return _locked_message()
    return _wrong_code_message()


def _is_locked(dsr_id) -> bool:
    """Whether the pending request no longer takes codes (the last wrong one locked it)."""
    with unscoped("public verification: whether the pending request still takes codes"):
        state = DataSubjectRequest.objects.filter(pk=dsr_id).values_list("state", flat=True).first()
    return state != RequestState.RECEIVED


# --- The console --------------------------------------------------------------------------------


@require_GET
@console_user_only
def console_list_view(request):
    user = request.user
    organizations = [item.organization for item in visible_organizations(user=user)]
    form = StateFilterForm(request.GET or None, organizations=organizations)
    state = overdue_only = organization_id = None
    if form.is_valid():
        state = form.cleaned_data["state"] or None
        overdue_only = form.cleaned_data["overdue"]
        organization_id = form.cleaned_data.get("organization") or None
    now = timezone.now()
    requests = queries.requests_visible_to(
        user, overdue_only=bool(overdue_only), open_only=state in (None, "")
    )
    if state and state != "all":
        requests = [dsr for dsr in requests if dsr.state == state]
    if organization_id:
        requests = [dsr for dsr in requests if str(dsr.organization_id) == organization_id]
    # The query's order: overdue first, then open ones by due date, then closed ones.
    total = len(requests)
    overdue_count = sum(1 for dsr in requests if dsr.is_overdue_at(now))
    requests = requests[:CONSOLE_ROWS_SHOWN]
    _record_list(request, requests)
    rows = _annotate(requests, now)
    context = {
        "rows": rows,
        "form": form,
        "total": total,
        "shown": len(rows),
        "overdue_count": overdue_count,
        "is_handler": _is_handler(user),
        "is_manager": _is_client_manager(user),
        "css": _css(),
    }
    if request.headers.get("HX-Request") == "true":
        return render(request, "rights/_console_rows.html", context)
    return render(request, "rights/console_list.html", context)


def _record_list(request, requests: list[DataSubjectRequest]) -> None:
    """One LIST event per organization shown (the ids of the requests listed)."""
    by_org: dict = {}
    for dsr in requests:
        by_org.setdefault(dsr.organization_id, []).append(dsr.pk)
    for organization_id, ids in by_org.items():
        record_event(
            action=AuditAction.LIST,
            actor=request.user,
            organization=organization_id,
            object_type="rights.request",
            object_ids=ids,
            request=request,
            read=True,
        )


def _handled_organizations(user) -> list:
    return [
        item.organization
        for item in visible_organizations(user=user)
        if item.organization.is_active
        and permits(
            user=user, organization=item.organization, capability=Capability.REQUESTS_HANDLE
        )
    ]


@require_http_methods(["GET", "POST"])
@console_user_only
def console_record_view(request):
    """A CSM (or officer) records a request received by mail, phone, the client, otherwise."""
    user = request.user
    if not _is_handler(user):
        _deny_page(request, "rights_record")
    organizations = _handled_organizations(user)
    posted = request.method == "POST"
    form = RecordRequestForm(
        request.POST if posted else None,
        organizations=organizations,
        initial={"organization": request.GET.get("organization", "")},
    )
    refusal = ""
    if posted and form.is_valid():
        started = timezone.now()
        organization = form.cleaned_data["organization"]
        subject = _person_of(organization, form.cleaned_data["email"])
        rectification = None
        if subject is None:
            form.add_error("email", _("No active user of this organization has this email."))
        elif form.cleaned_data["request_type"] == RequestType.RECTIFICATION:
            rectification = _recorded_rectification(form, organization)
        if not form.errors:
            try:
                dsr = actions.request_file(
                    actor=user,
                    subject=subject,
                    request_type=form.cleaned_data["request_type"],
                    channel=form.cleaned_data["channel"],
                    rectification=rectification,
                    request=request,
                )
            except RightsRefusal as error:
                refusal = str(error)
            else:
                target = dsr.merged_into or dsr
                if target.pk != dsr.pk or target.received_at < started:
                    messages.info(
                        request,
                        _("This person already had an open request of this type: merged into it."),
                    )
                else:
                    messages.success(request, _("Request recorded."))
                return redirect("rights:console_detail", request_id=target.pk)
    return render(
        request,
        "rights/console_record.html",
        {"form": form, "refusal": refusal, "organizations": organizations, "css": _css()},
        status=400 if posted else 200,
    )


def _person_of(organization, email: str):
    with tenant_context(organization):
        return User.objects.filter(
            organization=organization, email__iexact=email.strip(), is_active=True
        ).first()


def _recorded_rectification(form: RecordRequestForm, organization) -> dict | None:
    values = {}
    for name in ("first_name", "last_name", "country"):
        value = (form.cleaned_data.get(name) or "").strip()
        if value:
            values[name] = value
    job_name = form.cleaned_data.get("job_type") or ""
    if job_name:
        job = next(
            (j for j in _job_types(organization) if j.name.casefold() == job_name.casefold()),
            None,
        )
        if job is None:
            form.add_error("job_type", _("This organization has no job type of that name."))
            return None
        values["job_type"] = str(job.pk)
    return values


def _load_for_console(request, request_id):
    """The request, for a handler (REQUESTS_HANDLE) or a client manager: the logged 404
    otherwise, the same for a forged id."""
    user = request.user
    if _is_handler(user):
        return queries.request_for_staff(user, request_id, request=request)
    return queries.request_for_manager(user, request_id, request=request)


def _available_steps(user, dsr: DataSubjectRequest, now) -> set[str]:
    """The steps offered as buttons (the actions check them again)."""
    if not _is_handler(user) or not dsr.is_open:
        return set()
    officer = _is_officer(user)
    steps: set[str] = set()
    if dsr.state == RequestState.RECEIVED:
        steps |= {"verify", "send-code"}
    elif dsr.state == RequestState.IDENTITY_VERIFIED:
        steps.add("start")
    elif dsr.state == RequestState.IN_PROGRESS:
        if dsr.request_type == RequestType.ERASURE:
            steps.add("ask-approval")
        else:
            steps.add("fulfil")
        if not officer:
            steps.add("propose-refusal")
    elif dsr.state == RequestState.AWAITING_APPROVAL:
        if officer:
            steps.add("decide")
    elif dsr.state == RequestState.APPROVED:
        steps.add("fulfil")
    if officer and dsr.state != RequestState.AWAITING_APPROVAL:
        steps.add("refuse")
    if actions.may_extend(dsr, now=now):
        steps.add("extend")
    return steps


def _erasure_context(dsr: DataSubjectRequest) -> dict:
    if dsr.request_type != RequestType.ERASURE:
        return {}
    from .erasure import erasure_plan

    with tenant_context(dsr.organization_id):
        plan = erasure_plan(dsr.subject)
        candidates = list(
            User.objects.filter(organization_id=dsr.organization_id, is_active=True)
            .exclude(pk=dsr.subject_id)
            .order_by("last_name", "first_name")
        )
    if getattr(plan, "is_last_manager", False) and getattr(plan, "successor_candidates", None):
        candidates = list(plan.successor_candidates)
    return {"plan": plan, "plan_rows": _plan_rows(plan), "candidates": candidates}


TREATMENT_LABELS = {
    "deleted": gettext_lazy("deleted"),
    "unlinked": gettext_lazy("unlinked from the person"),
    "anonymised": gettext_lazy("anonymised"),
    "anonymized": gettext_lazy("anonymised"),
    "kept": gettext_lazy("kept without the person's data"),
}


def _plan_rows(plan) -> list[dict]:
    """What the erasure would do, by kind of data and treatment, in words."""
    from django.apps import apps

    split = getattr(plan, "by_treatment", None) or {"": getattr(plan, "counts", {})}
    found = []
    for treatment, counts in split.items():
        for label, count in counts.items():
            try:
                name = apps.get_model(label)._meta.verbose_name_plural
            except (LookupError, ValueError):
                name = label
            found.append(
                {
                    "name": str(name),
                    "count": count,
                    "treatment": TREATMENT_LABELS.get(treatment, treatment),
                }
            )
    return sorted(found, key=lambda row: (row["name"].casefold(), str(row["treatment"])))


def _detail_context(request, dsr: DataSubjectRequest, **forms) -> dict:
    user = request.user
    now = timezone.now()
    handler = _is_handler(user)
    steps = _available_steps(user, dsr, now)
    erasure = _erasure_context(dsr) if handler else {}
    context = {
        "dsr": dsr,
        "row": _annotate([dsr], now)[0],
        "steps": _step_rows(dsr, viewer="staff" if handler else "manager", user=user),
        "available": steps,
        "is_handler": handler,
        "is_officer": _is_officer(user),
        "rectification": _rectification_rows(dsr) if handler else [],
        "refusal_ground": _ground_label(dsr),
        "css": _css(),
        "extension_deadline": dsr.received_at + relativedelta(months=1),
        "plan": erasure.get("plan"),
        "plan_rows": erasure.get("plan_rows", []),
        "note_form": forms.get("note_form") or NoteForm(),
        "extend_form": forms.get("extend_form") or ExtendForm(),
        "refusal_form": forms.get("refusal_form") or RefusalForm(),
        "officer_refusal_form": forms.get("officer_refusal_form") or RefusalForm(prefix="officer"),
        "decision_form": forms.get("decision_form") or DecisionForm(),
        "refusal": forms.get("refusal", ""),
    }
    if "candidates" in erasure:
        context["approval_form"] = forms.get("approval_form") or ErasureApprovalForm(
            candidates=erasure["candidates"],
            needs_successor=bool(getattr(erasure["plan"], "is_last_manager", False)),
        )
    return context


@require_GET
@console_user_only
def console_detail_view(request, request_id):
    dsr = _load_for_console(request, request_id)
    return render(request, "rights/console_detail.html", _detail_context(request, dsr))


STEPS = (
    "verify",
    "send-code",
    "start",
    "extend",
    "ask-approval",
    "propose-refusal",
    "decide",
    "refuse",
    "fulfil",
)


@require_POST
@console_user_only
def console_step_view(request, request_id, step):
    user = request.user
    if step not in STEPS:
        raise Http404("Not found.")
    if not _is_handler(user):
        _deny_page(request, f"rights_step:{step}")
    dsr = _load_for_console(request, request_id)
    forms: dict = {}
    done = ""
    try:
        done = _run_step(request, dsr, step, forms)
    except RequestNotFound:
        raise  # the one logged 404
    except InvalidTransition as error:
        forms["refusal"] = str(error)
        status = 409
    except RightsRefusal as error:
        forms["refusal"] = str(error)
        status = 400
    else:
        status = 400
    if done:
        messages.success(request, done)
        return redirect("rights:console_detail", request_id=dsr.pk)
    dsr = _load_for_console(request, request_id)
    return render(
        request, "rights/console_detail.html", _detail_context(request, dsr, **forms), status=status
    )


def _run_step(request, dsr: DataSubjectRequest, step: str, forms: dict) -> str:
    """Validate the step's form and call its action; the message to show on success, "" when
    the form has errors (kept in ``forms`` to show them)."""
    user, data = request.user, request.POST
    form: Form
    if step == "verify":
        form = forms["note_form"] = NoteForm(data)
        if not form.is_valid():
            return ""
        actions.request_verify_identity(
            actor=user, dsr=dsr, note=form.cleaned_data["note"], request=request
        )
        return _("Identity confirmed.")
    if step == "send-code":
        actions.request_send_code(dsr=dsr, actor=user, request=request)
        return _("A code was sent to the person's business email. It is valid for 10 minutes.")
    if step == "start":
        actions.request_start(actor=user, dsr=dsr, request=request)
        return _("You are handling this request.")
    if step == "extend":
        form = forms["extend_form"] = ExtendForm(data)
        if not form.is_valid():
            return ""
        actions.request_extend(
            actor=user,
            dsr=dsr,
            months=form.cleaned_data["months"],
            reason=form.cleaned_data["reason"],
            request=request,
        )
        return _("Deadline extended; the person has been told why.")
    if step == "ask-approval":
        erasure = _erasure_context(dsr)
        form = forms["approval_form"] = ErasureApprovalForm(
            data,
            candidates=erasure.get("candidates", ()),
            needs_successor=bool(getattr(erasure.get("plan"), "is_last_manager", False)),
        )
        if not form.is_valid():
            return ""
        actions.request_ask_approval(
            actor=user,
            dsr=dsr,
            successor_manager=form.cleaned_data["successor_manager"],
            request=request,
        )
        return _("The security officer is asked to approve the erasure.")
    if step == "propose-refusal":
        form = forms["refusal_form"] = RefusalForm(data)
        if not form.is_valid():
            return ""
        actions.request_ask_approval(
            actor=user,
            dsr=dsr,
            refusal_ground=form.cleaned_data["refusal_ground"],
            refusal_details=form.cleaned_data["refusal_details"],
            request=request,
        )
        return _("The refusal is proposed to the security officer.")
    if step == "decide":
        form = forms["decision_form"] = DecisionForm(data)
        if not form.is_valid():
            return ""
        approve = form.cleaned_data["decision"] == "approve"
        # A ground and details go with the rejection of an erasure only.
        explained = not approve and not dsr.refusal_ground
        actions.request_decide(
            officer=user,
            dsr=dsr,
            approve=approve,
            refusal_ground=form.cleaned_data["refusal_ground"] if explained else "",
            refusal_details=form.cleaned_data["refusal_details"] if explained else "",
            request=request,
        )
        return _("Approved.") if approve else _("Rejected.")
    if step == "refuse":
        form = forms["officer_refusal_form"] = RefusalForm(data, prefix="officer")
        if not form.is_valid():
            return ""
        actions.request_refuse(
            officer=user,
            dsr=dsr,
            refusal_ground=form.cleaned_data["refusal_ground"],
            refusal_details=form.cleaned_data["refusal_details"],
            request=request,
        )
        return _("Request refused; the person has been told why and how to complain.")
    # fulfil: an erasure cannot be undone, so it is confirmed on the page first.
    if dsr.request_type == RequestType.ERASURE and data.get("confirm") != "yes":
        forms["refusal"] = _("Tick the box to confirm the erasure: it cannot be undone.")
        return ""
    fulfilled = actions.request_fulfil(actor=user, dsr=dsr, request=request)
    if fulfilled.request_type in (RequestType.ACCESS, RequestType.PORTABILITY):
        return _("Fulfilled: the person has been mailed a download link.")
    if fulfilled.request_type == RequestType.ERASURE:
        return _("Fulfilled: the person's data is erased.")
    return _("Fulfilled.")


# --- The export link ----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@never_cache
def export_download_view(request, token):
    """GET: a page with the download button (spends nothing). POST: the ZIP, once."""
    if request.method == "GET":
        return render(request, "rights/export_download.html", {"css": _css()})
    from .export import export_download

    try:
        export, file = export_download(token=token, request=request)
    except ExportUnavailable:
        return render(request, "rights/export_unavailable.html", {"css": _css()}, status=404)
    created = timezone.localtime(export.created_at)
    response = FileResponse(
        file,
        as_attachment=True,
        filename=f"grove-personal-data-{created:%Y-%m-%d}.zip",
        content_type="application/zip",
    )
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    return response
