from django.urls import include, path

app_name = "retention"
urlpatterns = [
    # The managers' download of the organization export (signed link from the notice mails).
    path("export/", include("grove.retention.export_urls")),
    # Staff: lifecycle, holds, purges and certificates.
    path("", include("grove.retention.staff_urls")),
]
