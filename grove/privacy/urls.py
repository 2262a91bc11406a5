"""Public pages, no login: the privacy policy and the subprocessor list, generated from live
configuration (grove/privacy/policy.py)."""

from django.urls import path
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from . import views
from .feeds import SubprocessorFeed

app_name = "privacy"
urlpatterns = [
    path("privacy", views.privacy_policy, name="policy"),
    path("subprocessors", views.subprocessors, name="subprocessors"),
    path("subprocessors.json", views.subprocessors_json, name="subprocessors_json"),
    path(
        "subprocessors.atom",
        require_safe(cache_control(public=True, max_age=views.PUBLIC_MAX_AGE)(SubprocessorFeed())),
        name="subprocessors_atom",
    ),
]
