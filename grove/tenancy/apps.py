from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "grove.tenancy"
    label = "tenancy"

    def ready(self) -> None:
        from . import checks, db  # noqa: F401 -- checks register themselves

        db.install()
