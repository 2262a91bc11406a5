"""Full-text search on PostgreSQL (a no-op elsewhere): accent-insensitive French and English
configurations and a GIN index on ``practices_practice.search_vector``.

``unaccent`` is a trusted extension (PostgreSQL 13+): the database owner may create it.

Row-level security and the GIN index: under a policy, PostgreSQL only uses a condition of the
query as an index condition if its function is LEAKPROOF (it may otherwise run on rows the
policy hides, and leak them through an error). ``tsvector @@ tsquery`` (``ts_match_vq``) is not
marked so by default, so every search would read all the tenant's rows. It raises no error that
depends on a row's content, so it is marked LEAKPROOF here, which takes a superuser (a setting
of this database only); run by another role, the migration warns and leaves it to the DBA.
"""

from django.db import migrations

FORWARD_SQL = """
CREATE EXTENSION IF NOT EXISTS unaccent;
DROP TEXT SEARCH CONFIGURATION IF EXISTS grove_fr;
CREATE TEXT SEARCH CONFIGURATION grove_fr (COPY = french);
ALTER TEXT SEARCH CONFIGURATION grove_fr
    ALTER MAPPING FOR hword, hword_part, word, asciihword, asciiword, hword_asciipart
    WITH unaccent, french_stem;
DROP TEXT SEARCH CONFIGURATION IF EXISTS grove_en;
CREATE TEXT SEARCH CONFIGURATION grove_en (COPY = english);
ALTER TEXT SEARCH CONFIGURATION grove_en
    ALTER MAPPING FOR hword, hword_part, word, asciihword, asciiword, hword_asciipart
    WITH unaccent, english_stem;
CREATE INDEX IF NOT EXISTS practice_search_gin ON practices_practice USING gin (search_vector);
DO $$
BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        ALTER FUNCTION pg_catalog.ts_match_vq(tsvector, tsquery) LEAKPROOF;
    ELSE
        RAISE WARNING 'grove: ts_match_vq is not LEAKPROOF: under row-level security the '
            'search cannot use its GIN index. A superuser should run: ALTER FUNCTION '
            'pg_catalog.ts_match_vq(tsvector, tsquery) LEAKPROOF (docs/operations.md)';
    END IF;
END $$;
"""

BACKWARD_SQL = """
DO $$
BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        ALTER FUNCTION pg_catalog.ts_match_vq(tsvector, tsquery) NOT LEAKPROOF;
    END IF;
END $$;
DROP INDEX IF EXISTS practice_search_gin;
DROP TEXT SEARCH CONFIGURATION IF EXISTS grove_en;
DROP TEXT SEARCH CONFIGURATION IF EXISTS grove_fr;
"""


class PostgresOnlySQL(migrations.RunSQL):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("practices", "0001_initial")]

    operations = [PostgresOnlySQL(FORWARD_SQL, BACKWARD_SQL)]
