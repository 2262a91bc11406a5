"""Replace the recovery codes stored in clear in django-otp's StaticToken rows by their hashes.

Idempotent: a row that already holds a hash (it starts with the prefix no code has) is left
alone. Not reversible: a hash cannot be turned back into its code.
"""

import base64

from django.db import migrations
from django.utils.crypto import salted_hmac

# A frozen copy of grove.accounts.second_factor.recovery_code_hash as of this migration, so
# that a later change there does not silently change what this migration wrote.
HASH_PREFIX = "$"
HASH_SALT = "grove.accounts.second_factor.recovery_code"
HASH_CHARS = 15


def _recovery_code_hash(code: str) -> str:
    normalized = "".join(ch for ch in code.lower() if ch.isalnum())
    digest = salted_hmac(HASH_SALT, normalized, algorithm="sha256").digest()
    return HASH_PREFIX + base64.urlsafe_b64encode(digest).decode("ascii")[:HASH_CHARS]


def hash_clear_recovery_codes(apps, schema_editor) -> None:
    StaticToken = apps.get_model("otp_static", "StaticToken")
    clear = StaticToken.objects.exclude(token__startswith=HASH_PREFIX).order_by("pk")
    # Batches re-read until none is left (a hashed row leaves the filter), rather than writing
    # to the table a cursor is still reading, which SQLite does not isolate.
    while batch := list(clear.only("pk", "token")[:1000]):
        for token in batch:
            token.token = _recovery_code_hash(token.token)
        StaticToken.objects.bulk_update(batch, ["token"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_user_erased_at"),
        ("otp_static", "0003_add_timestamps"),
    ]

    operations = [
        migrations.RunPython(hash_clear_recovery_codes, migrations.RunPython.noop, elidable=True),
    ]
