"""Anchor the access log's chain heads now (or enqueue the task): run daily, see operations.md."""

from django.core.management.base import BaseCommand

from grove.audit.anchors import write_anchors
from grove.audit.tasks import write_access_log_anchor


class Command(BaseCommand):
    help = (
        "Write every access-log chain head to an anchor record, a file in storage and a mail "
        "to the security officers."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--enqueue", action="store_true", help="enqueue the task for the worker instead"
        )

    def handle(self, *args, enqueue, **options):
        if enqueue:
            result = write_access_log_anchor.enqueue()
            self.stdout.write(f"Anchor task enqueued: {result.id}")
            return
        batch = write_anchors()
        self.stdout.write(
            f"Anchored {len(batch.anchors)} chain(s) in {batch.file_name}; "
            f"mailed to {batch.recipients} security officer(s)."
        )
