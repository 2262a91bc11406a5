"""The API token page: a member's own tokens (a manager's: the organization's), create one
(its secret shown once, on the answer to the form, never again) and revoke."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from . import actions, queries
from .auth import is_client_member
from .forms import ApiTokenForm


def _member(request):
    # Operator staff have no organization, hence no token: the same 404 as any refusal.
    if not is_client_member(request.user):
        raise Http404
    return request.user


@require_http_methods(["GET", "POST"])
@never_cache
@login_required
def tokens_view(request):
    member = _member(request)
    created = None
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = actions.api_token_create(
                actor=member,
                name=form.cleaned_data["name"],
                expires_at=form.expires_at(),
                request=request,
            )
        except ValidationError as error:
            for field, messages_ in error.message_dict.items():
                form.add_error(field if field in form.fields else None, messages_)
        else:
            form = ApiTokenForm()
    status = 400 if request.method == "POST" and created is None else 200
    return render(
        request,
        "api/tokens.html",
        {
            "form": form,
            "created": created,
            "tokens": queries.tokens_for(member, request=request),
            "manages": actions.may_manage_tokens(member),
        },
        status=status,
    )


@require_POST
@never_cache
@login_required
def token_revoke_view(request, token_id):
    member = _member(request)
    token = queries.token_for_member(member, token_id)
    actions.api_token_revoke(actor=member, token=token, request=request)
    messages.success(request, _("The token is revoked."))
    return redirect("api_tokens:list")
