from django.urls import path

from .views import person, person_unlogged, tenant_users

urlpatterns = [
    path("bench/users", tenant_users),
    path("bench/people/<uuid:person_id>", person),
    path("bench/people/<uuid:person_id>/unlogged", person_unlogged),
]
