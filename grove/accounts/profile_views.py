"""The person's own profile: what Grove holds about them, and their interface language."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from . import actions


class LanguageForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Interface language"),
        required=False,
        widget=forms.RadioSelect,
        help_text=_(
            "Grove’s menus and messages; practices keep the language they were written in."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Language names in their own language: whoever reads them can find theirs.
        self.fields["language"].choices = [
            ("", _("The browser’s language")),
            *settings.LANGUAGES,
        ]


@require_http_methods(["GET", "POST"])
@login_required
def profile_view(request):
    user = request.user
    form = LanguageForm(
        request.POST if request.method == "POST" else None, initial={"language": user.language}
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.user_language_set(actor=user, language=form.cleaned_data["language"])
        except ValidationError as error:
            form.add_error("language", error.messages)
        else:
            messages.success(request, _("Your language is saved."))
            return redirect("accounts:profile")
    return render(
        request,
        "accounts/profile.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )
