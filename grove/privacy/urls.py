from django.urls import path  # noqa: F401 -- the public pages come with the registry

app_name = "privacy"
urlpatterns: list = []
