from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import throttle


class LoginForm(AuthenticationForm):
    """Django's login form, asking for the business email (the login) and a password.

    Each password attempt is counted per login before the password is checked (throttle.py):
    past the limit, the attempt is refused unchecked, whether or not the account exists.
    """

    error_messages = {
        **AuthenticationForm.error_messages,
        # One message for every refusal: it never says whether the account exists.
        "invalid_login": _("Please enter a correct business email and password."),
        "inactive": _("Please enter a correct business email and password."),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        login_field = self.fields["username"]
        login_field.label = _("Business email")
        login_field.widget.input_type = "email"
        login_field.widget.attrs["autocomplete"] = "email"
        # Set when the attempt was refused by the throttle (the view answers 429).
        self.refused_attempt: throttle.Attempt | None = None

    def clean(self):
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if email and password:
            attempt = throttle.count_login_attempt(email)
            if not attempt.allowed:
                self.refused_attempt = attempt
                minutes = attempt.retry_after_minutes
                raise ValidationError(
                    ngettext(
                        "Too many failed attempts for this login. Try again in %(minutes)d "
                        "minute, or reset your password.",
                        "Too many failed attempts for this login. Try again in %(minutes)d "
                        "minutes, or reset your password.",
                        minutes,
                    ),
                    code="throttled",
                    params={"minutes": minutes},
                )
        cleaned_data = super().clean()
        if self.user_cache is not None:  # right password, and the account may log in
            throttle.clear_login_attempts(email)
        return cleaned_data


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField(
        label=_("Business email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
