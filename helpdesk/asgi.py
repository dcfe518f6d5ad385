"""ASGI entry point: HTTP through Django, websockets through Channels' routing."""

import os
import warnings

import django
from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler

# WhiteNoise serves static files as synchronous iterators, which Django's ASGI handler
# reads in a thread: correct, and not worth a warning on the first file of every process.
warnings.filterwarnings("ignore", message="StreamingHttpResponse must consume synchronous iterators")


class SynchronousRequestHandler(ASGIHandler):
    """Django's ASGI handler with the middleware chain and the view run as one
    synchronous call in the request thread. Every view here is synchronous, and so is
    some of the middleware: Django's asynchronous chain sent each of the other
    middleware's request and response steps to that thread and back, about fifteen
    hops a request, where this makes one."""

    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=False)

    async def get_response_async(self, request):
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)


os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
django.setup(set_prefix=False)
django_asgi_app = SynchronousRequestHandler()

from helpdesk.secrets import refuse_default_secrets  # noqa: E402

refuse_default_secrets()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from helpdesk.routing import websocket_urlpatterns  # noqa: E402
from tickets import pipeline_worker  # noqa: E402

# Each server process processes accepted inbound events and relays the outbox.
pipeline_worker.start()

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
