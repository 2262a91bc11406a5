"""The data migration seeds the three subprocessors the policy names, active, version 1."""

from grove.privacy.datamap import PERSONAL_CATEGORIES, Category
from grove.subprocessors.models import Subprocessor, SubprocessorStatus


def test_azure_brevo_and_sentry_are_active_with_a_first_version(db):
    seeded = {s.slug: s for s in Subprocessor.objects.all()}

    assert set(seeded) == {"azure", "brevo", "sentry"}
    for subprocessor in seeded.values():
        assert subprocessor.status == SubprocessorStatus.ACTIVE
        assert subprocessor.version == 1
        [version] = subprocessor.versions.all()
        assert version.number == 1
        assert version.change is None
        assert version.snapshot["name"] == subprocessor.name
        assert version.snapshot["status"] == "active"
        assert subprocessor.dpa_reference
        assert subprocessor.transfer_safeguards


def test_the_seeded_facts_match_the_policy(db):
    azure = Subprocessor.objects.get(slug="azure")
    brevo = Subprocessor.objects.get(slug="brevo")
    sentry = Subprocessor.objects.get(slug="sentry")

    assert set(azure.data_categories) == {str(c) for c in PERSONAL_CATEGORIES}
    assert [loc["name"] for loc in azure.locations] == ["Ireland", "Netherlands"]
    assert set(brevo.data_categories) == {Category.BUSINESS_EMAIL, Category.NAME}
    assert [loc["name"] for loc in brevo.locations] == ["France"]
    assert sentry.data_categories == [Category.FUNCTIONAL_LOG]
    assert {loc["name"] for loc in sentry.locations} == {"United States", "Germany"}
    assert "Standard Contractual Clauses" in sentry.transfer_safeguards
    # What could not be confirmed is said in the record.
    assert "Assumption" in sentry.transfer_safeguards


def test_the_seeded_categories_are_the_data_maps(db):
    known = set(Category.values)
    for subprocessor in Subprocessor.objects.all():
        assert set(subprocessor.data_categories) <= known
