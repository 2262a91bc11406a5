from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    """Django's login form, asking for the business email (the login) and a password."""

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


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField(
        label=_("Business email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
