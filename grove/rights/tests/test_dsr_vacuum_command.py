from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from grove.rights.erasure import erasure_tables


@pytest.mark.django_db(transaction=True)
def test_dsr_vacuum_vacuums_the_tables_erasures_touch():
    out = StringIO()
    call_command("dsr", "vacuum", stdout=out)
    tables = erasure_tables()
    assert "accounts_user" in tables
    if connection.vendor == "postgresql":
        # The suite logs in as the owner and switches to the app role: the owner vacuums.
        assert f"{len(tables)} table(s) vacuumed." in out.getvalue()
    else:
        assert "table(s) vacuumed." in out.getvalue()
