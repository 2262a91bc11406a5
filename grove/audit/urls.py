from django.urls import path

from . import views

app_name = "audit"
urlpatterns = [
    # A client manager's own organization.
    path("", views.access_log_view, name="access_log"),
    path("export.csv", views.access_log_export_view, {"export_format": "csv"}, name="export_csv"),
    path(
        "export.json", views.access_log_export_view, {"export_format": "json"}, name="export_json"
    ),
    # An organization named by id or slug (staff, through the same authorisation).
    path("org/<str:organization>/", views.access_log_view, name="org_access_log"),
    path(
        "org/<str:organization>/export.csv",
        views.access_log_export_view,
        {"export_format": "csv"},
        name="org_export_csv",
    ),
    path(
        "org/<str:organization>/export.json",
        views.access_log_export_view,
        {"export_format": "json"},
        name="org_export_json",
    ),
]
