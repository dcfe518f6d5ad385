"""Where the channel adapters plug into the domain without the domain importing them.

channels_app fills these when its app loads: a sender per channel for outbound
messages, and a media fetcher per channel for files a provider hosts."""

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
MediaFetcher = Callable[[list[int]], None]

_senders: dict[str, Sender] = {}
_media_fetchers: dict[str, MediaFetcher] = {}


def register_sender(channel: str, sender: Sender) -> None:
    _senders[channel] = sender


def get_sender(channel: str) -> Sender:
    try:
        return _senders[channel]
    except KeyError:
        raise PermanentSendError(f"no sender is configured for the {channel} channel", code="no-sender") from None


def register_media_fetcher(channel: str, fetcher: MediaFetcher) -> None:
    _media_fetchers[channel] = fetcher


def get_media_fetcher(channel: str) -> MediaFetcher | None:
    return _media_fetchers.get(channel)
