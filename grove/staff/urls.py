from django.urls import path

from . import views

app_name = "staff"
urlpatterns = [
    path("", views.home, name="home"),
    path("organizations/<slug:slug>/", views.organization, name="organization"),
    path("grants/request/", views.grant_request, name="grant_request"),
    path("grants/pending/", views.grants_pending, name="grants_pending"),
    path("grants/<uuid:grant_id>/approve/", views.grant_approve, name="grant_approve"),
    path("grants/<uuid:grant_id>/reject/", views.grant_reject, name="grant_reject"),
    path("grants/<uuid:grant_id>/revoke/", views.grant_revoke, name="grant_revoke"),
    path("assignments/", views.assignments, name="assignments"),
    path("assignments/<uuid:assignment_id>/end/", views.assignment_end, name="assignment_end"),
    path("second-factors/", views.second_factors, name="second_factors"),
    path(
        "second-factors/<uuid:user_id>/reset/",
        views.second_factor_reset,
        name="second_factor_reset",
    ),
]
