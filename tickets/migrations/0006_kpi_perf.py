from django.db import migrations

# Covering indexes for the KPI queries on PostgreSQL: the tickets created in a range and
# the tickets resolved in a range, with every column the KPI aggregates and filters read,
# so those passes are index-only scans rather than visits of the wide ticket rows. SQLite
# has no INCLUDE; there the plain created_at and resolved_at indexes serve.
COVERING_INDEXES = {
    "ticket_kpi_created_idx": "tickets_ticket (created_at) INCLUDE (id, channel, team_id, assignee_id, escalated_at, "
    "first_response_s, first_response_business_s)",
    "ticket_kpi_resolved_idx": "tickets_ticket (resolved_at) INCLUDE (id, channel, team_id, assignee_id, customer_id, "
    "agent_initiated, agent_reply_count, reopen_count, resolution_s, resolution_business_s)",
}


def create_covering_indexes(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, definition in COVERING_INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {definition}")


def drop_covering_indexes(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in COVERING_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0005_kpi_indexes"),
    ]

    operations = [
        migrations.RunPython(create_covering_indexes, drop_covering_indexes, elidable=False),
    ]
