"""Websocket route of the live chat's customers."""

from django.urls import path

from channels_app.chat.consumers import ChatConsumer

websocket_urlpatterns = [
    path("ws/chat/", ChatConsumer.as_asgi()),
]
