from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "grove.privacy"
    label = "privacy"
