"""The public pages: /privacy, /subprocessors, /subprocessors.json (the feed is in feeds.py).

No login: the same content for everyone, generated on each request from the running
configuration (``policy.collect()``), in the reader's language. Shared caches may keep the
JSON and the feed a few minutes; the HTML pages too, unless the reader is signed in (the page
frame then carries their navigation).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import get_language
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from grove.subprocessors import public as registry

from . import policy

PUBLIC_MAX_AGE = 300  # seconds a shared cache may keep a public page


def _cache(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    if request.user.is_authenticated:
        patch_cache_control(response, private=True, no_cache=True)
    else:
        patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
    return response


@require_safe
def privacy_policy(request: HttpRequest) -> HttpResponse:
    facts = policy.collect()
    return _cache(request, render(request, "privacy/policy.html", {"facts": facts}))


@require_safe
def subprocessors(request: HttpRequest) -> HttpResponse:
    context = {
        "subprocessors": policy.collect_subprocessors(),
        "announced": registry.announced_changes(),
        "recent": registry.recently_effective_changes(),
        "recent_days": registry.RECENT_DAYS,
        "notice_days": policy.notice_days(),
        "last_modified": registry.last_modified(),
    }
    return _cache(request, render(request, "privacy/subprocessors.html", context))


def _change_json(change: registry.PublicChange) -> dict:
    return {
        "id": str(change.id),
        "kind": change.kind,
        "kind_label": change.kind_label,
        "status": change.status,
        "subprocessor": {"slug": change.subprocessor_slug, "name": change.subprocessor_name},
        "summary": change.summary,
        "implications": change.implications,
        "announced_at": change.announced_at.isoformat() if change.announced_at else None,
        "effective_on": change.effective_on.isoformat() if change.effective_on else None,
    }


@require_safe
@cache_control(public=True, max_age=PUBLIC_MAX_AGE)
def subprocessors_json(request: HttpRequest) -> JsonResponse:
    last_modified = registry.last_modified()
    payload = {
        "operator": policy.operator_name(),
        "language": get_language(),
        "generated_at": timezone.now().isoformat(),
        "last_modified": last_modified.isoformat() if last_modified else None,
        "notice_days": policy.notice_days(),
        "subprocessors": [
            {
                "slug": s.slug,
                "name": s.name,
                "service": s.service,
                "purpose": s.purpose,
                "data_categories": [
                    {"code": code, "label": label}
                    for code, label in zip(s.categories, s.category_labels, strict=True)
                ],
                "data_subjects": s.data_subjects,
                "locations": list(s.locations),
                "transfer_safeguards": s.transfer_safeguards,
                "dpa_reference": s.dpa_reference,
                "security_contact": s.security_contact,
                "effective_from": s.effective_from.isoformat() if s.effective_from else None,
                "version": s.version,
            }
            for s in policy.collect_subprocessors()
        ],
        "announced_changes": [_change_json(c) for c in registry.announced_changes()],
        "recently_effective_changes": [
            _change_json(c) for c in registry.recently_effective_changes()
        ],
    }
    return JsonResponse(payload, json_dumps_params={"indent": 2, "ensure_ascii": False})
