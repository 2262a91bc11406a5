"""Forms of the practices pages: they parse and check the shape of the input; the actions
decide everything else (and their ValidationError messages land back on these forms)."""

from __future__ import annotations

import datetime
import functools
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from grove.tenancy.models import JobType

from .models import Attachment, PracticeLanguage, Topic
from .queries import FeedFilters

if TYPE_CHECKING:
    from django.db.models import QuerySet

# At most this many files in one publish or edit form.
MAX_ATTACHMENTS_PER_FORM = 6
ACCEPTED_MEDIA_TYPES = "image/jpeg,image/png,image/webp,video/mp4"

ORDER_CHOICES = [("newest", _("Newest")), ("adopted", _("Most adopted"))]


def _country_choices(blank_label):
    return [("", blank_label), *_countries_in(get_language() or "")]


@functools.lru_cache(maxsize=16)
def _countries_in(language: str) -> tuple[tuple[str, str], ...]:
    # The 250 names, translated and sorted once per language (``language`` is the cache key:
    # iterating ``countries`` reads the active one).
    return tuple((code, str(name)) for code, name in countries)


class FeedFilterForm(forms.Form):
    """The feed's and the search's filters and order (a GET form: every field optional).

    Its selects are rendered by ``practices/_filters.html`` from ``rows`` (plain options, one
    query per model list): Django's widget templates cost 17 ms a page for the 250 countries.
    """

    PLAIN_SELECTS = ("topic", "country", "job_type", "order")

    topic: forms.ModelChoiceField[Topic] = forms.ModelChoiceField(
        label=_("Topic"), queryset=None, required=False, empty_label=_("All")
    )
    country = forms.ChoiceField(label=_("Country"), required=False, choices=())
    job_type: forms.ModelChoiceField[JobType] = forms.ModelChoiceField(
        label=_("Job type"), queryset=None, required=False, empty_label=_("All")
    )
    tag = forms.CharField(label=_("Tag"), required=False, max_length=50)
    order = forms.ChoiceField(label=_("Order"), required=False, choices=ORDER_CHOICES)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The scoped managers: only the current organization's topics and job types.
        self.fields["topic"].queryset = Topic.objects.all()
        self.fields["job_type"].queryset = JobType.objects.all()
        self.fields["country"].choices = _country_choices(_("All"))

    @property
    def rows(self) -> list[tuple[forms.BoundField, list[tuple[str, str, bool]] | None]]:
        """Each field with, for the selects, its options as (value, label, selected)."""
        return [
            (field, self._options(field) if field.name in self.PLAIN_SELECTS else None)
            for field in self
        ]

    def _options(self, bound: forms.BoundField) -> list[tuple[str, str, bool]]:
        field = cast(forms.ChoiceField, bound.field)  # PLAIN_SELECTS are all choice fields
        value = bound.value()
        current = "" if value is None else str(value)
        if isinstance(field, forms.ModelChoiceField):
            choices = [("", str(field.empty_label))] if field.empty_label is not None else []
            # One plain query (the widget's iterator would open a server-side cursor).
            # __init__ gave every model select its queryset.
            queryset = cast("QuerySet[Any]", field.queryset)
            choices += [(str(obj.pk), field.label_from_instance(obj)) for obj in queryset]
        else:
            # Django normalises a choice field's choices to a list of pairs.
            pairs = cast("list[tuple[object, object]]", field.choices)
            choices = [(str(key), str(label)) for key, label in pairs]
        return [(key, label, key == current) for key, label in choices]

    def filters(self) -> FeedFilters:
        if not self.is_valid():
            return FeedFilters()
        data = self.cleaned_data
        return FeedFilters(
            topic_id=str(data["topic"].pk) if data.get("topic") else None,
            country=data.get("country") or None,
            job_type_id=str(data["job_type"].pk) if data.get("job_type") else None,
            tag=(data.get("tag") or "").strip().lower() or None,
            order=data.get("order") or "newest",
        )


class SearchForm(FeedFilterForm):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)

    field_order = ["q"]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input (Django's documented recipe)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPTED_MEDIA_TYPES}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single_clean = super().clean
        if isinstance(data, list | tuple):
            return [single_clean(item, initial) for item in data if item]
        return [single_clean(data, initial)] if data else []


class PracticeForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    topic: forms.ModelChoiceField[Topic] = forms.ModelChoiceField(label=_("Topic"), queryset=None)
    body = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_(
            "Markdown: **bold**, *italics*, lists starting with “-”, links as [text](https://…). "
            "Say what you do, why it works and how a colleague can start."
        ),
    )
    language = forms.ChoiceField(label=_("Language"), choices=PracticeLanguage.choices)
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=600,
        help_text=_("Separated by commas, for example: checkout, queue, weekend."),
    )
    target_countries = forms.MultipleChoiceField(
        label=_("Only for these countries"),
        required=False,
        choices=(),
        help_text=_("None selected: everyone."),
    )
    target_job_types: forms.ModelMultipleChoiceField[JobType] = forms.ModelMultipleChoiceField(
        label=_("Only for these job types"),
        required=False,
        queryset=None,
        help_text=_("None selected: everyone."),
    )
    attachments = MultipleFileField(
        label=_("Photos and videos"),
        required=False,
        help_text=_("JPEG, PNG or WebP photos and short MP4 videos."),
    )

    remove_attachments: forms.ModelMultipleChoiceField[Attachment] = forms.ModelMultipleChoiceField(
        label=_("Remove these files"),
        required=False,
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, practice=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topic"].queryset = Topic.objects.all()
        self.fields["target_job_types"].queryset = JobType.objects.all()
        if practice is None:
            del self.fields["remove_attachments"]
        else:
            self.fields["remove_attachments"].queryset = practice.attachments.all()
            self.fields["remove_attachments"].label_from_instance = _attachment_label
        self.fields["target_countries"].choices = list(countries)
        self.fields["language"].choices = [
            (PracticeLanguage.ENGLISH, _("English")),
            (PracticeLanguage.FRENCH, _("French")),
        ]

    def clean_tags(self) -> list[str]:
        return [tag.strip() for tag in self.cleaned_data["tags"].split(",") if tag.strip()]

    def clean_attachments(self):
        files = self.cleaned_data["attachments"]
        if len(files) > MAX_ATTACHMENTS_PER_FORM:
            raise ValidationError(
                _("At most %(count)d files at a time."),
                params={"count": MAX_ATTACHMENTS_PER_FORM},
            )
        return files

    @classmethod
    def initial_for(cls, practice) -> dict:
        return {
            "title": practice.title,
            "topic": practice.topic_id,
            "body": practice.body,
            "language": practice.language,
            "tags": ", ".join(tag.name for tag in practice.tags.all()),
            "target_countries": [country.code for country in practice.target_countries],
            "target_job_types": [job.pk for job in practice.target_job_types.all()],
        }


def _attachment_label(attachment) -> str:
    if attachment.kind == "video":
        return _("Video %(position)d") % {"position": attachment.position + 1}
    return _("Photo %(position)d") % {"position": attachment.position + 1}


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Your comment"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    parent = forms.UUIDField(required=False, widget=forms.HiddenInput)


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason, sent to the author"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class BoostForm(forms.Form):
    until = forms.DateField(label=_("Boost until"), widget=forms.DateInput(attrs={"type": "date"}))

    def until_datetime(self) -> datetime.datetime:
        """The end of the chosen day, in the current time zone."""
        day = self.cleaned_data["until"]
        end = datetime.datetime.combine(day, datetime.time(23, 59))
        return timezone.make_aware(end)


class NameForm(forms.Form):
    """A topic's or a job type's name (add or rename)."""

    name = forms.CharField(label=_("Name"), max_length=100)


class OrganizationSettingsForm(forms.Form):
    practices_require_validation = forms.BooleanField(
        label=_("A manager validates each practice before it is published"),
        required=False,
        help_text=_(
            "Members' practices then wait in the moderation queue. Managers' own practices are "
            "published at once."
        ),
    )


class MemberSearchForm(forms.Form):
    q = forms.CharField(label=_("Name"), required=False, max_length=100)
