"""Django Channels: the Redis channel layer when REDIS_URL is set, else in-memory (one process)."""

from .base import REDIS_URL

CHANNEL_LAYERS = {
    "default": (
        {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # redis-py times reads out after 5 s by default, the same 5 s that the layer's
            # blocking receive (BZPOPMIN) waits: on a busy server the read lost that race
            # and the consumer died with "Timeout reading from redis".
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 30}], "capacity": 1000, "expiry": 30},
        }
        if REDIS_URL
        else {"BACKEND": "channels.layers.InMemoryChannelLayer"}
    )
}
