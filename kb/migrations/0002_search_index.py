"""The search index, per database engine.

PostgreSQL: a stored tsvector column generated from the segmented title (weight A) and
body (weight B) with the 'simple' configuration, a GIN index on it, and pg_trgm with a
trigram index on the segmented titles for typos when the extension can be created.

SQLite: an FTS5 table with the segmented documents, kept in sync by kb.search.index_articles
(called by the services that save articles)."""

from django.db import migrations

PG_VECTOR = """
ALTER TABLE kb_article ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple'::regconfig, coalesce(search_title, '')), 'A') ||
    setweight(to_tsvector('simple'::regconfig, coalesce(search_body, '')), 'B')
) STORED;
CREATE INDEX kb_article_search_vector_gin ON kb_article USING gin (search_vector);
"""
PG_VECTOR_REVERSE = """
DROP INDEX IF EXISTS kb_article_search_vector_gin;
ALTER TABLE kb_article DROP COLUMN IF EXISTS search_vector;
"""
SQLITE_FTS = (
    "CREATE VIRTUAL TABLE kb_article_fts USING fts5(title, body, tokenize = 'ascii')"
)


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        schema_editor.execute(PG_VECTOR)
        _create_trigram_index(schema_editor)
    elif connection.vendor == "sqlite":
        # The documents are segmented and lower-cased before they are indexed; 'ascii'
        # splits on ASCII spaces and punctuation only, so Thai words stay whole.
        schema_editor.execute(SQLITE_FTS)


def _create_trigram_index(schema_editor) -> None:
    """pg_trgm needs a privilege that a managed database may not grant: without it,
    search falls back to the vocabulary pass (kb.search) instead of failing the migration."""
    from django.db import DatabaseError, transaction

    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError:
        return
    schema_editor.execute(
        "CREATE INDEX kb_article_search_title_trgm ON kb_article USING gin (search_title gin_trgm_ops)"
    )


def backwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS kb_article_search_title_trgm")
        schema_editor.execute(PG_VECTOR_REVERSE)
    elif connection.vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS kb_article_fts")


class Migration(migrations.Migration):
    dependencies = [("kb", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
