"""The member's notifications, their digest preferences, and the digest's unsubscribe page.

Every page but the unsubscribe one needs a logged-in member of an organization; a notification
id that is not theirs is a 404. The unsubscribe page needs no login: its signed token is the
proof, and only its POST (the button, or a mail client's RFC 8058 one-click POST) unsubscribes,
since mail scanners open the links they find.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from grove.accounts.models import User
from grove.staff.authorization import Capability, authorize
from grove.tenancy.context import unscoped

from . import actions, queries
from .forms import PreferencesForm
from .tokens import user_id_from_token


def _member(request) -> User:
    """The logged-in client member; operator staff have no notifications (404)."""
    user = request.user
    if not user.organization_id:
        raise Http404
    authorize(
        user=user,
        organization=user.organization,
        capability=Capability.CONTENT_READ,
        request=request,
    )
    return user


@never_cache
@login_required
@require_http_methods(["GET"])
def notification_list(request):
    member = _member(request)
    notifications = queries.notifications_for(member, request=request)
    return render(
        request,
        "notifications/list.html",
        {
            "notifications": notifications,
            "has_unread": any(not n.is_read for n in notifications),
        },
    )


@never_cache
@login_required
@require_POST
def notification_mark_read(request, notification_id):
    member = _member(request)
    notification = queries.notification_for_member(member, notification_id)
    actions.notifications_mark_read(
        actor=member, notification_ids=[notification.pk], request=request
    )
    if request.htmx:
        notification = queries.notification_for_member(member, notification.pk)
        return render(request, "notifications/_notification.html", {"n": notification})
    return redirect("notifications:list")


@never_cache
@login_required
@require_POST
def notification_mark_all_read(request):
    member = _member(request)
    actions.notifications_mark_read(actor=member, all=True, request=request)
    if request.htmx:
        notifications = queries.notifications_for(member, request=request)
        return render(request, "notifications/_list.html", {"notifications": notifications})
    return redirect("notifications:list")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    member = _member(request)
    current = queries.preferences_for(member)
    initial = {
        "digest_frequency": current.digest_frequency,
        "topics": [str(topic_id) for topic_id in current.followed_topic_ids],
    }
    form = PreferencesForm(request.POST or None, initial=initial, topics=current.topics)
    if request.method == "POST" and form.is_valid():
        try:
            actions.preferences_update(
                actor=member,
                digest_frequency=form.cleaned_data["digest_frequency"],
                topic_ids=form.cleaned_data["topics"],
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your notification preferences are saved."))
            return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"form": form})


@csrf_exempt  # the signed token is the proof; RFC 8058 one-click POSTs carry no CSRF token
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    user_id = user_id_from_token(token)
    if user_id is None:
        raise Http404
    with unscoped("unsubscribe: the signed token names the account, no login"):
        user = User.objects.filter(pk=user_id, organization__isnull=False).first()
    if user is None:
        raise Http404
    if request.method == "POST":
        actions.digest_unsubscribe(user=user, request=request)
        return render(request, "notifications/unsubscribed.html")
    return render(request, "notifications/unsubscribe.html", {"token": token})
