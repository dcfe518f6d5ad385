"""Where the channel adapters plug into the domain without the domain importing them.

channels_app fills these when its app loads: a sender per channel for outbound
messages, a media fetch task per channel for files a provider hosts, and what a
channel does with its inbound messages once the pipeline has stored them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tickets.models import Message


class SendError(Exception):
    """A send that failed. `code` is the provider's error code, shown to the agent."""

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class TransientSendError(SendError):
    """Worth retrying: a timeout, a 5xx, a rate limit."""


class PermanentSendError(SendError):
    """Retrying will not help: an invalid number, an opted-out customer, a rejected template."""


@dataclass(frozen=True)
class SendResult:
    external_id: str
    status: str = "sent"


Sender = Callable[["Message"], SendResult]
# Called by the pipeline with a batch's new inbound messages of one channel, inside the
# batch's transaction: the live chat tells the visitor's widgets, for one.
InboundFollowup = Callable[[list["Message"]], None]

_senders: dict[str, Sender] = {}
# The Celery task, by name, that fetches a channel's provider-hosted files; it takes
# a list of Attachment ids. Named, so that the pipeline can write it to its outbox.
_media_fetch_tasks: dict[str, str] = {}
_inbound_followups: dict[str, InboundFollowup] = {}


def register_sender(channel: str, sender: Sender) -> None:
    _senders[channel] = sender


def get_sender(channel: str) -> Sender:
    try:
        return _senders[channel]
    except KeyError:
        raise PermanentSendError(f"no sender is configured for the {channel} channel", code="no-sender") from None


def register_media_fetch_task(channel: str, task_name: str) -> None:
    _media_fetch_tasks[channel] = task_name


def get_media_fetch_task(channel: str) -> str:
    return _media_fetch_tasks.get(channel, "")


def register_inbound_followup(channel: str, followup: InboundFollowup) -> None:
    _inbound_followups[channel] = followup


def get_inbound_followup(channel: str) -> InboundFollowup | None:
    return _inbound_followups.get(channel)
