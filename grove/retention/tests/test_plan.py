"""The purge plan: every tenant-owned model covered, in dependency order, counts only."""

from .conftest import organization_counts


def test_the_shared_world_has_rows_in_both_organizations(retention_world):
    a = organization_counts(retention_world.a.organization)
    b = organization_counts(retention_world.b.organization)
    assert a["practices.Practice"] == 3 and b["practices.Practice"] == 3
    assert a["practices.Attachment"] == 2
    assert a["accounts.User"] == 3
