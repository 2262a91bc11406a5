from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

from grove.accounts.demo import DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Create the demo organizations, people and staff accounts (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off. The demo accounts share one published password.",
        )

    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates accounts with a published password: it runs only with "
                "DEBUG on (or --force, for a throwaway demo instance)."
            )
        # The demo's history sends no mail (a notice, a request's steps): nobody reads them.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            result = seed_demo()
        self.stdout.write(f"Demo data ready ({result.created} rows created).\n")
        width = max(len(login.email) for login in result.logins)
        self.stdout.write(f"{'Login':<{width}}  {'Role':<26}  Organization")
        for login in result.logins:
            self.stdout.write(f"{login.email:<{width}}  {login.role:<26}  {login.organization}")
        self.stdout.write(f"\nPassword for every demo account: {DEMO_PASSWORD}")
        if result.scim_token:
            self.stdout.write(f"SCIM token of Demo Retail (/scim/v2/): {result.scim_token}")
        if result.invitation_url:
            self.stdout.write(f"Pending invitation (Demo Retail): {result.invitation_url}")
        self.stdout.write(
            "Staff accounts (@grove.example) then enrol an authenticator app (TOTP): the page "
            "shows the key to type into it."
        )
