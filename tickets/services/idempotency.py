"""Idempotency-Key on API POSTs, as Stripe's API does it: a retry with the same key
(per user, for 24 hours) gets the first answer again and changes nothing; the same
key on a different request is refused; a key whose first request is still running
answers 409. Kept in the database, so that it holds across server processes and
restarts. https://docs.stripe.com/api/idempotent_requests"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from tickets.models import IdempotentRequest

KEY_TTL = timedelta(hours=24)
MAX_KEY_LENGTH = 255
# One claim in this many (by the new row's id) also deletes the user's expired keys.
CLEANUP_EVERY = 50


@dataclass(frozen=True)
class Replay:
    status_code: int
    body: object


class KeyConflict(Exception):
    """`reason` is "in_progress" or "mismatch"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def request_fingerprint(*, method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\n".join([method.encode(), path.encode(), body])).hexdigest()


def idempotency_begin(*, user_id: int, key: str, fingerprint: str) -> Replay | None:
    """Claims the key for this request (None: go ahead), or returns the first answer
    to replay. Raises KeyConflict."""
    now = timezone.now()
    claimed_id = _claim(user_id=user_id, key=key, fingerprint=fingerprint, now=now)
    if claimed_id is not None:
        if claimed_id % CLEANUP_EVERY == 0:
            _expired_delete(user_id=user_id, now=now)
        return None
    # Inside the request's transaction (tickets.api_idempotency): no savepoint of its own.
    with transaction.atomic(savepoint=False):
        record = IdempotentRequest.objects.select_for_update().get(user_id=user_id, key=key)
        if record.created_at < now - KEY_TTL:
            record.fingerprint, record.status_code, record.response, record.created_at = fingerprint, None, None, now
            record.save(update_fields=["fingerprint", "status_code", "response", "created_at"])
            return None
    if record.fingerprint != fingerprint:
        raise KeyConflict("mismatch")
    if record.status_code is None:
        raise KeyConflict("in_progress")
    return Replay(status_code=record.status_code, body=record.response)


def _claim(*, user_id: int, key: str, fingerprint: str, now) -> int | None:
    """The new row's id, or None when the key is taken: one statement, where an INSERT
    that may fail needs a savepoint around it (PostgreSQL and SQLite both know ON
    CONFLICT ... RETURNING)."""
    q = connection.ops.quote_name
    sql = (
        f"INSERT INTO {q(IdempotentRequest._meta.db_table)} ({q('user_id')}, {q('key')}, {q('fingerprint')}, "
        f"{q('created_at')}) VALUES (%s, %s, %s, %s) ON CONFLICT ({q('user_id')}, {q('key')}) DO NOTHING "
        f"RETURNING {q('id')}"
    )
    created_at = IdempotentRequest._meta.get_field("created_at").get_db_prep_value(now, connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id, key, fingerprint, created_at])
        row = cursor.fetchone()
    return row[0] if row else None


def _expired_delete(*, user_id: int, now) -> None:
    # Now and then, the user's expired keys go; the unique key keeps the table small anyway.
    expired = IdempotentRequest.objects.filter(user_id=user_id, created_at__lt=now - KEY_TTL)
    IdempotentRequest.objects.filter(pk__in=list(expired.values_list("pk", flat=True)[:100])).delete()


def idempotency_finish(*, user_id: int, key: str, status_code: int, body: object) -> None:
    """Keeps the answer for the retries. A server error is not kept: the key is
    released, and a retry runs the request again."""
    if status_code >= 500:
        idempotency_abort(user_id=user_id, key=key)
        return
    # One plain statement: on a ticket create, the ORM's update cost a tenth of the request.
    q = connection.ops.quote_name
    response = IdempotentRequest._meta.get_field("response").get_db_prep_save(body, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {q(IdempotentRequest._meta.db_table)} SET {q('status_code')} = %s, {q('response')} = %s "
            f"WHERE {q('user_id')} = %s AND {q('key')} = %s AND {q('status_code')} IS NULL",
            [status_code, response, user_id, key],
        )


def idempotency_abort(*, user_id: int, key: str) -> None:
    IdempotentRequest.objects.filter(user_id=user_id, key=key, status_code__isnull=True).delete()
