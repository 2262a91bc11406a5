import copy

from grove.tenancy.checks import check_client_side_binding


def test_it_refuses_server_side_binding_on_postgresql(settings):
    databases = copy.deepcopy(settings.DATABASES)
    databases["default"]["ENGINE"] = "django.db.backends.postgresql"
    databases["default"]["OPTIONS"] = {"server_side_binding": True}
    settings.DATABASES = databases
    assert [e.id for e in check_client_side_binding()] == ["tenancy.E001"]


def test_it_accepts_the_default_client_side_binding(settings):
    databases = copy.deepcopy(settings.DATABASES)
    databases["default"]["ENGINE"] = "django.db.backends.postgresql"
    databases["default"]["OPTIONS"] = {}
    settings.DATABASES = databases
    assert check_client_side_binding() == []
