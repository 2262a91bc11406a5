"""Full-text search on PostgreSQL (a no-op elsewhere): accent-insensitive French and English
configurations and a GIN index on ``practices_practice.search_vector``.

``unaccent`` is a trusted extension (PostgreSQL 13+): the database owner may create it.
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
"""

BACKWARD_SQL = """
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
