"""Reads of the list imports, scoped to who asks."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from django.http import Http404
from django.utils.translation import gettext as _

from grove.core.csv import csv_lines
from grove.staff.authorization import Capability, permits
from grove.tenancy.context import tenant_context

from .importing import MESSAGES, PreviewLine
from .importing import preview_lines as _preview_lines
from .models import ImportIssue, UserImport
from .provisioning import MESSAGES as RECORD_MESSAGES


def user_import_for(*, user, organization, import_id) -> UserImport:
    """The organization's import ``import_id`` for a manager or a serving CSM; Http404 for
    anyone else, another organization's import, or an id that does not exist."""
    if not permits(user=user, organization=organization, capability=Capability.USERS_MANAGE):
        raise Http404
    try:
        pk = uuid.UUID(str(import_id))
    except ValueError:
        raise Http404 from None
    with tenant_context(organization):
        user_import = UserImport.objects.filter(pk=pk).select_related("organization").first()
    if user_import is None:
        raise Http404
    return user_import


def preview_lines(
    user_import: UserImport, *, offset: int = 0, limit: int = 50
) -> list[PreviewLine]:
    """A page of the previewed list with each line's outcome (create, update, unchanged,
    error), read again from the kept normalised file; empty once imported or discarded."""
    return _preview_lines(user_import, offset=offset, limit=limit)


def issue_message(code: str) -> str:
    """The reason shown for an issue code (never the refused value)."""
    message = RECORD_MESSAGES.get(code) or MESSAGES.get(code)
    return str(message) if message else code


def import_issues(user_import: UserImport, *, limit: int | None = None) -> list[ImportIssue]:
    """The import's refused lines, by line number (codes only)."""
    with tenant_context(user_import.organization_id):
        issues = ImportIssue.objects.filter(user_import=user_import).order_by("line", "id")
        return list(issues[:limit] if limit is not None else issues)


def issues_csv_lines(user_import: UserImport) -> Iterator[str]:
    """The issues as CSV (line, column, code, reason), cells neutralised (grove/core/csv.py)."""
    header = [_("line"), _("column"), _("code"), _("reason")]
    rows = (
        [issue.line, issue.field, issue.code, issue_message(issue.code)]
        for issue in import_issues(user_import)
    )
    return csv_lines([header, *rows])
