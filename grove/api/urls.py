from django.urls import include, path

from . import views
from .api import api

token_patterns = [
    path("", views.tokens_view, name="list"),
    path("<uuid:token_id>/revoke/", views.token_revoke_view, name="revoke"),
]

urlpatterns = [
    # The token page is HTML for people; everything else under /api/ is the REST API.
    path("tokens/", include((token_patterns, "api_tokens"))),
    path("", api.urls),
]
