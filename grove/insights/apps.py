from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "grove.insights"
    label = "insights"
    verbose_name = "Adoption dashboard"
