"""Django Channels: the Redis channel layer when REDIS_URL is set, else in-memory (one process)."""

from .base import REDIS_URL
from .env import env_bool

# Live chat is offered in business hours while an agent is online. With this on, also
# when none is (the chat waits in the queue, as an email would): `make run` sets it,
# so that the demo's widget is live whenever someone tries it.
HELPDESK_CHAT_WITHOUT_ONLINE_AGENT = env_bool("HELPDESK_CHAT_WITHOUT_ONLINE_AGENT", False)

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
