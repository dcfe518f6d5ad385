"""Websocket route of the help portal's live updates."""

from django.urls import path

from kb.portal.consumers import PortalConsumer

websocket_urlpatterns = [
    path("ws/portal/", PortalConsumer.as_asgi()),
]
