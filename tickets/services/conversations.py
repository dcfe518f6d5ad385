"""Conversations of the inbound queue: one sender, by its normalized address. One
conversation's messages are processed in order, one at a time. SMS and WhatsApp
from one phone are one conversation here: they resolve to the same customer, and
processing them one at a time keeps two batches from creating that customer at
once (which would deadlock on its identity)."""

from __future__ import annotations

import hashlib

from django.db import connection

from tickets.inbound import InboundMessage
from tickets.services.identities import InvalidAddress, normalize_address


def conversation_key(msg: InboundMessage) -> str:
    if msg.customer_id is not None:
        return f"customer:{msg.customer_id}"
    try:
        normalized = normalize_address(msg.sender)
    except InvalidAddress:
        return f"{msg.channel}:raw:{msg.sender}"[:340]
    return f"{normalized.kind}:{normalized.address}"[:340]


def conversation_lock_id(key: str) -> int:
    # A signed 64-bit advisory lock id; two conversations that share one merely wait
    # for each other.
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


def conversation_lock(key: str) -> None:
    """Waits for the conversation's lock, held until the transaction ends (PostgreSQL;
    SQLite has one writer at a time anyway)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [conversation_lock_id(key)])
