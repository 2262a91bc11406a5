"""Assertions shared by the accounts tests."""

from grove.audit.models import AuditEvent


def assert_nowhere_in(event: AuditEvent, *values: str) -> None:
    """No column of ``event`` holds any of ``values`` (an email, a name), in any case."""
    for column in event._meta.concrete_fields:
        stored = str(getattr(event, column.attname)).lower()
        for value in values:
            assert value.lower() not in stored, f"{column.name} holds personal data"
