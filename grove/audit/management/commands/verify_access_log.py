"""Recompute the access log's hash chains; exit non-zero naming each place tampered with."""

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError

from grove.audit.verify import read_anchor_file, verify_chains
from grove.tenancy.context import unscoped
from grove.tenancy.models import Organization


class Command(BaseCommand):
    help = (
        "Recompute every chain of the access log (or one organization's) and check it against "
        "its head and its anchors; exits non-zero, naming chain and sequence, on tampering."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", metavar="SLUG", help="only this organization's chain")
        parser.add_argument(
            "--anchor-file",
            action="append",
            default=[],
            metavar="PATH",
            help="also check against an anchor file kept outside the database (the mailed one)",
        )
        parser.add_argument(
            "--stored-anchor",
            action="append",
            default=[],
            metavar="NAME",
            help="also check against an anchor file in storage, e.g. audit-anchors/2026-11-29.json",
        )

    def handle(self, *args, org, anchor_file, stored_anchor, **options):
        organization = None
        if org:
            with unscoped("verify_access_log: find the organization"):
                organization = Organization.objects.filter(slug=org).first()
            if organization is None:
                raise CommandError(f"no organization with the slug {org!r}")
        anchors = []
        try:
            for path in anchor_file:
                with open(path, "rb") as file:
                    anchors += read_anchor_file(file.read(), name=f"anchor file {path}")
            for name in stored_anchor:
                with default_storage.open(name, "rb") as file:
                    anchors += read_anchor_file(file.read(), name=f"stored anchor {name}")
        except (OSError, ValueError, KeyError) as error:
            raise CommandError(f"cannot read the anchor file: {error}") from error
        report = verify_chains(organization=organization, extra_anchors=anchors)
        for chain in report.chains:
            if chain.ok and options["verbosity"] >= 2:
                self.stdout.write(f"chain {chain.label}: {chain.checked} events, ok")
        problems = report.problem_lines()
        for line in problems:
            self.stderr.write(line)
        summary = f"{report.checked} events in {len(report.chains)} chain(s)"
        if problems:
            raise CommandError(f"access log tampered with: {len(problems)} problem(s), {summary}")
        self.stdout.write(f"Access log verified: {summary}, no tampering found.")
