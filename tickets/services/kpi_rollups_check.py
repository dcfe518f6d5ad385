"""Proof that the KPI facts and rollups equal a full recomputation: what
`rebuild_kpi_rollups --check` and the tests compare."""

from __future__ import annotations

from collections import Counter

from django.db import connection

from tickets.models import Ticket
from tickets.services.kpi_month_rollups import (
    MONTH_ROLLUPS,
    month_rows_from_days,
    normalized_row,
    stored_month_rows,
)
from tickets.services.kpi_rollups import ROLLUPS, kpi_rollups_flush, within_days


def kpi_rollups_differences() -> list[str]:
    """How the stored facts and rollups differ from a full recomputation, one line per
    differing row (empty when they are equal)."""
    from tickets.services.kpi_facts import fcr_facts_stale

    kpi_rollups_flush()
    lines = [
        f"ticket {row['pk']}: fcr_one_contact {row['fcr_one_contact']} (computed {row['computed_fcr_one_contact']}),"
        f" repeat_contact_at {row['repeat_contact_at']} (computed {row['computed_repeat_contact_at']})"
        for row in fcr_facts_stale(Ticket.objects.all())
    ]
    within = within_days(None)
    month_rollups = {month_rollup.day_model: month_rollup for month_rollup in MONTH_ROLLUPS}
    for rollup in ROLLUPS:
        sql, params = rollup.rows(within)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            day_rows = cursor.fetchall()
        computed = Counter(normalized_row(row) for row in day_rows)
        stored = Counter(normalized_row(row) for row in rollup.model.objects.values_list(*rollup.columns))
        lines += _row_differences(rollup.table, rollup.columns, stored, computed)
        month_rollup = month_rollups.get(rollup.model)
        if month_rollup is None:
            continue
        # The months against the sums of the recomputed days, not of the stored ones.
        lines += _row_differences(
            month_rollup.table,
            month_rollup.columns,
            stored_month_rows(month_rollup),
            month_rows_from_days(month_rollup, day_rows),
        )
    return lines


def _row_differences(table: str, columns: tuple[str, ...], stored: Counter, computed: Counter) -> list[str]:
    lines = [
        f"{table}: stored {dict(zip(columns, row, strict=True))} is not in the recomputation"
        for row in sorted((stored - computed).keys())
    ]
    lines += [
        f"{table}: recomputed {dict(zip(columns, row, strict=True))} is not stored"
        for row in sorted((computed - stored).keys())
    ]
    return lines
