from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "grove.staff"
    label = "staff"
