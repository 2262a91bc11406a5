from django.apps import AppConfig


class RightsConfig(AppConfig):
    name = "grove.rights"
    label = "rights"
    verbose_name = "Data-subject rights: access, rectification, erasure, portability"
