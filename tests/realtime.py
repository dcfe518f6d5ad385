"""Helpers for the websocket consumers' tests."""

from __future__ import annotations

import asyncio
import contextlib
import threading

from asgiref.sync import sync_to_async


@contextlib.asynccontextmanager
async def sync_thread_busy():
    """Holds the server process's one thread for thread-sensitive sync code, as other
    connections' database work (the live chat's messages) does under load."""
    release = threading.Event()
    holder = asyncio.ensure_future(sync_to_async(release.wait)())
    try:
        yield
    finally:
        release.set()
        await holder
