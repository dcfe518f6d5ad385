"""Trigram indexes for the console's search: message text, ticket subjects and
customer names, matched as substrings in any script (Thai included). They serve
Django's icontains, which PostgreSQL runs as UPPER(column) LIKE UPPER('%...%').
PostgreSQL only: SQLite searches these columns by scanning."""

from django.db import migrations

INDEXES = (
    ("message_text_trgm_idx", "tickets_message", "text"),
    ("ticket_subject_trgm_idx", "tickets_ticket", "subject"),
    ("customer_name_trgm_idx", "tickets_customer", "name"),
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (UPPER({column}) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _, _ in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0011_security_signins_idempotency_claims_lease"),
    ]

    operations = [migrations.RunPython(create, drop)]
