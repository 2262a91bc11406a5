"""The retention rules: how long each ``Retention`` of the data map keeps its data.

One place for the periods, read from settings: the purge (retention issue), the privacy policy
page and the record of processing activities all ask here, so changing a period changes what
the platform does and what it says in the same commit.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .datamap import Retention

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class RetentionRule:
    retention: str
    # Days after the contract's end the data may still exist (None: not tied to a contract).
    days_after_contract_end: int | None
    description: StrOrPromise


def grace_days() -> int:
    """Days after the contract's end before the organization's personal data is purged."""
    return settings.GROVE_RETENTION_GRACE_DAYS


def log_days() -> int:
    """Days logs are kept after the contract's end."""
    return settings.GROVE_RETENTION_LOG_DAYS


def rules() -> dict[str, RetentionRule]:
    """Every retention of the data map with its period, as configured now."""
    return {
        Retention.CONTRACT: RetentionRule(
            Retention.CONTRACT,
            grace_days(),
            _(
                "For the duration of the client's contract, then deleted %(days)d days after "
                "its end (time for the client to take its export)."
            )
            % {"days": grace_days()},
        ),
        Retention.UNTIL_ERASED: RetentionRule(
            Retention.UNTIL_ERASED,
            grace_days(),
            _(
                "Until the person's erasure, and at most the duration of the client's contract "
                "(deleted %(days)d days after its end)."
            )
            % {"days": grace_days()},
        ),
        Retention.CONTRACT_PLUS_90D: RetentionRule(
            Retention.CONTRACT_PLUS_90D,
            log_days(),
            _("For the duration of the contract, then %(days)d more days for security purposes.")
            % {"days": log_days()},
        ),
        Retention.SYSTEM: RetentionRule(
            Retention.SYSTEM,
            None,
            _("System data without personal content, kept while the platform runs."),
        ),
    }


def purge_date(contract_end: datetime.date, retention: str) -> datetime.date | None:
    """The day data under ``retention`` is due for deletion after a contract ending on
    ``contract_end`` (None for system data)."""
    days = rules()[retention].days_after_contract_end
    return None if days is None else contract_end + datetime.timedelta(days=days)
