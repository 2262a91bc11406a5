"""Record the end of every break-glass grant whose time is up (run it every minute)."""

from django.core.management.base import BaseCommand

from grove.staff.actions import grant_expire_due
from grove.staff.tasks import expire_grants


class Command(BaseCommand):
    help = "Record GRANT_EXPIRED for every grant whose end has passed (access already ended)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--enqueue", action="store_true", help="enqueue the expire_grants task instead"
        )

    def handle(self, *args, enqueue: bool = False, **options):
        if enqueue:
            result = expire_grants.enqueue()
            self.stdout.write(f"enqueued task {result.id}")
            return
        expired = grant_expire_due()
        self.stdout.write(f"{len(expired)} grant(s) recorded as expired")
