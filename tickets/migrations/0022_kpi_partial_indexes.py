from django.db import migrations

# Partial covering indexes for the KPI dashboard on PostgreSQL (SQLite has no INCLUDE;
# its plain indexes serve there):
# - the backlog: tickets active or never resolved, however many were ever resolved;
# - the daily trend's median first response: one day's answered tickets at a time;
# - the agent table's median first response: one agent's answered tickets at a time.
PARTIAL_INDEXES = {
    "ticket_kpi_backlog_idx": "tickets_ticket (created_at) INCLUDE (id, status, resolved_at, channel, "
    "team_id, assignee_id) WHERE status IN ('new', 'open', 'pending') OR resolved_at IS NULL",
    "ticket_kpi_first_response_idx": "tickets_ticket (created_at) INCLUDE (first_response_s, channel, team_id, "
    "assignee_id) WHERE first_response_s IS NOT NULL",
    "ticket_kpi_agent_response_idx": "tickets_ticket (assignee_id, created_at) INCLUDE (first_response_s, channel, "
    "team_id) WHERE assignee_id IS NOT NULL AND first_response_s IS NOT NULL",
}


def create_partial_indexes(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, definition in PARTIAL_INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {definition}")


def drop_partial_indexes(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in PARTIAL_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0021_survey_plans"),
    ]

    operations = [
        migrations.RunPython(create_partial_indexes, drop_partial_indexes, elidable=False),
    ]
