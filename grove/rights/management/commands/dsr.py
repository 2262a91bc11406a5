"""``manage.py dsr``: data-subject requests for operators.

    dsr export EMAIL --out FILE.zip          everything about the person (records the access)
    dsr erase EMAIL --officer EMAIL --yes    the whole erasure workflow, approved by that officer
    dsr replay_erasures                      re-apply the ledger's erasures after a restore
    dsr remind                               remind CSMs and officers of requests due soon
    dsr expire_exports                       delete export files whose link has expired
    dsr vacuum [--full]                      VACUUM the tables erasures touch (as the owner)

Thin: each subcommand calls one function of grove/rights and turns its refusal into a
CommandError (non-zero exit). Never prints a person's data beyond what the operator typed.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Data-subject requests: export, erase, replay_erasures, remind, expire_exports, vacuum."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="subcommand", required=True)
        export = commands.add_parser("export", help="export everything about one person")
        export.add_argument("email", help="the person's business email")
        export.add_argument("--out", required=True, help="the ZIP file to write")
        erase = commands.add_parser("erase", help="erase one person (approved by an officer)")
        erase.add_argument("email", help="the person's business email")
        erase.add_argument("--officer", required=True, help="the approving security officer")
        erase.add_argument("--successor", default="", help="who takes over as manager, if needed")
        erase.add_argument("--yes", action="store_true", help="confirm: this cannot be undone")
        commands.add_parser("replay_erasures", help="re-apply the erasure ledger after a restore")
        commands.add_parser("remind", help="remind handlers of requests due soon")
        commands.add_parser("expire_exports", help="delete expired export files")
        vacuum = commands.add_parser(
            "vacuum", help="VACUUM the tables erasures touch (run as the database owner)"
        )
        vacuum.add_argument(
            "--full",
            action="store_true",
            help="VACUUM FULL: rewrites each table (locks it), so no free space keeps old values",
        )

    def handle(self, *args, subcommand, **options):
        handler = getattr(self, f"_{subcommand}")
        try:
            message = handler(**options)
        except CommandError:
            raise
        except Exception as error:
            refusal = _as_refusal(error)
            if refusal is None:
                raise
            raise CommandError(refusal) from error
        if message:
            self.stdout.write(message)

    def _export(self, *, email, out, **options) -> str:
        from grove.rights.export import export_for_operator

        return export_for_operator(email=email, out_path=out)

    def _erase(self, *, email, officer, successor, yes, **options) -> str:
        if not yes:
            raise CommandError("Erasure cannot be undone: add --yes to confirm.")
        from grove.rights.erasure import erase_for_operator

        return erase_for_operator(email=email, officer_email=officer, successor_email=successor)

    def _replay_erasures(self, **options) -> str:
        from grove.rights.erasure import replay_erasures

        replayed = replay_erasures()
        return f"{replayed} erasure(s) re-applied."

    def _remind(self, **options) -> str:
        from grove.rights.actions import requests_remind_due

        reminded = requests_remind_due()
        return f"{reminded} reminder(s) sent."

    def _expire_exports(self, **options) -> str:
        from grove.rights.export import exports_delete_expired

        deleted = exports_delete_expired()
        return f"{deleted} expired export(s) deleted."

    def _vacuum(self, *, full, **options) -> str:
        from grove.rights.erasure import erasure_vacuum

        vacuumed, skipped = erasure_vacuum(full=full)
        message = f"{len(vacuumed)} table(s) vacuumed{' (FULL)' if full else ''}."
        if skipped:
            message += f" Skipped (not the owner): {', '.join(skipped)}."
        return message


def _as_refusal(error: Exception) -> str | None:
    """The message of a refusal the rights functions raise on purpose (bad input)."""
    from grove.rights.errors import RightsRefusal

    if isinstance(error, RightsRefusal):
        return str(error)
    return None
