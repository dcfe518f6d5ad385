"""Builders for test data. Inbound messages always go through the real pipeline."""

from __future__ import annotations

import itertools
import uuid

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from tickets.inbound import InboundMessage
from tickets.models import AgentProfile, IdentityClaim
from tickets.services.claims import claim_confirm
from tickets.services.ingest import IngestResult, ingest

_counter = itertools.count(1)


def make_user(username: str, *, roles: list[str] = (), in_training: bool = False, **fields):
    user = get_user_model().objects.create_user(username=username, password="pw-" + username, **fields)
    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    if roles:
        AgentProfile.objects.create(user=user, in_training=in_training)
    return user


def inbound(channel: str = "sms", sender: str = "+66812345678", text: str = "hello", **fields) -> InboundMessage:
    fields.setdefault("external_id", f"{channel}-{next(_counter)}-{uuid.uuid4().hex[:8]}")
    return InboundMessage(channel=channel, sender=sender, text=text, **fields)


def deliver(channel: str = "sms", sender: str = "+66812345678", text: str = "hello", **fields) -> IngestResult:
    return ingest(inbound(channel, sender, text, **fields))


def deliver_verified_chat(sender: str, text: str, *, addresses: list[str], **fields) -> IngestResult:
    """A chat whose pre-chat addresses an agent then confirmed: the visitor is that customer."""
    result = deliver("chat", sender, text, sender_extra_addresses=addresses, **fields)
    for claim in IdentityClaim.objects.filter(customer=result.message.customer, verified_at__isnull=True):
        claim_confirm(claim_id=claim.pk, method=IdentityClaim.Method.AGENT)
    result.message.refresh_from_db()
    return result
