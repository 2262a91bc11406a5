from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "grove.audit"
    label = "audit"
