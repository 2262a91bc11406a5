"""The staff retention pages (names in the "retention" namespace; see grove/retention/urls.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.overview, name="overview"),
    path("certificates/<uuid:certificate_id>/", views.certificate, name="certificate"),
    path(
        "certificates/<uuid:certificate_id>/json/",
        views.certificate_json,
        name="certificate_json",
    ),
    # Under their own prefix: a slug beside "certificates" or "export" could shadow them.
    path("organizations/<slug:slug>/", views.organization, name="organization"),
    path("organizations/<slug:slug>/dry-run/", views.dry_run, name="dry_run"),
    path("organizations/<slug:slug>/end-early/", views.end_early, name="end_early"),
    path("organizations/<slug:slug>/holds/", views.hold_place, name="hold_place"),
    path(
        "organizations/<slug:slug>/holds/<uuid:hold_id>/release/",
        views.hold_release,
        name="hold_release",
    ),
]
