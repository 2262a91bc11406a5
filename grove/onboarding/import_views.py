"""The list import page: upload, preview, commit (as a task, with a progress bar), discard.

A client manager imports into their own organization at /onboarding/import/; a CSM serving an
organization at /onboarding/import/org/<id or slug>/. Both go through
``grove.staff.authorization`` with USERS_MANAGE; an import of another organization, or a
forged id, is a 404 (``user_import_for``). Thin views over onboarding/actions.py and
onboarding/queries.py; the actions record the imports' events (preview, commit, discard), the
pages their reads (LIST of the recent imports, VIEW of an import's page, DOWNLOAD of its
issues), never the progress fragment polled every 2 s.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from grove.audit.events import record_event
from grove.audit.models import AuditAction
from grove.staff.authorization import (
    Access,
    Capability,
    access_scope,
    authorize,
    organization_for,
)

from . import importing
from .actions import import_discard, import_enqueue, import_preview
from .import_forms import ImportCommitForm, ImportUploadForm
from .importing import COLUMN_LABELS, ImportOptions, ImportRefused
from .models import ImportStatus, UserImport
from .queries import (
    import_issues,
    issue_message,
    issues_csv_lines,
    preview_lines,
    user_import_for,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# The largest list accepted (the action checks it again on the file itself). A request whose
# announced length exceeds it by more than a form's fields is refused before its body is read.
MAX_IMPORT_BYTES = importing.MAX_FILE_BYTES
FORM_OVERHEAD_BYTES = 64 * 1024
PREVIEW_LINES_SHOWN = 100
ISSUES_SHOWN = 500
RECENT_IMPORTS_SHOWN = 20
POLL_SECONDS = 2

STATUS_LABELS: dict[str, StrOrPromise] = {
    ImportStatus.PREVIEWED: gettext_lazy("Preview ready"),
    ImportStatus.QUEUED: gettext_lazy("Queued"),
    ImportStatus.RUNNING: gettext_lazy("Running"),
    ImportStatus.DONE: gettext_lazy("Done"),
    ImportStatus.REJECTED: gettext_lazy("Rejected: nothing imported"),
    ImportStatus.FAILED: gettext_lazy("Failed"),
    ImportStatus.DISCARDED: gettext_lazy("Discarded"),
}
OUTCOME_LABELS = {
    "create": gettext_lazy("Will create"),
    "update": gettext_lazy("Will update"),
    "unchanged": gettext_lazy("Unchanged"),
    "error": gettext_lazy("Error"),
}
# Statuses the page keeps polling on; a finished import's fragment carries no trigger.
IN_PROGRESS = (ImportStatus.QUEUED, ImportStatus.RUNNING)
# A previewed list that may still be committed (a rejected or failed one, again).
COMMITTABLE_ON_PAGE = (ImportStatus.PREVIEWED, ImportStatus.REJECTED, ImportStatus.FAILED)


def max_import_bytes() -> int:
    return MAX_IMPORT_BYTES


# --- Access and URLs ----------------------------------------------------------------------------


def _access(request, organization: str | None) -> Access:
    """The caller's USERS_MANAGE access to the organization named in the URL (staff) or to
    their own (managers); a logged 404 otherwise."""
    user = request.user
    if organization is not None:
        return organization_for(
            user=user,
            organization_id_or_slug=organization,
            capability=Capability.USERS_MANAGE,
            request=request,
        )
    if user.organization_id is None:
        raise Http404("Not found.")  # staff name the organization in the URL
    return authorize(
        user=user,
        organization=user.organization,
        capability=Capability.USERS_MANAGE,
        request=request,
    )


def _url(name: str, organization: str | None, *args) -> str:
    if organization is None:
        return reverse(f"user_import:{name}", args=args)
    return reverse(f"user_import:org_{name}", args=[organization, *args])


def _import_for(request, access: Access, import_id) -> UserImport:
    return user_import_for(user=request.user, organization=access.organization, import_id=import_id)


def _invitations_url(organization: str | None) -> str:
    if organization is None:
        return reverse("accounts:invitations")
    return reverse("accounts:org_invitations", args=[organization])


# --- Upload -------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@csrf_exempt
@never_cache
@login_required
def import_upload_view(request, organization: str | None = None):
    # The CSRF check reads the body: the size is checked first, then the inner view checks it.
    access = _access(request, organization)
    if request.method == "POST" and _announced_length(request) > (
        max_import_bytes() + FORM_OVERHEAD_BYTES
    ):
        return _render_upload(
            request,
            access,
            organization,
            ImportUploadForm(),
            status=413,
            refusal=_too_big_message(),
        )
    return _import_upload(request, access, organization)


@csrf_protect
def _import_upload(request, access: Access, organization: str | None):
    posted = request.method == "POST"
    form = ImportUploadForm(request.POST if posted else None, request.FILES if posted else None)
    if posted and form.is_valid():
        options = ImportOptions(
            create_missing_job_types=form.cleaned_data["create_missing_job_types"],
            full_sync=form.cleaned_data["full_sync"],
            max_bytes=max_import_bytes(),
        )
        try:
            with access_scope(access):
                user_import = import_preview(
                    actor=request.user,
                    organization=access.organization,
                    uploaded_file=form.cleaned_data["file"],
                    source="web",
                    options=options,
                )
        except ImportRefused as refusal:
            form.add_error("file", refusal.message)
        except ValidationError as error:
            form.add_error("file", error.messages)
        else:
            return redirect(_url("detail", organization, user_import.pk))
    status = 400 if request.method == "POST" else 200
    return _render_upload(request, access, organization, form, status=status)


def _announced_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _too_big_message() -> str:
    limit_mb = max_import_bytes() / (1024 * 1024)
    return _("The file is larger than %(max_mb)s MB. Split the list and import each part.") % {
        "max_mb": f"{limit_mb:g}"
    }


def _render_upload(
    request, access: Access, organization: str | None, form, *, status: int, refusal: str = ""
):
    return render(
        request,
        "onboarding/import_upload.html",
        {
            "organization": access.organization,
            "organization_param": organization,
            "form": form,
            "refusal": refusal,
            "recent_imports": _recent_imports(request, access),
            "max_mb": f"{max_import_bytes() / (1024 * 1024):g}",
            "max_rows": number_format(importing.MAX_ROWS, force_grouping=True),
            "invitations_url": _invitations_url(organization),
        },
        status=status,
    )


def _recent_imports(request, access: Access) -> list[dict]:
    """The organization's latest imports, with who started them (never a staff member's name
    shown to a client: "Grove staff"). Lists ids only in its LIST event."""
    with access_scope(access):
        imports = list(
            UserImport.objects.select_related("created_by").order_by("-created_at")[
                :RECENT_IMPORTS_SHOWN
            ]
        )
    if imports:
        record_event(
            action=AuditAction.LIST,
            actor=request.user,
            organization=access.organization,
            object_type="user_import",
            object_ids=[item.pk for item in imports],
            request=request,
            grant=access.grant,
            read=True,
        )
    return [
        {
            "item": item,
            "status_label": STATUS_LABELS.get(item.status, item.status),
            "who": _who(item, access),
        }
        for item in imports
    ]


def _who(item: UserImport, access: Access) -> str:
    if item.created_by_id is None:
        # Unlinked by the person's erasure (a web upload), or the operators' command line.
        return _("Former member") if item.source == "web" else _("Command line")
    person = item.created_by
    if person is not None and person.organization_id == access.organization.pk:
        return person.display_name or person.email
    return _("Grove staff")


# --- Preview, commit, discard -------------------------------------------------------------------


@require_GET
@never_cache
@login_required
def import_detail_view(request, import_id, organization: str | None = None):
    access = _access(request, organization)
    user_import = _import_for(request, access, import_id)
    # The page shows the list's first lines (emails and names): a read of personal data.
    record_event(
        action=AuditAction.VIEW,
        actor=request.user,
        organization=access.organization,
        object_type="user_import",
        object_ids=[user_import.pk],
        request=request,
        grant=access.grant,
        read=True,
    )
    return _render_detail(
        request,
        access,
        organization,
        user_import,
        ImportCommitForm(initial={"full_sync": user_import.full_sync}, user_import=user_import),
    )


def _render_detail(request, access, organization, user_import, form, *, status: int = 200):
    committable = user_import.status in COMMITTABLE_ON_PAGE and bool(user_import.normalised_file)
    with access_scope(access):
        issues = import_issues(user_import, limit=ISSUES_SHOWN)
        lines = preview_lines(user_import, limit=PREVIEW_LINES_SHOWN) if committable else []
    reasons: dict[int, list[str]] = {}
    issue_rows = []
    for issue in issues:
        message = issue_message(issue.code)
        column = str(COLUMN_LABELS.get(issue.field, "")) if issue.field else ""
        issue_rows.append({"line": issue.line, "column": column, "message": message})
        reasons.setdefault(issue.line, []).append(message)
    line_rows = [
        {
            "line": line,
            "outcome_label": OUTCOME_LABELS.get(line.outcome, line.outcome),
            "reasons": reasons.get(line.line, []),
        }
        for line in lines
    ]
    return render(
        request,
        "onboarding/import_detail.html",
        {
            "organization": access.organization,
            "organization_param": organization,
            "user_import": user_import,
            "status_label": STATUS_LABELS.get(user_import.status, user_import.status),
            "dropped_columns": ", ".join(user_import.dropped_columns),
            "issue_rows": issue_rows,
            "issues_truncated": len(issue_rows) >= ISSUES_SHOWN,
            "issues_shown": ISSUES_SHOWN,
            "line_rows": line_rows,
            "preview_lines_shown": PREVIEW_LINES_SHOWN,
            "committable": committable,
            "form": form,
            **_progress_context(user_import, organization),
        },
        status=status,
    )


def _progress_context(user_import: UserImport, organization: str | None) -> dict:
    total = user_import.total_rows
    done = min(user_import.rows_done, total)
    return {
        "user_import": user_import,
        "status_label": STATUS_LABELS.get(user_import.status, user_import.status),
        "in_progress": user_import.status in IN_PROGRESS,
        "finished": user_import.status
        in (ImportStatus.DONE, ImportStatus.REJECTED, ImportStatus.FAILED),
        "rows_total": total,
        "rows_done": done,
        "percent": (100 * done // total) if total else 0,
        # New people are invited as they are created (active, not yet activated).
        "invitations_sent": user_import.created_count
        if user_import.status == ImportStatus.DONE
        else 0,
        "progress_url": _url("progress", organization, user_import.pk),
        "detail_url": _url("detail", organization, user_import.pk),
        "invitations_url": _invitations_url(organization),
        "upload_url": _url("upload", organization),
        "poll_seconds": POLL_SECONDS,
    }


@require_POST
@never_cache
@login_required
def import_commit_view(request, import_id, organization: str | None = None):
    access = _access(request, organization)
    user_import = _import_for(request, access, import_id)
    if user_import.status not in COMMITTABLE_ON_PAGE or not user_import.normalised_file:
        messages.error(request, _("This list can no longer be imported."))
        return redirect(_url("detail", organization, user_import.pk))
    form = ImportCommitForm(request.POST, user_import=user_import)
    if not form.is_valid():
        return _render_detail(request, access, organization, user_import, form, status=400)
    try:
        with access_scope(access):
            import_enqueue(
                actor=request.user,
                user_import=user_import,
                valid_only=form.cleaned_data["valid_only"],
                full_sync=form.cleaned_data["full_sync"],
            )
    except ValueError:  # a second submit of the same list: the first one queued it
        messages.error(request, _("This list can no longer be imported."))
    return redirect(_url("detail", organization, user_import.pk))


@require_POST
@never_cache
@login_required
def import_discard_view(request, import_id, organization: str | None = None):
    access = _access(request, organization)
    user_import = _import_for(request, access, import_id)
    if user_import.status not in COMMITTABLE_ON_PAGE:
        messages.error(request, _("This list can no longer be discarded."))
        return redirect(_url("detail", organization, user_import.pk))
    with access_scope(access):
        import_discard(actor=request.user, user_import=user_import)
    messages.success(request, _("The list was discarded: nothing was imported."))
    return redirect(_url("upload", organization))


@require_GET
@never_cache
@login_required
def import_progress_view(request, import_id, organization: str | None = None):
    """The progress fragment the page polls (htmx); without htmx, the whole page."""
    access = _access(request, organization)
    user_import = _import_for(request, access, import_id)
    if not request.htmx:
        return redirect(_url("detail", organization, user_import.pk))
    return render(
        request,
        "onboarding/import_progress.html",
        _progress_context(user_import, organization),
    )


@require_GET
@never_cache
@login_required
def import_issues_csv_view(request, import_id, organization: str | None = None):
    """The refused lines as CSV: line, column, code and reason (never a value)."""
    access = _access(request, organization)
    user_import = _import_for(request, access, import_id)
    with access_scope(access):
        lines = list(issues_csv_lines(user_import))
    record_event(
        action=AuditAction.DOWNLOAD,
        actor=request.user,
        organization=access.organization,
        object_type="user_import",
        object_ids=[user_import.pk],
        request=request,
        grant=access.grant,
        read=True,
        details={"issues": len(lines) - 1},
    )
    response = HttpResponse("".join(lines), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="import-issues-{str(user_import.pk)[:8]}.csv"'
    )
    return response
