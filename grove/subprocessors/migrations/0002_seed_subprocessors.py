"""Seed the registry with the three subprocessors the privacy policy names, each active with its
version 1 (no change: they predate the registry).

The facts come from the vendors' public data processing terms as we know them; whatever we
could not confirm is written as an assumption in the record itself, so that it shows wherever
the registry is shown, until an approved change replaces it.
"""

from django.db import migrations
from django.utils import timezone

# The data map's personal categories (grove.privacy.datamap.PERSONAL_CATEGORIES), frozen here:
# a migration must not change when the code does.
ALL_PERSONAL = sorted(
    [
        "business.country",
        "business.job_type",
        "contact.business_email",
        "identity.name",
        "log.functional",
        "session.cookie",
    ]
)

SEED = [
    {
        "slug": "azure",
        "name": "Microsoft Azure",
        "service": "Cloud hosting: managed PostgreSQL database, backups, file storage",
        "purpose": (
            "Hosts the application servers, the PostgreSQL database and its backups, and the "
            "files people upload."
        ),
        "data_categories": ALL_PERSONAL,
        "data_subjects": "Client users (employees of client organizations); Grove staff",
        "locations": [
            {"name": "Ireland", "region": "North Europe (Dublin)"},
            {"name": "Netherlands", "region": "West Europe (Amsterdam)"},
        ],
        "transfer_safeguards": (
            "Stored in EU regions only (primary and replica), encrypted at rest and in "
            "transit. Microsoft's Data Protection Addendum includes the EU Standard "
            "Contractual Clauses for any access from outside the EU (e.g. support), and "
            "Microsoft is certified under the EU-U.S. Data Privacy Framework. Assumption: "
            "Microsoft's EU Data Boundary commitments cover the services used; to be "
            "checked against the current DPA."
        ),
        "dpa_reference": "Microsoft Products and Services Data Protection Addendum (DPA)",
        "security_contact": "secure@microsoft.com (Microsoft Security Response Center)",
    },
    {
        "slug": "brevo",
        "name": "Brevo",
        "service": "Transactional email (invitations, notifications, digests, notices)",
        "purpose": "Sends the service's transactional mail and reports whether it was delivered.",
        "data_categories": ["contact.business_email", "identity.name"],
        "data_subjects": "Client users who receive mail from the service",
        "locations": [{"name": "France", "region": "European Union"}],
        "transfer_safeguards": (
            "Brevo (Sendinblue SAS) is established in France and processes the data in the "
            "EU; no transfer outside the EU is expected. Assumption: Brevo's own "
            "subprocessors outside the EU, if any, are covered by Standard Contractual "
            "Clauses in its DPA; to be checked against Brevo's current list."
        ),
        "dpa_reference": "Brevo Data Processing Agreement (annex to Brevo's terms of use)",
        "security_contact": "security@brevo.com (assumption: Brevo's published address)",
    },
    {
        "slug": "sentry",
        "name": "Sentry",
        "service": "Application error monitoring",
        "purpose": (
            "Collects application errors and their technical context to find and fix faults. "
            "Events are scrubbed before they leave: no names, emails or content, ids only."
        ),
        "data_categories": ["log.functional"],
        "data_subjects": "Client users and Grove staff whose request met an error (by id)",
        "locations": [
            {"name": "United States", "region": "US data region"},
            {"name": "Germany", "region": "EU data region (Frankfurt), per plan"},
        ],
        "transfer_safeguards": (
            "Depending on the plan, data is stored in the US or in the EU. For the US: EU "
            "Standard Contractual Clauses (Commission Decision 2021/914) in Sentry's DPA. "
            "Assumption: Functional Software, Inc. is also certified under the EU-U.S. Data "
            "Privacy Framework; to be checked on the official list."
        ),
        "dpa_reference": "Sentry Data Processing Addendum (Functional Software, Inc.)",
        "security_contact": "security@sentry.io",
    },
]


def seed(apps, schema_editor):
    Subprocessor = apps.get_model("subprocessors", "Subprocessor")
    SubprocessorVersion = apps.get_model("subprocessors", "SubprocessorVersion")
    now = timezone.now()
    today = now.date()
    for values in SEED:
        if Subprocessor.objects.filter(slug=values["slug"]).exists():
            continue
        subprocessor = Subprocessor.objects.create(
            **values, status="active", effective_from=today, version=1, updated_at=now
        )
        snapshot = {
            **values,
            "status": "active",
            "effective_from": today.isoformat(),
            "effective_until": None,
        }
        SubprocessorVersion.objects.create(
            subprocessor=subprocessor, number=1, snapshot=snapshot, change=None, recorded_at=now
        )


def unseed(apps, schema_editor):
    Subprocessor = apps.get_model("subprocessors", "Subprocessor")
    SubprocessorVersion = apps.get_model("subprocessors", "SubprocessorVersion")
    slugs = [values["slug"] for values in SEED]
    seeded = Subprocessor.objects.filter(slug__in=slugs, changes__isnull=True)
    SubprocessorVersion.objects.filter(subprocessor__in=seeded, change__isnull=True).delete()
    seeded.delete()


class Migration(migrations.Migration):
    dependencies = [("subprocessors", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
