from __future__ import annotations

from django import template
from django.urls import NoReverseMatch, reverse

register = template.Library()


@register.simple_tag
def practice_url(practice_id) -> str:
    """The practice's page (the practices app names it ``practices:detail``)."""
    try:
        return reverse("practices:detail", args=[practice_id])
    except NoReverseMatch:
        return f"/practices/{practice_id}/"
