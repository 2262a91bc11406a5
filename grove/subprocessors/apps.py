from django.apps import AppConfig


class SubprocessorsConfig(AppConfig):
    name = "grove.subprocessors"
    label = "subprocessors"
    verbose_name = "Subprocessors: registry, approved changes, client notices"
