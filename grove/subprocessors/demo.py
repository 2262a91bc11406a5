"""The registry's part of the demo (``seed_subprocessors_demo()``, after ``seed_demo``).

Through the real actions, so the access log tells the story: the technical lead proposed to
move Sentry to its EU data region, a security manager approved it with the full notice period,
the CSM sent the notice to Demo Retail, whose manager acknowledged it; and a proposal to add a
CDN waits for a security manager's decision.
"""

from __future__ import annotations

from django.db import transaction

from grove.accounts.models import User
from grove.tenancy.context import unscoped

from .actions import change_approve, change_propose, notice_acknowledge, notice_send
from .models import NoticeDelivery, Subprocessor, SubprocessorChange

SENTRY_EU = {
    "locations": [{"name": "Germany", "region": "EU data region (Frankfurt)"}],
    "transfer_safeguards": (
        "Stored in Sentry's EU data region only; Standard Contractual Clauses in Sentry's DPA "
        "remain for support access from the US."
    ),
}
CDN = {
    "name": "Cloudflare",
    "service": "Content delivery and protection against attacks (CDN, web application firewall)",
    "purpose": "Serves static files close to users and filters malicious traffic.",
    "data_categories": ["log.functional"],
    "data_subjects": "Everyone who opens the service (IP address, request metadata)",
    "locations": [{"name": "European Union", "region": "EU data localisation suite"}],
    "transfer_safeguards": "Assumption: EU-only processing under Cloudflare's Data Localisation "
    "Suite; Standard Contractual Clauses in Cloudflare's DPA otherwise.",
    "dpa_reference": "Cloudflare Data Processing Addendum",
    "security_contact": "security@cloudflare.com",
}


@transaction.atomic
def seed_subprocessors_demo() -> int:
    """Create the demo's proposal and notice, once; returns the number of changes created.
    Needs the demo's staff and Demo Retail (``seed_demo``) and the seeded registry."""
    if SubprocessorChange.objects.exists():
        return 0
    with unscoped("subprocessor demo: the demo's staff and Demo Retail's manager"):
        staff = {
            u.email: u
            for u in User.objects.filter(
                email__in=[
                    "tech@grove.example",
                    "csm@grove.example",
                    "security.manager@grove.example",
                    "manager@demo.example",
                ]
            )
        }
    tech = staff["tech@grove.example"]
    csm = staff["csm@grove.example"]
    security_manager = staff["security.manager@grove.example"]
    manager = staff["manager@demo.example"]

    sentry = Subprocessor.objects.get(slug="sentry")
    moved = change_propose(
        actor=tech,
        kind="modify",
        subprocessor=sentry,
        proposed=SENTRY_EU,
        has_personal_data_impact=True,
        impact="Error events (scrubbed functional logs) will be stored in the EU only: "
        "no more transfer to the US for storage.",
    )
    change_approve(
        actor=security_manager,
        change=moved,
        summary="Sentry, which collects our application errors, will store them in its EU "
        "data region (Frankfurt, Germany) instead of the United States.",
        implications="Error reports carry no names, emails or content (ids only); after the "
        "change they no longer leave the EU for storage.",
        note="Reduces transfers; DPA unchanged.",
    )
    with unscoped("subprocessor demo: Demo Retail's delivery of the notice"):
        delivery = NoticeDelivery.objects.get(
            notice__change=moved, organization_id=manager.organization_id
        )
    notice_send(actor=csm, delivery=delivery)
    notice_acknowledge(actor=manager, delivery=delivery)

    change_propose(
        actor=csm,
        kind="add",
        proposed=CDN,
        has_personal_data_impact=True,
        impact="IP addresses and request metadata of every visitor pass through the CDN.",
    )
    return 2
