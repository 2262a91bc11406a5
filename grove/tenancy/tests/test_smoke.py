from grove.tenancy.context import tenant_context
from grove.tenancy.models import Organization


def test_a_member_sees_only_their_organization(alice, charlie):
    with tenant_context(alice.organization):
        assert list(Organization.objects.values_list("slug", flat=True)) == ["org-a"]
