"""Background task of the erasure (django-tasks): vacuum the tables an erasure touched.

A VACUUM of large tables with their indexes can take a while: it runs in the worker, after the
erasure's commit, never in the request. Its argument is table names: nothing about a person.
"""

from django_tasks import task

from .erasure import vacuum_tables


@task()
def vacuum_after_erasure(tables: list[str]) -> dict:
    """VACUUM the tables (see ``vacuum_tables``); returns how many were vacuumed and skipped."""
    vacuumed, skipped = vacuum_tables(tables)
    return {"vacuumed": len(vacuumed), "skipped": len(skipped)}
