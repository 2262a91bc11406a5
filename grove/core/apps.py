from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "grove.core"
    label = "core"
