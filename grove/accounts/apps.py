from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "grove.accounts"
    label = "accounts"

    def ready(self) -> None:
        from django.contrib.auth.models import update_last_login
        from django.contrib.auth.signals import user_logged_in

        from .signals import stamp_last_login

        # Django's receiver saves last_login with no tenant set, which row-level security
        # refuses; ours does the same write in the account's own scope.
        user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")
        user_logged_in.connect(stamp_last_login, dispatch_uid="grove_stamp_last_login")

        from anymail.signals import tracking

        from .webhooks import tracking_received

        # The mail provider's delivery reports (bounces, complaints) mark the invitations.
        tracking.connect(tracking_received, dispatch_uid="grove_invitation_tracking")
