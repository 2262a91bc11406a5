"""The forms of the data-subject request pages. They check shape only; who may do what and
which step is allowed from which state is the actions' business (grove/rights/actions.py)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_countries import countries

from .models import Channel, RefusalGround, RequestType
from .verification import normalized

# What a person may ask without being logged in: a rectification needs the new values, typed
# where the person is known (their profile, or a CSM who has them).
PUBLIC_TYPES = [choice for choice in RequestType.choices if choice[0] != RequestType.RECTIFICATION]
# A CSM records what came another way; the profile and the public form are their own channels.
RECORDED_CHANNELS = [
    choice for choice in Channel.choices if choice[0] not in (Channel.PROFILE, Channel.WEB_FORM)
]
RECTIFIABLE_FIELDS = ("first_name", "last_name", "country", "job_type")


# What each type gets the person, shown under its choice.
TYPE_HELP = {
    RequestType.ACCESS: _("A copy of everything Grove holds about you, as a ZIP file."),
    RequestType.RECTIFICATION: _("Your name, country or job type corrected."),
    RequestType.ERASURE: _(
        "Your account and personal data erased. Practices you wrote stay for your "
        "organization, shown as by a former member, unless it asks otherwise."
    ),
    RequestType.PORTABILITY: _(
        "Your data in a machine-readable format (JSON and CSV), to take to another service."
    ),
    RequestType.OBJECTION: _("Object to a use of your data; we review it with you."),
    RequestType.RESTRICTION: _(
        "Ask us to keep your data but stop using it while a question is settled."
    ),
}


def type_choices(choices) -> list[dict]:
    """The radio choices with their explanation, for the templates."""
    return [{"value": value, "help": TYPE_HELP.get(value, "")} for value, _label in choices]


def _country_choices():
    return [("", _("No country"))] + list(countries)


class RectificationFields(forms.Form):
    """The new values of a rectification: names, country, job type (only the ones that change
    are kept; at least one must)."""

    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    country = forms.ChoiceField(label=_("Country"), required=False)
    job_type = forms.ChoiceField(label=_("Job type"), required=False)

    def __init__(self, *args, subject=None, job_types=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.subject = subject
        self.fields["country"].choices = _country_choices()
        self._job_types = {str(job.pk): job for job in job_types}
        self.fields["job_type"].choices = [("", _("No job type"))] + [
            (pk, job.name) for pk, job in self._job_types.items()
        ]
        if subject is not None:
            self.initial.setdefault("first_name", subject.first_name)
            self.initial.setdefault("last_name", subject.last_name)
            self.initial.setdefault("country", str(subject.country or ""))
            self.initial.setdefault(
                "job_type", str(subject.job_type_id) if subject.job_type_id else ""
            )

    def clean_job_type(self):
        value = self.cleaned_data.get("job_type") or ""
        if value and value not in self._job_types:
            raise forms.ValidationError(_("Choose one of the job types listed."))
        return value

    def changes(self) -> dict:
        """{field: new value} for the fields that differ from the person's current values
        (job type as its id, country as its code, "" to clear)."""
        subject = self.subject
        current = {
            "first_name": subject.first_name if subject else "",
            "last_name": subject.last_name if subject else "",
            "country": str(subject.country or "") if subject else "",
            "job_type": str(subject.job_type_id or "") if subject else "",
        }
        wanted = {name: (self.cleaned_data.get(name) or "").strip() for name in RECTIFIABLE_FIELDS}
        return {name: value for name, value in wanted.items() if value != current[name]}


class FileRequestForm(RectificationFields):
    """The person's own request, from their profile."""

    request_type = forms.ChoiceField(
        label=_("What do you want?"),
        choices=RequestType.choices,
        widget=forms.RadioSelect,
    )
    field_order = ["request_type", *RECTIFIABLE_FIELDS]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("request_type") == RequestType.RECTIFICATION and not self.errors:
            if not self.changes():
                raise forms.ValidationError(
                    _("Change at least one of your details: they are the same as now.")
                )
            if "first_name" in self.changes() and not self.changes()["first_name"]:
                self.add_error("first_name", _("Your first name cannot be empty."))
            if "last_name" in self.changes() and not self.changes()["last_name"]:
                self.add_error("last_name", _("Your last name cannot be empty."))
        return cleaned

    def rectification(self) -> dict | None:
        if self.cleaned_data.get("request_type") != RequestType.RECTIFICATION:
            return None
        return self.changes()


class PublicRequestForm(forms.Form):
    """The public form: no login, the identity is checked by a code sent to the address."""

    email = forms.EmailField(
        label=_("Your business email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_("The address you use to log in to Grove."),
    )
    request_type = forms.ChoiceField(
        label=_("What do you want?"), choices=PUBLIC_TYPES, widget=forms.RadioSelect
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("The 6-digit code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "pattern": r"[0-9 ]{6,11}",
                "size": 8,
            }
        ),
    )

    def clean_code(self):
        code = normalized(self.cleaned_data["code"])
        if code is None:
            raise forms.ValidationError(_("Type the 6 digits of the code, nothing else."))
        return code


class RecordRequestForm(RectificationFields):
    """A CSM records a request received by mail, phone, through the client or otherwise."""

    organization = forms.ChoiceField(label=_("Organization"))
    email = forms.EmailField(
        label=_("The person's business email"),
        max_length=254,
        help_text=_("The person the request is about: a user of that organization."),
    )
    request_type = forms.ChoiceField(label=_("Type of request"), choices=RequestType.choices)
    channel = forms.ChoiceField(label=_("Received by"), choices=RECORDED_CHANNELS)
    field_order = ["organization", "email", "request_type", "channel", *RECTIFIABLE_FIELDS]

    def __init__(self, *args, organizations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._organizations = {str(org.pk): org for org in organizations}
        self.fields["organization"].choices = [
            (pk, org.name) for pk, org in self._organizations.items()
        ]
        # The person is not known yet: the values are typed as asked, nothing to compare with.
        for name in RECTIFIABLE_FIELDS:
            self.fields[name].help_text = _("Only for a rectification: the new value asked for.")
        # Typed by name: the organizations served each have their own list.
        self.fields["job_type"] = forms.CharField(
            label=_("Job type"),
            max_length=150,
            required=False,
            help_text=_(
                "Only for a rectification: the job type's name, as the organization lists it."
            ),
        )

    def clean_organization(self):
        return self._organizations[self.cleaned_data["organization"]]

    def clean_job_type(self):
        return (self.cleaned_data.get("job_type") or "").strip()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("request_type") == RequestType.RECTIFICATION and not any(
            (cleaned.get(name) or "").strip() for name in RECTIFIABLE_FIELDS
        ):
            raise forms.ValidationError(
                _("A rectification needs at least one new value (names, country or job type).")
            )
        return cleaned


class NoteForm(forms.Form):
    """Identity confirmed by the CSM (how: a call back, a known mailbox...)."""

    note = forms.CharField(
        label=_("How the identity was confirmed"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For example: called back on the number the client holds. No personal data."),
    )


def extension_choices():
    most = settings.GROVE_DSR_MAX_EXTENSION_MONTHS
    return [
        (months, ngettext("%(months)d month", "%(months)d months", months) % {"months": months})
        for months in range(1, most + 1)
    ]


class ExtendForm(forms.Form):
    months = forms.TypedChoiceField(label=_("Extend by"), coerce=int, choices=())
    reason = forms.CharField(
        label=_("Why more time is needed"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Sent to the person with the notice of the extension."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["months"].choices = extension_choices()


class RefusalForm(forms.Form):
    """A refusal (proposed by the CSM, or made by the officer): its lawful ground, explained."""

    refusal_ground = forms.ChoiceField(label=_("Lawful ground"), choices=RefusalGround.choices)
    refusal_details = forms.CharField(
        label=_("Explanation sent to the person"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ErasureApprovalForm(forms.Form):
    """Ask the officer to approve an erasure; the successor when the person is the last
    manager of their organization."""

    successor_manager = forms.ChoiceField(label=_("Who becomes manager instead"), required=False)

    def __init__(self, *args, candidates=(), needs_successor=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.needs_successor = needs_successor
        self._candidates = {str(user.pk): user for user in candidates}
        self.fields["successor_manager"].choices = [("", _("Choose a member"))] + [
            (pk, f"{user.display_name} ({user.display_email})")
            for pk, user in self._candidates.items()
        ]
        self.fields["successor_manager"].required = needs_successor
        if not needs_successor:
            self.fields["successor_manager"].widget = forms.HiddenInput()

    def clean_successor_manager(self):
        value = self.cleaned_data.get("successor_manager") or ""
        if not value:
            if self.needs_successor:
                raise forms.ValidationError(
                    _("The person is the organization's last manager: choose who takes over.")
                )
            return None
        if value not in self._candidates:
            raise forms.ValidationError(_("Choose one of the members listed."))
        return self._candidates[value]


class DecisionForm(forms.Form):
    """The officer's decision on an erasure or a proposed refusal."""

    decision = forms.ChoiceField(choices=[("approve", "approve"), ("reject", "reject")])
    refusal_ground = forms.ChoiceField(
        label=_("Lawful ground (when rejecting an erasure)"),
        choices=[("", "—"), *RefusalGround.choices],
        required=False,
    )
    refusal_details = forms.CharField(
        label=_("Explanation (when rejecting)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class StateFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), required=False)
    organization = forms.ChoiceField(label=_("Organization"), required=False)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args, organizations=(), **kwargs):
        from .models import RequestState

        super().__init__(*args, **kwargs)
        self.fields["state"].choices = [
            ("", _("All open")),
            ("all", _("All, closed included")),
            *[choice for choice in RequestState.choices if choice[0] != RequestState.MERGED],
        ]
        # Staff serving several organizations pick one; a manager has only their own.
        if len(organizations) > 1:
            self.fields["organization"].choices = [("", _("All organizations"))] + [
                (str(org.pk), org.name) for org in organizations
            ]
        else:
            del self.fields["organization"]
