"""ASGI entry point: HTTP through Django, websockets through Channels' routing."""

import os
import warnings

from django.core.asgi import get_asgi_application

# WhiteNoise serves static files as synchronous iterators, which Django's ASGI handler
# reads in a thread: correct, and not worth a warning on the first file of every process.
warnings.filterwarnings("ignore", message="StreamingHttpResponse must consume synchronous iterators")

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
django_asgi_app = get_asgi_application()

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
