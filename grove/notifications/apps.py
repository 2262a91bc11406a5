from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "grove.notifications"
    label = "notifications"
    verbose_name = "Notifications and digests"
