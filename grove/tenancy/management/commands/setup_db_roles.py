"""Print (or run) the SQL that creates the owner and application roles: see docs/operations.md."""

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from grove.tenancy.roles import RoleNameError, setup_roles_sql


class Command(BaseCommand):
    help = (
        "Print the SQL creating the PostgreSQL owner role (owns the schema, runs migrations) and "
        "the application role (row-level security applies to it); --execute runs it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--app-role", required=True, help="role the application serves as")
        parser.add_argument("--owner-role", help="role that owns the schema and runs migrations")
        parser.add_argument(
            "--execute",
            action="store_true",
            help="run the statements on the database (connect as a superuser)",
        )
        parser.add_argument(
            "--database-name",
            help="database the roles are for (default: the configured one)",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="connection alias")

    def handle(self, *args, app_role, owner_role, execute, database_name, database, **options):
        connection = connections[database]
        on_postgres = connection.vendor == "postgresql"
        if execute and not on_postgres:
            raise CommandError("setup_db_roles --execute needs PostgreSQL (DATABASE_URL)")
        name = database_name or (connection.settings_dict["NAME"] if on_postgres else None)
        if not name:
            raise CommandError("not on PostgreSQL: say which database with --database-name")
        try:
            statements = setup_roles_sql(database=name, app_role=app_role, owner_role=owner_role)
        except RoleNameError as error:
            raise CommandError(str(error)) from error
        if not execute:
            self.stdout.write(f"-- Roles for database {name}: run as a superuser, connected to it.")
            for statement in statements:
                self.stdout.write(f"{statement};")
            return
        with transaction.atomic(using=database), connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
        self.stdout.write(f"Roles ready on {name}: app {app_role}, owner {owner_role or '-'}.")
