from django.urls import include, path

from .views import person, person_unlogged, practices_bare, tenant_users, trivial

urlpatterns = [
    path("bench/users", tenant_users),
    path("bench/people/<uuid:person_id>", person),
    path("bench/people/<uuid:person_id>/unlogged", person_unlogged),
    path("bench/trivial", trivial),
    path("bench/practices/bare", practices_bare),
    path("", include("grove.urls")),  # the application's own pages and API (practices bench)
]
