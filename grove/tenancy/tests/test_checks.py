from grove.tenancy.checks import binding_problems

POSTGRESQL = "django.db.backends.postgresql"


def test_it_refuses_server_side_binding_on_postgresql():
    database = {"ENGINE": POSTGRESQL, "OPTIONS": {"server_side_binding": True}}
    assert [e.id for e in binding_problems(database)] == ["tenancy.E001"]


def test_it_accepts_the_default_client_side_binding():
    assert binding_problems({"ENGINE": POSTGRESQL, "OPTIONS": {}}) == []
