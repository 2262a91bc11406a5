from django.urls import path  # noqa: F401 -- the views come with the workflow

app_name = "subprocessors"
urlpatterns: list = []
