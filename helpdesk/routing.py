"""Websocket routes of every app, gathered in one place."""

from channels_app.chat.routing import websocket_urlpatterns as chat_routes
from kb.portal.routing import websocket_urlpatterns as portal_routes
from tickets.console.routing import websocket_urlpatterns as console_routes

websocket_urlpatterns: list = [*chat_routes, *console_routes, *portal_routes]
