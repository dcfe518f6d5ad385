"""A websocket to a path that no route serves is refused cleanly (the handshake gets
a 403, as for any refused websocket) instead of raising "No route found" into the
server as a 500."""

from __future__ import annotations

from channels.generic.websocket import WebsocketConsumer


class UnknownPathConsumer(WebsocketConsumer):
    def connect(self) -> None:
        self.close(code=4404)
