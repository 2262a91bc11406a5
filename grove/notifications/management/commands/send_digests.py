from django.core.management.base import BaseCommand

from grove.notifications.digest import enqueue_due_digests


class Command(BaseCommand):
    help = "Enqueue the mail digest of every member due (run hourly; the db_worker sends them)."

    def handle(self, *args, **options):
        count = enqueue_due_digests()
        self.stdout.write(f"Enqueued {count} digest(s).")
