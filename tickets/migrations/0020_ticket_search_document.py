"""The console's search document per ticket (tickets.models.search). On PostgreSQL a
GIN index over all its words serves the search; the trigram index over every
message's text (0012), which the search no longer reads, goes: it was the largest
index of the table and the slowest to keep up on every inbound message.

The documents of an existing database are filled by `manage.py rebuild_search_documents`."""

import django.db.models.deletion
from django.db import migrations, models

import tickets.models.search

SEARCH_INDEX = "ticket_search_document_idx"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {SEARCH_INDEX} ON tickets_ticketsearchdocument "
        "USING gin ((customer_terms || message_terms))"
    )
    schema_editor.execute("DROP INDEX IF EXISTS message_text_trgm_idx")


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {SEARCH_INDEX}")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS message_text_trgm_idx ON tickets_message USING gin (UPPER(text) gin_trgm_ops)"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0019_inbox_counters"),
    ]

    operations = [
        migrations.CreateModel(
            name="TicketSearchDocument",
            fields=[
                (
                    "ticket",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="search_document",
                        serialize=False,
                        to="tickets.ticket",
                        verbose_name="ticket",
                    ),
                ),
                ("customer_terms", tickets.models.search.SearchTermsField(default="", verbose_name="customer terms")),
                ("message_terms", tickets.models.search.SearchTermsField(default="", verbose_name="message terms")),
            ],
            options={
                "verbose_name": "ticket search document",
                "verbose_name_plural": "ticket search documents",
            },
        ),
        migrations.RunPython(create_index, drop_index),
    ]
