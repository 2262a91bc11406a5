"""Put into effect the approved subprocessor changes whose date has come (run it daily)."""

from django.core.management.base import BaseCommand

from grove.subprocessors.actions import changes_apply_due
from grove.subprocessors.tasks import apply_subprocessor_changes


class Command(BaseCommand):
    help = (
        "Apply every approved subprocessor change whose effective date has come: the registry "
        "is updated, a new version recorded, SUBPROCESSOR_CHANGE_EFFECTIVE written."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="enqueue the apply_subprocessor_changes task instead",
        )

    def handle(self, *args, enqueue: bool = False, **options):
        if enqueue:
            result = apply_subprocessor_changes.enqueue()
            self.stdout.write(f"enqueued task {result.id}")
            return
        applied = changes_apply_due()
        self.stdout.write(f"{len(applied)} subprocessor change(s) applied")
        for change_id in applied:
            self.stdout.write(f"  {change_id}")
