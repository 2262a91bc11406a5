from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from grove.privacy.datamap import DataMapError
from grove.privacy.ropa import FORMATS, RopaError, render


class Command(BaseCommand):
    help = (
        "Write the record of processing activities (GDPR Art. 30) from the data map, the "
        "subprocessor registry, the retention rules and the settings, as Markdown or CSV."
    )

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=FORMATS, default="markdown")
        parser.add_argument("--out", type=Path, help="write to this file instead of stdout")
        parser.add_argument("--org", metavar="SLUG", help="only this client organization")
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            default=settings.LANGUAGE_CODE,
            help="language of the purposes and descriptions",
        )

    def handle(self, *args, format, out, org, language, **options):
        try:
            with translation.override(language):
                text = render(format, org_slug=org)
        except (RopaError, DataMapError) as error:
            raise CommandError(str(error)) from error
        if out is None:
            self.stdout.write(text, ending="")
            return
        try:
            # newline="": the CSV's CRLF line ends are written as they are.
            with out.open("w", encoding="utf-8", newline="") as handle:
                handle.write(text)
        except OSError as error:
            raise CommandError(f"cannot write {out}: {error.strerror}") from error
