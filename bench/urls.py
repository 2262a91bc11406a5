from django.urls import path

from .views import tenant_users

urlpatterns = [path("bench/users", tenant_users)]
