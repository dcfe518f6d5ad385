"""Django's Redis cache with its connection pools and clients kept per process.

Under ASGI, Django's cache handler is local to each request's context, so every
request built a new cache object, with a new connection pool: a new connection to
Redis (and its handshake) for every request. And for every call Django's client built
a new redis.Redis, whose table of about 170 response callbacks costs more CPU than
the round trip. Here each process keeps one pool per server and options, and one
client per pool (both are thread-safe: a command borrows a connection from the pool,
and a forked child opens its own)."""

from __future__ import annotations

import threading

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

_pools: dict[tuple, object] = {}
_clients: dict[int, object] = {}
_lock = threading.Lock()


class SharedClientRedisCacheClient(RedisCacheClient):
    def _get_connection_pool(self, write):
        server = self._servers[self._get_connection_pool_index(write)]
        key = (server, self._pool_class, repr(sorted(self._pool_options.items())))
        pool = _pools.get(key)
        if pool is None:
            with _lock:
                pool = _pools.get(key)
                if pool is None:
                    pool = _pools[key] = self._pool_class.from_url(server, **self._pool_options)
        return pool

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = _clients.get(id(pool))
        if client is None:
            client = _clients[id(pool)] = self._client(connection_pool=pool)
        return client


class SharedClientRedisCache(RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient
