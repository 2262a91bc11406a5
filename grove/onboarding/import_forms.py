"""Forms of the list import page: the upload, and the commit of a previewed list."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import UserImport

ACCEPTED_TYPES = (
    ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("User list (CSV or Excel .xlsx)"),
        help_text=_(
            "Columns: email, first name, last name, country, job type (English or French "
            "headers). Any other column is dropped and never stored."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPTED_TYPES}),
    )
    create_missing_job_types = forms.BooleanField(
        label=_("Create the job types the organization does not have yet"),
        required=False,
    )
    full_sync = forms.BooleanField(
        label=_("Preview a full sync (count the members missing from the list)"),
        required=False,
    )


class ImportCommitForm(forms.Form):
    valid_only = forms.BooleanField(
        label=_("Import valid rows only"),
        required=False,
        help_text=_("Rows with errors are left out and listed; the others are imported."),
    )
    full_sync = forms.BooleanField(
        label=_("Full sync: deactivate members missing from the list"),
        required=False,
        help_text=_(
            "Active members who are not in this list can no longer log in. Nobody is "
            "deleted and managers are never deactivated; they can be reactivated later."
        ),
    )

    def __init__(self, *args, user_import: UserImport, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user_import = user_import

    def clean(self):
        data = super().clean()
        if self.user_import.error_count and not data.get("valid_only"):
            count = self.user_import.error_count
            raise forms.ValidationError(
                ngettext(
                    "Nothing was imported: %(count)d row has an error and the import is all "
                    "or nothing. Tick “Import valid rows only” to import the other rows.",
                    "Nothing was imported: %(count)d rows have errors and the import is all "
                    "or nothing. Tick “Import valid rows only” to import the other rows.",
                    count,
                )
                % {"count": count},
                code="all_or_nothing",
            )
        if data.get("full_sync") and self.user_import.total_rows == 0:
            raise forms.ValidationError(
                _("A full sync needs a list with at least one row."), code="empty_full_sync"
            )
        return data
