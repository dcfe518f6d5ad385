"""One LINE webhook event, from its JSON to the pipeline or the contact's state:
messages and postbacks are accepted by THE pipeline, follow and unfollow change the
contact, and a link code from a customer who proved who they are links the accounts."""

from __future__ import annotations

import json
import logging

from django.db import transaction

from channels_app.line.contacts import line_follow_record, line_link_code_of, line_link_redeem, line_profile_stale
from channels_app.line.parsing import InvalidLineEvent, event_time, event_user_id, inbound_from_event
from channels_app.line.tasks import confirm_line_link, refresh_line_profile
from tickets.services.autoack import CHANNEL_COMMAND
from tickets.services.ingest import IngestResult, InvalidInbound, inbound_accept

logger = logging.getLogger(__name__)


def line_event_receive(*, event: dict, destination: str = "") -> IngestResult | None:
    """Takes one event of a verified batch. Events of kinds we do not keep (join,
    leave, beacon, unsend...) are acknowledged and dropped; so is one we cannot make
    sense of, with a warning: LINE would only redeliver it."""
    kind = event.get("type")
    user_id = event_user_id(event)
    if kind in ("follow", "unfollow") and user_id:
        line_follow_record(user_id=user_id, followed=kind == "follow", at=event_time(event))
        _profile_refresh_on_commit(user_id)
        return None
    if kind not in ("message", "postback"):
        return None
    try:
        msg = inbound_from_event(event)
    except InvalidLineEvent as exc:
        logger.warning("LINE event %s not taken: %s", event.get("webhookEventId"), exc)
        return None
    msg.metadata["line"]["destination"] = destination[:100]
    code = line_link_code_of(msg.text) if not msg.metadata["line"]["redelivery"] else ""
    if code:
        # Linked before the message is processed, so that it lands on the linked customer.
        linked = line_link_redeem(user_id=user_id, code=code)
        # Addressed to the helpdesk itself, not to the support team: nothing to acknowledge.
        msg.metadata[CHANNEL_COMMAND] = True
        token = msg.metadata["line"].get("reply_token", "")
        transaction.on_commit(lambda: confirm_line_link.delay(user_id, token, linked.pk if linked else None))
    raw = json.dumps({"destination": destination, "events": [event]}, ensure_ascii=False).encode()
    try:
        result = inbound_accept(msg, raw=raw)
    except InvalidInbound as exc:
        logger.warning("LINE event %s not taken: %s", event.get("webhookEventId"), exc)
        return None
    _profile_refresh_on_commit(user_id)
    return result


def _profile_refresh_on_commit(user_id: str) -> None:
    if line_profile_stale(user_id):
        transaction.on_commit(lambda: refresh_line_profile.delay(user_id))
