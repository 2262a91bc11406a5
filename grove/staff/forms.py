from django import forms
from django.utils.translation import gettext_lazy as _

from grove.accounts.second_factor import RESET_REASON_MAX_LENGTH

from .models import GRANT_DEFAULT_MINUTES
from .queries import assignable_csms, assignable_organizations, organization_by_slug

DURATION_CHOICES = [
    (30, _("30 minutes")),
    (60, _("1 hour")),
    (120, _("2 hours")),
    (240, _("4 hours")),
    (480, _("8 hours (the most)")),
]


class GrantRequestForm(forms.Form):
    organization = forms.SlugField(
        label=_("Organization identifier"),
        help_text=_("The client's identifier, as given in the incident or ticket."),
    )
    reason = forms.CharField(
        label=_("Why you need access"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        help_text=_("No personal data here: describe the problem, not the people."),
    )
    ticket_ref = forms.CharField(label=_("Incident or ticket reference"), max_length=100)
    duration_minutes = forms.TypedChoiceField(
        label=_("For how long"),
        choices=DURATION_CHOICES,
        coerce=int,
        initial=GRANT_DEFAULT_MINUTES,
    )

    def clean_organization(self):
        organization = organization_by_slug(self.cleaned_data["organization"])
        if organization is None:
            raise forms.ValidationError(_("No organization has this identifier."))
        return organization


class AssignmentForm(forms.Form):
    csm = forms.TypedChoiceField(label=_("Customer success manager"), coerce=str)
    organization = forms.TypedChoiceField(label=_("Organization"), coerce=str)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._csms = {str(u.pk): u for u in assignable_csms()}
        self._organizations = {str(o.pk): o for o in assignable_organizations()}
        self.fields["csm"].choices = [
            (pk, f"{u.display_name} ({u.display_email})") for pk, u in self._csms.items()
        ]
        self.fields["organization"].choices = [
            (pk, o.name) for pk, o in sorted(self._organizations.items(), key=lambda i: i[1].name)
        ]

    def clean_csm(self):
        return self._csms[self.cleaned_data["csm"]]

    def clean_organization(self):
        return self._organizations[self.cleaned_data["organization"]]


class SecondFactorResetForm(forms.Form):
    reason = forms.CharField(
        label=_("Why you reset this second factor"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=RESET_REASON_MAX_LENGTH,
        help_text=_(
            "For example: phone and recovery codes lost, identity checked by a video call. "
            "Recorded in the access log: no names or emails."
        ),
    )
