"""The organization's topics and job types named in a request body, read through the scoped
managers (the current tenant's rows only). An id of another organization reads as unknown:
the input is refused (422) and nothing is written."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from grove.practices.models import Topic
from grove.tenancy.models import JobType


def topic_in_body(topic_id: uuid.UUID, *, field: str = "topic") -> Topic:
    topic = Topic.objects.filter(pk=topic_id).first()
    if topic is None:
        raise ValidationError({field: [_("Unknown topic.")]})
    return topic


def job_types_in_body(ids: Iterable[uuid.UUID], *, field: str = "target_job_types"):
    wanted = set(ids)
    if not wanted:
        return []
    found = list(JobType.objects.filter(pk__in=wanted))
    if len(found) != len(wanted):
        raise ValidationError({field: [_("Unknown job type.")]})
    return found
