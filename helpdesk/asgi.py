"""ASGI entry point: HTTP through Django, websockets through Channels' routing."""

import asyncio
import contextvars
import os
import tempfile
import warnings
from concurrent.futures import ThreadPoolExecutor

import django
from django.core import signals
from django.core.handlers.asgi import ASGIHandler, RequestAborted, get_script_prefix
from django.urls import set_script_prefix

# WhiteNoise serves static files as synchronous iterators, which Django's ASGI handler
# reads in a thread: correct, and not worth a warning on the first file of every process.
warnings.filterwarnings("ignore", message="StreamingHttpResponse must consume synchronous iterators")

# Threads kept for the requests of this process: a request waiting on PostgreSQL lets
# another one run. Each holds a pooled database connection only during its request.
REQUEST_THREADS = int(os.environ.get("HELPDESK_REQUEST_THREADS", "8"))
SPOOL_IN_MEMORY_BYTES = 1 << 20
SPOOL_CHUNK_BYTES = 64 * 1024


class SynchronousRequestHandler(ASGIHandler):
    """Django's ASGI handler with a whole request run as one synchronous call on one
    of a few long-lived threads: the request_started signal, the middleware chain, the
    view, the streamed body and the request_finished signal that hands the database
    connection back to the pool. Every view here is synchronous. Django's own handler
    starts a new thread for every request (a ThreadSensitiveContext each) and hops to
    it three times; this hops once, to a thread that already exists."""

    def __init__(self):
        super().__init__()
        self.threads = ThreadPoolExecutor(max_workers=REQUEST_THREADS, thread_name_prefix="http")

    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=False)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(get_script_prefix(scope))
        in_context = contextvars.copy_context().run
        loop = asyncio.get_running_loop()
        response, spool = await loop.run_in_executor(self.threads, in_context, self.respond, scope, body_file)
        try:
            await self.send_response(response, send)
        finally:
            body_file.close()
            if spool is not None:
                spool.close()

    def respond(self, scope, body_file):
        """The response, its body read and the request finished, on this thread; with
        the file that holds a streamed body, if any."""
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.get_response(request)
            response._handler_class = self.__class__
        spool = None
        if response.streaming and not response.is_async:
            # A body read from the database is read here, where the connection is, into
            # a file that stays in memory up to 1 MB: a year's CSV export is not held
            # whole in memory.
            spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES)
            spool.writelines(response.streaming_content)
            spool.seek(0)
            response.streaming_content = iter(lambda: spool.read(SPOOL_CHUNK_BYTES), b"")
        response.close()  # request_finished: this thread's connection goes back to the pool
        return response, spool


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

# Each server process processes accepted inbound events and relays the outbox, unless
# HELPDESK_PIPELINE_IN_SERVERS leaves that to the Celery workers.
pipeline_worker.start_in_server()

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
