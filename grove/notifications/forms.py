from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import DigestFrequency


class PreferencesForm(forms.Form):
    digest_frequency = forms.ChoiceField(
        label=_("Digest of new practices by mail"),
        choices=DigestFrequency.choices,
        widget=forms.RadioSelect,
    )
    topics = forms.MultipleChoiceField(
        label=_("My topics"),
        help_text=_("The digest covers these topics; none chosen: every topic."),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, topics=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topics"].choices = [(str(topic.pk), topic.name) for topic in topics]
