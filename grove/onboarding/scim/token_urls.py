from django.urls import path

from .. import scim_tokens

app_name = "scim_tokens"
urlpatterns = [
    # A client manager's own organization.
    path("", scim_tokens.scim_tokens_view, name="list"),
    path("<uuid:token_id>/revoke/", scim_tokens.scim_token_revoke_view, name="revoke"),
    # An organization named by id or slug (its CSM, through the same authorisation).
    path("org/<str:organization>/", scim_tokens.scim_tokens_view, name="org_list"),
    path(
        "org/<str:organization>/<uuid:token_id>/revoke/",
        scim_tokens.scim_token_revoke_view,
        name="org_revoke",
    ),
]
