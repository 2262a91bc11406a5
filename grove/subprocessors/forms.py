from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ChangeKind, Subprocessor, SubprocessorStatus
from .registry import CATEGORY_CHOICES, EDITABLE_FIELDS, format_locations, parse_locations

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class ProposeForm(forms.Form):
    """A proposal about one subprocessor (or a new one): the kind, its values (prefilled with
    the current ones), and the impact on personal data. The action checks the values.

    The subprocessor is fixed by the page (never a choice in the form): values prefilled from
    one subprocessor can never be proposed for another.
    """

    kind = forms.ChoiceField(
        label=_("What do you propose?"), choices=ChangeKind.choices, widget=forms.RadioSelect
    )
    name = forms.CharField(label=_("Name"), max_length=120, required=False)
    service = forms.CharField(label=_("Service"), max_length=200, required=False)
    purpose = forms.CharField(
        label=_("Purpose"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    data_categories = forms.MultipleChoiceField(
        label=_("Data categories processed"),
        choices=CATEGORY_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    data_subjects = forms.CharField(label=_("Data subjects"), max_length=200, required=False)
    locations = forms.CharField(
        label=_("Locations"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("One per line: country, a colon, then the region (e.g. Ireland: Dublin)."),
    )
    transfer_safeguards = forms.CharField(
        label=_("Transfer safeguards"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    dpa_reference = forms.CharField(label=_("DPA reference"), max_length=200, required=False)
    security_contact = forms.CharField(
        label=_("Security contact"),
        max_length=200,
        required=False,
        help_text=_("The vendor's role address, not a person's."),
    )
    has_personal_data_impact = forms.BooleanField(
        label=_("This change has an impact on personal data (clients will be notified)"),
        required=False,
        initial=True,
    )
    impact = forms.CharField(
        label=_("Impact on personal data"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
        help_text=_("What changes for the data, for whom, and where. No personal data here."),
    )

    def __init__(self, *args, subprocessor: Subprocessor | None, **kwargs):
        kwargs.setdefault("initial", self.initial_for(subprocessor))
        super().__init__(*args, **kwargs)
        self.subprocessor = subprocessor
        cast(forms.ChoiceField, self.fields["kind"]).choices = self.kinds_for(subprocessor)

    @staticmethod
    def kinds_for(subprocessor: Subprocessor | None) -> list[tuple[str, StrOrPromise]]:
        """A new subprocessor is added; an active one changed or removed; a retired one
        only added again."""
        if subprocessor is None or subprocessor.status == SubprocessorStatus.RETIRED:
            return [(ChangeKind.ADD, _("Addition"))]
        if subprocessor.status == SubprocessorStatus.ACTIVE:
            return [(ChangeKind.MODIFY, _("Change")), (ChangeKind.REMOVE, _("Removal"))]
        return []

    def clean_locations(self):
        return parse_locations(self.cleaned_data["locations"])

    def proposed_values(self) -> dict:
        if self.cleaned_data["kind"] == ChangeKind.REMOVE:
            return {}
        return {field: self.cleaned_data[field] for field in EDITABLE_FIELDS}

    @staticmethod
    def initial_for(subprocessor: Subprocessor | None) -> dict:
        if subprocessor is None:
            return {"kind": ChangeKind.ADD}
        initial = {field: getattr(subprocessor, field) for field in EDITABLE_FIELDS}
        initial["locations"] = format_locations(subprocessor.locations)
        initial["kind"] = (
            ChangeKind.ADD
            if subprocessor.status == SubprocessorStatus.RETIRED
            else ChangeKind.MODIFY
        )
        return initial


class ApproveForm(forms.Form):
    effective_on = forms.DateField(
        label=_("Takes effect on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    summary = forms.CharField(
        label=_("Notice to clients: what changes"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=4000,
    )
    implications = forms.CharField(
        label=_("Notice to clients: what it means for their data"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=4000,
    )
    note = forms.CharField(
        label=_("Decision note"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=4000,
    )


class RejectForm(forms.Form):
    note = forms.CharField(
        label=_("Why it is rejected"), widget=forms.Textarea(attrs={"rows": 2}), max_length=4000
    )


class ObjectionForm(forms.Form):
    objection = forms.CharField(
        label=_("Your objection"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
        help_text=_("What you object to and why; your CSM will answer."),
    )


class ResolutionForm(forms.Form):
    resolution = forms.CharField(
        label=_("How the objection was resolved"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
    )
