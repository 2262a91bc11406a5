from django.urls import include, path

from .views import (
    person,
    person_unlogged,
    practices_bare,
    practices_bare_anonymous,
    practices_bare_logged,
    tenant_users,
    trivial,
)

urlpatterns = [
    path("bench/users", tenant_users),
    path("bench/people/<uuid:person_id>", person),
    path("bench/people/<uuid:person_id>/unlogged", person_unlogged),
    path("bench/trivial", trivial),
    path("bench/practices/bare", practices_bare),
    path("bench/practices/bare-anonymous", practices_bare_anonymous),
    path("bench/practices/bare-logged", practices_bare_logged),
    path("", include("grove.urls")),  # the application's own pages and API (practices bench)
]
