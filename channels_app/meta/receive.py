"""One messaging item of a verified Meta webhook: messages and postbacks are accepted
by THE pipeline; echoes and receipts settle what we sent."""

from __future__ import annotations

import json
import logging

from django.db import transaction

from channels_app.meta.parsing import CHANNELS, InvalidMetaEvent, event_kind, inbound_from_messaging
from channels_app.meta.profiles import meta_profile_stale
from channels_app.meta.receipts import meta_echo_record, meta_receipt_record
from channels_app.meta.tasks import refresh_meta_profile
from tickets.services.ingest import InvalidInbound, inbound_accept

logger = logging.getLogger(__name__)


def meta_messaging_receive(*, platform: str, page_id: str, item: dict) -> str:
    """Takes one item of an entry's `messaging` list; returns its kind. Kinds we do not
    keep (reactions, referrals, opt-ins) and items we cannot make sense of are
    acknowledged and dropped: Meta would only send them again."""
    channel = CHANNELS[platform]
    kind = event_kind(item)
    if kind in ("message", "postback"):
        try:
            msg = inbound_from_messaging(item, channel=channel, page_id=page_id)
            raw = json.dumps({"object": platform, "entry": [{"id": page_id, "messaging": [item]}]}, ensure_ascii=False)
            inbound_accept(msg, raw=raw.encode())
            user_id = msg.metadata["meta"]["sender_id"]
            if meta_profile_stale(channel=channel, user_id=user_id):
                transaction.on_commit(lambda: refresh_meta_profile.delay(channel, user_id))
        except (InvalidMetaEvent, InvalidInbound) as exc:
            logger.warning("%s event not taken: %s", channel, exc)
    elif kind == "echo":
        meta_echo_record(channel=channel, item=item)
    elif kind in ("read", "delivery"):
        meta_receipt_record(channel=channel, item=item, read=kind == "read")
    return kind
