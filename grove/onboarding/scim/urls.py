from django.urls import re_path

from . import views

app_name = "scim"
# Identity providers call without a trailing slash; both forms are served.
urlpatterns = [
    re_path(r"^Users/?$", views.users_view, name="users"),
    re_path(r"^(?:Users/)?\.search/?$", views.search_view, name="search"),
    re_path(r"^Users/(?P<user_id>[^/]+)/?$", views.user_view, name="user"),
    re_path(r"^ServiceProviderConfig/?$", views.service_provider_config_view, name="spc"),
    re_path(r"^Schemas/?$", views.schemas_view, name="schemas"),
    re_path(r"^Schemas/(?P<schema_id>[^/]+)/?$", views.schemas_view, name="schema"),
    re_path(r"^ResourceTypes/?$", views.resource_types_view, name="resource_types"),
    re_path(
        r"^ResourceTypes/(?P<type_id>[^/]+)/?$", views.resource_types_view, name="resource_type"
    ),
    re_path(r"^(?P<rest>.*)$", views.unknown_view, name="unknown"),
]
