import pytest
from django.db import connection, transaction

from grove.tenancy.managers import tenant_owned_models

from .builders import BUILDERS


def _label(model) -> str:
    return model._meta.label


# Every tenant-owned model that has a builder; test_isolation_orm.py fails for one without.
MODELS = [m for m in tenant_owned_models() if m in BUILDERS]


@pytest.fixture(params=MODELS, ids=_label)
def model(request):
    return request.param


@pytest.fixture
def builder(model):
    return BUILDERS[model]


@pytest.fixture
def rows(builder, org_a, org_b):
    """One row of organization A and one of B, of the parametrized model."""
    return builder.create(org_a), builder.create(org_b)


@pytest.fixture(params=["prefix", "statement"])
def rls_mode(request, settings):
    """Both ways of handing the tenant to PostgreSQL: prefixed to a statement, or its own."""
    settings.GROVE_RLS_SET_MODE = request.param
    return request.param


@pytest.fixture(params=["autocommit", "atomic"])
def transaction_mode(request, transactional_db):
    """Autocommit is what a request outside ATOMIC_REQUESTS (or a job) sees; atomic the rest."""
    if request.param == "autocommit":
        assert connection.get_autocommit()
        yield request.param
        return
    with transaction.atomic():
        yield request.param
