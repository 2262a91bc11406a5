"""The staff retention forms: end a contract early, place a legal hold, release one.

Validation of what a person typed lives here; who may do it is the actions' decision
(grove/retention/lifecycle.py, holds.py), whose refusals the views show.
"""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .queries import member_by_email

REASON_HELP = _("No personal data here: the ticket, the contract clause or the legal ground.")


class EndEarlyForm(forms.Form):
    """The contract's last day becomes today: confirmed by typing the organization's name."""

    reason = forms.CharField(
        label=_("Why the contract ends early"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=REASON_HELP,
    )
    confirm_name = forms.CharField(
        label=_("Type the organization's name to confirm"),
        max_length=200,
        help_text=_("Its members can no longer log in from now on; the purge follows."),
    )

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, prefix="end", **kwargs)
        self.organization = organization

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Give the reason."))
        return reason

    def clean_confirm_name(self):
        typed = self.cleaned_data["confirm_name"].strip()
        if typed.casefold() != self.organization.name.strip().casefold():
            raise forms.ValidationError(
                _("This is not the organization's name: nothing was changed.")
            )
        return typed


ORGANIZATION_SCOPE = "organization"
USER_SCOPE = "user"


class HoldPlaceForm(forms.Form):
    scope = forms.ChoiceField(
        label=_("Scope"),
        choices=[
            (ORGANIZATION_SCOPE, _("The whole organization")),
            (USER_SCOPE, _("One member")),
        ],
        initial=ORGANIZATION_SCOPE,
        widget=forms.RadioSelect,
    )
    member_email = forms.EmailField(
        label=_("The member's business email"),
        required=False,
        help_text=_("Only for a hold on one member."),
    )
    until = forms.DateField(
        label=_("Until (inclusive)"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The held purges run the day after, unless the hold is released earlier."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=REASON_HELP,
    )

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, prefix="hold", **kwargs)
        self.organization = organization

    def clean_until(self):
        until = self.cleaned_data["until"]
        if until < timezone.localdate():
            raise forms.ValidationError(_("The date has passed: choose today or a later day."))
        return until

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Give the reason."))
        return reason

    def clean(self):
        cleaned = super().clean()
        cleaned["member"] = None
        if cleaned.get("scope") == USER_SCOPE:
            email = cleaned.get("member_email")
            if not email:
                self.add_error("member_email", _("Give the member's business email."))
            else:
                member = member_by_email(self.organization, email)
                if member is None:
                    self.add_error(
                        "member_email", _("No member of this organization has this email.")
                    )
                cleaned["member"] = member
        return cleaned


class HoldReleaseForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the hold is released"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        help_text=REASON_HELP,
    )

    def __init__(self, *args, hold=None, **kwargs):
        prefix = f"release-{hold.pk}" if hold is not None else "release"
        super().__init__(*args, prefix=prefix, **kwargs)

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Give the reason."))
        return reason
