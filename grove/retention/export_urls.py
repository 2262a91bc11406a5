"""The organization export's signed link (mailed to the client's managers): /retention/export/."""

from django.urls import path

from . import export_views

urlpatterns = [
    path("<str:token>/", export_views.export_download_view, name="export_download"),
]
