"""Every ticket's FCR facts recomputed in one statement that writes only the tickets
whose kept facts differ from tickets/selectors/fcr.py's definition.

After a bulk load most tickets already agree (the seeder records
Ticket.fcr_one_contact as it writes them); an UPDATE of every ticket would rewrite a
million rows and leave each of the table's indexes twice its size."""

from __future__ import annotations

from django.db import connection

from tickets.models import Ticket
from tickets.selectors.fcr import fcr_facts_computed


def fcr_facts_rebuild() -> int:
    """Recomputes every ticket's facts; returns how many tickets changed (PostgreSQL),
    or -1 where the facts were rewritten a range of ids at a time (other databases)."""
    if connection.vendor != "postgresql":
        from tickets.services.kpi_facts import all_fcr_facts_refresh

        all_fcr_facts_refresh()
        return -1
    computed = Ticket.objects.annotate(
        **{f"computed_{name}": expression for name, expression in fcr_facts_computed().items()}
    ).values_list(
        "pk", "fcr_one_contact", "repeat_contact_at", "computed_fcr_one_contact", "computed_repeat_contact_at"
    )
    sql, params = computed.order_by().query.sql_with_params()
    table = connection.ops.quote_name(Ticket._meta.db_table)
    # OFFSET 0 keeps the subquery whole: pulled up, its expressions would be evaluated
    # again in each comparison of the WHERE clause.
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS t SET fcr_one_contact = c.one, repeat_contact_at = c.repeat_at "
            f"FROM ({sql} OFFSET 0) AS c (id, kept_one, kept_repeat_at, one, repeat_at) "
            "WHERE t.id = c.id AND (c.kept_one IS DISTINCT FROM c.one OR c.kept_repeat_at IS DISTINCT FROM c.repeat_at)",
            params,
        )
        return cursor.rowcount
