from django.urls import path  # noqa: F401 -- the views come with the workflow

app_name = "rights"
urlpatterns: list = []
