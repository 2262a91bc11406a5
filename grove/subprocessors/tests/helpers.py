"""Small helpers shared by the registry's tests."""

from grove.tenancy.context import unscoped

NEW_VENDOR = {
    "name": "Mailjet",
    "service": "Transactional email (backup provider)",
    "purpose": "Sends mail when the main provider is down.",
    "data_categories": ["contact.business_email", "identity.name"],
    "data_subjects": "Client users who receive mail",
    "locations": [{"name": "Belgium", "region": "St. Ghislain"}],
    "transfer_safeguards": "EU only",
    "dpa_reference": "Mailjet DPA",
    "security_contact": "security@mailjet.example",
}


def reload(obj):
    """The row as stored now (tenant-owned rows too)."""
    with unscoped("test: read the row back"):
        return type(obj).objects.get(pk=obj.pk)
