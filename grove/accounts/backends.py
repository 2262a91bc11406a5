from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.db import connections, router
from django.db.models import Field

from grove.tenancy.context import unscoped
from grove.tenancy.models import Organization

from .models import User


class EmailBackend(ModelBackend):
    """Email + password login. Looks users up across tenants (nobody is logged in yet) and
    refuses members of an organization whose contract is no longer active."""

    def authenticate(self, request, username=None, password=None, email=None, **kwargs):
        login = (email or username or "").strip().lower()
        if not login or password is None:
            return None
        with unscoped("authentication: find the account by its login"):
            try:
                user = User.objects.select_related("organization").get(email=login)
            except User.DoesNotExist:
                User().set_password(password)  # same work as a real check: no timing oracle
                return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id):
        """The session's user and their organization, read fresh on every request (a deactivated
        person or an ended contract takes effect at the next one), in one plain statement: the
        ORM's select_related get() costs ~2,000 Python calls of every logged-in request."""
        connection = connections[router.db_for_read(User)]
        load = _session_user_load(connection)
        try:
            user_pk = load.user_pk.get_db_prep_value(user_id, connection)
        except (ValidationError, ValueError):  # a malformed id in the session
            return None
        with unscoped("authentication: load the session's user"), connection.cursor() as cursor:
            cursor.execute(load.sql, [user_pk])
            row = cursor.fetchone()
        if row is None:
            return None
        row = load.convert(row, connection)
        user = User.from_db(connection.alias, load.user_attnames, row[: load.user_width])
        organization = None
        if user.organization_id is not None:
            organization_row = row[load.user_width :]
            if organization_row[load.organization_pk_position] is None:
                return None  # a member whose organization cannot be read is refused, not staff
            organization = Organization.from_db(
                connection.alias, load.organization_attnames, organization_row
            )
        load.organization_field.set_cached_value(user, organization)  # as select_related does
        return user if self.user_can_authenticate(user) else None

    def user_can_authenticate(self, user) -> bool:
        if not user.is_active:
            return False
        # An ended (or purged) organization's users can no longer log in, mid-session included.
        return user.organization is None or user.organization.is_active

    # Grove has no Django permissions: roles are decided by the authorisation functions.
    def get_all_permissions(self, user_obj, obj=None):
        return set()

    def has_perm(self, user_obj, perm, obj=None):
        return False


@dataclass(frozen=True)
class _SessionUserLoad:
    """How get_user reads a user and their organization on one connection: the statement and
    the backend's value converters. Built from the models' fields, never holding a row."""

    sql: str
    user_pk: Field
    organization_field: Field
    user_attnames: tuple[str, ...]
    organization_attnames: tuple[str, ...]
    user_width: int
    organization_pk_position: int
    # (column position, converters, column expression), as the ORM's compiler applies them.
    converters: tuple[tuple[int, tuple, object], ...]

    def convert(self, row, connection) -> list:
        row = list(row)
        for position, converters, column in self.converters:
            value = row[position]
            for converter in converters:
                value = converter(value, column, connection)
            row[position] = value
        return row


_LOAD_ATTRIBUTE = "_grove_session_user_load"


def _session_user_load(connection) -> _SessionUserLoad:
    # Kept on the connection (one per thread): its converters are bound to that connection.
    load = getattr(connection, _LOAD_ATTRIBUTE, None)
    if load is None:
        load = _build_session_user_load(connection)
        setattr(connection, _LOAD_ATTRIBUTE, load)
    return load


def _build_session_user_load(connection) -> _SessionUserLoad:
    quote = connection.ops.quote_name
    user_fields = User._meta.concrete_fields
    organization_fields = Organization._meta.concrete_fields
    organization_field = User._meta.get_field("organization")
    columns = [(field, "u") for field in user_fields] + [
        (field, "o") for field in organization_fields
    ]
    select_list = ", ".join(f"{alias}.{quote(field.column)}" for field, alias in columns)
    # Only quoted names from the models go into the text; the id is a parameter.
    sql = (
        f"SELECT {select_list} FROM {quote(User._meta.db_table)} u "  # noqa: S608
        f"LEFT JOIN {quote(Organization._meta.db_table)} o "
        f"ON o.{quote(Organization._meta.pk.column)} = u.{quote(organization_field.column)} "
        f"WHERE u.{quote(User._meta.pk.column)} = %s"
    )
    converters = []
    for position, (field, alias) in enumerate(columns):
        column = field.get_col(alias)
        found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if found:
            converters.append((position, tuple(found), column))
    return _SessionUserLoad(
        sql=sql,
        user_pk=User._meta.pk,
        organization_field=organization_field,
        user_attnames=tuple(field.attname for field in user_fields),
        organization_attnames=tuple(field.attname for field in organization_fields),
        user_width=len(user_fields),
        organization_pk_position=organization_fields.index(Organization._meta.pk),
        converters=tuple(converters),
    )
