"""Websocket routes of every app, gathered in one place."""

from django.urls import re_path

from channels_app.chat.routing import websocket_urlpatterns as chat_routes
from helpdesk.unknown_websocket import UnknownPathConsumer
from kb.portal.routing import websocket_urlpatterns as portal_routes
from tickets.console.routing import websocket_urlpatterns as console_routes

# Last: any other path is refused cleanly rather than failing the router.
websocket_urlpatterns: list = [
    *chat_routes,
    *console_routes,
    *portal_routes,
    re_path(r"", UnknownPathConsumer.as_asgi()),
]
