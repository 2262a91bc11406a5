from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from grove.privacy.datamap import DataMapError
from grove.privacy.datamap_export import FORMATS, render


class Command(BaseCommand):
    help = "Print the data map (every field of every model, classified) as JSON or Markdown."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=FORMATS, default="markdown")
        parser.add_argument("--output", type=Path, help="write to this file instead of stdout")

    def handle(self, *args, format, output, **options):
        try:
            text = render(format)
        except DataMapError as error:
            raise CommandError(f"the data map is incomplete: {error}") from error
        if output is None:
            self.stdout.write(text, ending="")
        else:
            output.write_text(text, encoding="utf-8")
