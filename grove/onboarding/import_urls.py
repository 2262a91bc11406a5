from django.urls import path

from . import import_views

app_name = "user_import"
urlpatterns = [
    # A client manager's own organization.
    path("", import_views.import_upload_view, name="upload"),
    path("<uuid:import_id>/", import_views.import_detail_view, name="detail"),
    path("<uuid:import_id>/commit/", import_views.import_commit_view, name="commit"),
    path("<uuid:import_id>/discard/", import_views.import_discard_view, name="discard"),
    path("<uuid:import_id>/progress/", import_views.import_progress_view, name="progress"),
    path("<uuid:import_id>/issues.csv", import_views.import_issues_csv_view, name="issues_csv"),
    # An organization named by id or slug (its CSM, through the same authorisation).
    path("org/<str:organization>/", import_views.import_upload_view, name="org_upload"),
    path(
        "org/<str:organization>/<uuid:import_id>/",
        import_views.import_detail_view,
        name="org_detail",
    ),
    path(
        "org/<str:organization>/<uuid:import_id>/commit/",
        import_views.import_commit_view,
        name="org_commit",
    ),
    path(
        "org/<str:organization>/<uuid:import_id>/discard/",
        import_views.import_discard_view,
        name="org_discard",
    ),
    path(
        "org/<str:organization>/<uuid:import_id>/progress/",
        import_views.import_progress_view,
        name="org_progress",
    ),
    path(
        "org/<str:organization>/<uuid:import_id>/issues.csv",
        import_views.import_issues_csv_view,
        name="org_issues_csv",
    ),
]
