"""The organization export's link, mailed to the client's managers (grove/retention/org_export.py).

No login: an ended organization's people can no longer log in, so the signed link is the key.
GET shows a page with the organization's name, the file's size and a button (a mail scanner
opening the link downloads nothing); POST streams the ZIP and logs the download. A forged,
expired or withdrawn link gets a page that says so (404 or 410, ACCESS_DENIED recorded); an
export still being prepared gets a page that says to come back later (202, Retry-After).
"""

from __future__ import annotations

from django.http import FileResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from .org_export import (
    ExportLinkRefused,
    ExportNotReady,
    export_from_link,
    link_expires_on,
    open_export_file,
    record_download,
)


def _unavailable(request, refusal: ExportLinkRefused):
    return render(
        request,
        "retention/export_unavailable.html",
        {"gone": refusal.status == 410},
        status=refusal.status,
    )


def _pending(request, pending: ExportNotReady):
    response = render(
        request,
        "retention/export_pending.html",
        {"organization": pending.export.organization},
        # Accepted, not done: a 5xx would be logged as a server error each time a link is early.
        status=202,
    )
    response["Retry-After"] = "3600"
    return response


@require_http_methods(["GET", "POST"])
@never_cache
def export_download_view(request, token):
    """GET: the page with the download button. POST: the ZIP, each time (until the purge)."""
    try:
        export, manager = export_from_link(token, request=request)
    except ExportLinkRefused as refusal:
        return _unavailable(request, refusal)
    except ExportNotReady as pending:
        return _pending(request, pending)
    organization = export.organization
    if request.method == "GET":
        return render(
            request,
            "retention/export_download.html",
            {
                "organization": organization,
                "export": export,
                "available_until": link_expires_on(organization),
            },
        )
    try:
        opened = open_export_file(export=export, manager=manager, request=request)
    except ExportLinkRefused as refusal:
        return _unavailable(request, refusal)
    record_download(export=export, manager=manager, request=request)
    ready = timezone.localtime(export.ready_at or export.created_at)
    response = FileResponse(
        opened,
        as_attachment=True,
        filename=f"grove-organization-export-{organization.slug}-{ready:%Y-%m-%d}.zip",
        content_type="application/zip",
    )
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    return response
