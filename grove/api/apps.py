from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "grove.api"
    label = "api"
    verbose_name = "REST API"
