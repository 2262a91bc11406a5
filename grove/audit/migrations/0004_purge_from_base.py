from django.db import migrations

from grove.audit import append_only


def install_purge_function(apps, schema_editor):
    # CREATE OR REPLACE: the purge now deletes from the chain's base up (append_only.py).
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(append_only.PURGE_FUNCTION_SQL, None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_event_chain")]

    operations = [migrations.RunPython(install_purge_function, migrations.RunPython.noop)]
