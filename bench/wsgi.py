"""The WSGI application the practices benchmark serves with gunicorn: Grove's own, with the
benchmark's URLs beside the application's (bench/urls.py includes grove.urls).

``BENCH_RLS_WRAPPER=0`` takes grove.tenancy.db's execute wrapper off each connection (no
set_config at all), for the "RLS off" server that connects as the superuser, like the rls
benchmark's baseline.
"""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "grove.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402

settings.ROOT_URLCONF = "bench.urls"

if os.environ.get("BENCH_RLS_WRAPPER", "1") == "0":
    from django.db.backends.signals import connection_created  # noqa: E402

    from grove.tenancy.db import rls_execute_wrapper  # noqa: E402

    def _without_wrapper(sender, connection, **kwargs):
        if rls_execute_wrapper in connection.execute_wrappers:
            connection.execute_wrappers.remove(rls_execute_wrapper)

    connection_created.connect(_without_wrapper, weak=False)

application = get_wsgi_application()
