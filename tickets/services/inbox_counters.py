"""The inbox counter table (tickets.models.counters): folding its deltas, and
rebuilding or checking it against the tickets themselves. PostgreSQL only; on
SQLite the inbox counts its tickets directly."""

from __future__ import annotations

from django.db import connection, transaction

DIMENSIONS = "status, channel, priority, assignee_id, team_id"

_FOLD = f"""
WITH folded AS (DELETE FROM tickets_inboxcounter RETURNING {DIMENSIONS}, n)
INSERT INTO tickets_inboxcounter ({DIMENSIONS}, n)
SELECT {DIMENSIONS}, sum(n) FROM folded GROUP BY {DIMENSIONS} HAVING sum(n) <> 0
"""

_DIRECT = f"SELECT {DIMENSIONS}, count(*) AS n FROM tickets_ticket GROUP BY {DIMENSIONS}"

# One statement, so one snapshot: writers may go on while it runs. No assignee or
# no team is -1 here, so that those combinations join too (NULL never equals NULL).
_KEYED = "status, channel, priority, coalesce(assignee_id, -1) AS assignee, coalesce(team_id, -1) AS team"
_MISMATCHES = f"""
SELECT status, channel, priority, nullif(assignee, -1), nullif(team, -1), coalesce(direct.n, 0), coalesce(counted.n, 0)
FROM (SELECT {_KEYED}, count(*) AS n FROM tickets_ticket GROUP BY 1, 2, 3, 4, 5) AS direct
FULL JOIN (SELECT {_KEYED}, sum(n) AS n FROM tickets_inboxcounter GROUP BY 1, 2, 3, 4, 5) AS counted
    USING (status, channel, priority, assignee, team)
WHERE coalesce(direct.n, 0) <> coalesce(counted.n, 0)
ORDER BY 1, 2, 3, 4, 5
"""


def counters_supported() -> bool:
    return connection.vendor == "postgresql"


def inbox_counters_fold() -> None:
    """Folds the deltas into one row per combination. Inserts made meanwhile are not
    in the statement's snapshot and stay as they are; two folds at once each fold
    what they saw, so a count is never lost nor taken twice."""
    if counters_supported():
        with connection.cursor() as cursor:
            cursor.execute(_FOLD)


def inbox_counter_mismatches() -> list[tuple]:
    """(status, channel, priority, assignee_id, team_id, direct count, counted) for
    every combination where the counters disagree with the tickets."""
    with connection.cursor() as cursor:
        cursor.execute(_MISMATCHES)
        return cursor.fetchall()


@transaction.atomic
def inbox_counters_rebuild() -> None:
    """Recounts from the tickets. Ticket writes wait for the few moments it takes
    (SHARE mode), so the new counts are exact when it commits."""
    with connection.cursor() as cursor:
        cursor.execute("LOCK TABLE tickets_ticket IN SHARE MODE")
        cursor.execute("DELETE FROM tickets_inboxcounter")
        cursor.execute(f"INSERT INTO tickets_inboxcounter ({DIMENSIONS}, n) {_DIRECT}")
