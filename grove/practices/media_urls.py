"""Downloads of attachments (mounted at /files/): ``{% url "media:attachment" id %}`` and
``{% url "media:thumbnail" id %}``."""

from django.urls import path

from . import media_views

app_name = "media"
urlpatterns = [
    path("<uuid:attachment_id>/", media_views.attachment_file, name="attachment"),
    path("<uuid:attachment_id>/thumbnail", media_views.attachment_thumbnail, name="thumbnail"),
]
