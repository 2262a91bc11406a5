from django.apps import AppConfig


class PracticesConfig(AppConfig):
    name = "grove.practices"
    label = "practices"
    verbose_name = "Best practices"
