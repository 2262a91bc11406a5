import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .queries import STAFF_ACTOR, AccessLogFilters, action_choices


class AccessLogFilterForm(forms.Form):
    """The access log's filters, read from the query string (ids and dates only)."""

    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    actor = forms.CharField(label=_("Who"), required=False, max_length=36)
    action = forms.ChoiceField(label=_("Action"), required=False, choices=action_choices)

    def __init__(self, *args, actor_choices: list[tuple[str, str]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if actor_choices is not None:
            self.fields["actor"].widget = forms.Select(choices=actor_choices)

    def clean_actor(self) -> str:
        actor = self.cleaned_data["actor"]
        if actor in ("", STAFF_ACTOR):
            return actor
        try:
            return str(uuid.UUID(actor))
        except ValueError:
            raise ValidationError(_("Choose someone from the list.")) from None

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            raise ValidationError(_("The start date is after the end date."))
        return cleaned

    def filters(self) -> AccessLogFilters:
        """The valid filters (call after is_valid())."""
        data = self.cleaned_data
        return AccessLogFilters(
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            actor=data.get("actor") or "",
            action=data.get("action") or "",
        )
