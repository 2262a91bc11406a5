from django.urls import path

from . import views

app_name = "insights"
urlpatterns = [
    # A client manager's own organization.
    path("", views.dashboard_view, name="dashboard"),
    path("export.csv", views.dashboard_export_view, name="export_csv"),
    # An organization named by id or slug (staff, through the same authorisation).
    path("org/<str:organization>/", views.dashboard_view, name="org_dashboard"),
    path("org/<str:organization>/export.csv", views.dashboard_export_view, name="org_export_csv"),
]
