from django.urls import path

from . import views

app_name = "rights"
urlpatterns = [
    # The person, logged in: their requests, a new one, one request's timeline, their details.
    path("", views.my_requests_view, name="mine"),
    path("new/", views.file_request_view, name="file"),
    path("my-details/", views.my_details_view, name="my_details"),
    path("<uuid:request_id>/", views.my_request_view, name="my_request"),
    # Anyone, not logged in: the public form and the code that proves the address.
    path("request/", views.public_request_view, name="public"),
    path("request/verify/", views.public_verify_view, name="public_verify"),
    path("request/new-code/", views.public_resend_view, name="public_resend"),
    # The console: CSMs, security officers, client managers (read-only).
    path("console/", views.console_list_view, name="console"),
    path("console/new/", views.console_record_view, name="console_record"),
    path("console/<uuid:request_id>/", views.console_detail_view, name="console_detail"),
    path(
        "console/<uuid:request_id>/<slug:step>/",
        views.console_step_view,
        name="console_step",
    ),
    # The single-use link of an export (mailed to the person).
    path("exports/<str:token>/", views.export_download_view, name="export_download"),
]
