from django.apps import AppConfig


class RetentionConfig(AppConfig):
    name = "grove.retention"
    label = "retention"
    verbose_name = "Retention: contract end, legal holds, purges, deletion certificates"
