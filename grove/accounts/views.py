"""Login, logout and password reset: thin views over the actions in actions.py."""

from django.conf import settings
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.tokens import default_token_generator
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from . import actions, throttle
from .forms import LoginForm, PasswordResetRequestForm
from .queries import user_for_password_reset_link

# The reset token moves from the URL into the session before the password form is shown, so
# the page holding the form carries no token (Django's PasswordResetConfirmView does the same).
RESET_TOKEN_SESSION_KEY = "_password_reset_token"  # noqa: S105 -- a key name
RESET_URL_TOKEN = "set-password"  # noqa: S105 -- a placeholder


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request):
    form = LoginForm(request, data=request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            actions.session_log_in(request=request, user=form.get_user())
            return redirect(_next_url(request) or settings.LOGIN_REDIRECT_URL)
        attempted_email = request.POST.get("username", "")
        if attempted_email and request.POST.get("password"):
            actions.login_failed(
                request=request,
                attempted_email=attempted_email,
                throttled=form.refused_attempt is not None,
            )
    context = {"form": form, "next": _next_url(request)}
    if form.refused_attempt is not None:
        response = render(request, "accounts/login.html", context, status=429)
        response["Retry-After"] = str(form.refused_attempt.retry_after_seconds)
        return response
    return render(request, "accounts/login.html", context)


@require_POST
def logout_view(request):
    actions.session_log_out(request=request)
    return redirect(settings.LOGOUT_REDIRECT_URL)


@csrf_protect
def password_reset_request_view(request):
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        # Counted per email, known or not; past the limit no mail leaves.
        if throttle.count_password_reset_request(email).allowed:
            actions.password_reset_request(request=request, email=email)
        # The same answer whether or not an account exists, or a mail was sent.
        return redirect("accounts:password_reset_sent")
    return render(request, "accounts/password_reset_request.html", {"form": form})


def password_reset_sent_view(request):
    return render(request, "accounts/password_reset_sent.html")


@sensitive_post_parameters("new_password1", "new_password2")
@csrf_protect
@never_cache
def password_reset_confirm_view(request, uidb64, token):
    user = user_for_password_reset_link(uidb64)
    if user is not None and token != RESET_URL_TOKEN:
        if default_token_generator.check_token(user, token):
            request.session[RESET_TOKEN_SESSION_KEY] = token
            return redirect("accounts:password_reset_confirm", uidb64=uidb64, token=RESET_URL_TOKEN)
        user = None
    if user is not None and not default_token_generator.check_token(
        user, request.session.get(RESET_TOKEN_SESSION_KEY, "")
    ):
        user = None
    if user is None:
        return render(request, "accounts/password_reset_confirm.html", {"valid_link": False})

    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        actions.password_reset_complete(
            request=request, user=user, new_password=form.cleaned_data["new_password1"]
        )
        # Whoever reset the password holds the mailbox: a throttled login is lifted.
        throttle.clear_login_attempts(user.email)
        del request.session[RESET_TOKEN_SESSION_KEY]
        return redirect("accounts:password_reset_done")
    return render(
        request, "accounts/password_reset_confirm.html", {"valid_link": True, "form": form}
    )


def password_reset_done_view(request):
    return render(request, "accounts/password_reset_done.html")


def _next_url(request) -> str:
    """Where to go after logging in, if the request names a safe place on this site."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""
