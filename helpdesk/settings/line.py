"""LINE Messaging API (a LINE Official Account), and what the messaging channels share."""

from .env import env_int, env_str

# From the LINE Developers console, channel "Messaging API". The dev defaults mark the
# channel as not configured (helpdesk/secrets.py).
LINE_CHANNEL_SECRET = env_str("LINE_CHANNEL_SECRET", "dev-line-channel-secret")
LINE_CHANNEL_ACCESS_TOKEN = env_str("LINE_CHANNEL_ACCESS_TOKEN", "dev-line-channel-access-token")
# Tests and local development point the SDK at a fake LINE API (for example http://127.0.0.1:8898).
LINE_API_BASE_URL = env_str("LINE_API_BASE_URL", "https://api.line.me")
# The content host (images, video, audio and files that users send).
LINE_API_DATA_BASE_URL = env_str("LINE_API_DATA_BASE_URL", "https://api-data.line.me")
LINE_HTTP_TIMEOUT = env_int("LINE_HTTP_TIMEOUT", 15)
# A reply token is free but short-lived; LINE only guarantees it for about a minute.
# https://developers.line.biz/en/reference/messaging-api/#send-reply-message
LINE_REPLY_TOKEN_TTL_S = env_int("LINE_REPLY_TOKEN_TTL_S", 50)
# A profile is looked up again after this long (names and pictures change).
LINE_PROFILE_MAX_AGE_H = env_int("LINE_PROFILE_MAX_AGE_H", 24)
# LINE's webhook bodies are small JSON; anything much bigger is not from LINE.
LINE_MAX_WEBHOOK_BYTES = env_int("LINE_MAX_WEBHOOK_BYTES", 1024 * 1024)
# How often each process writes a channel's "last event received" for the admin.
CHANNEL_HEALTH_FLUSH_S = env_int("CHANNEL_HEALTH_FLUSH_S", 5)
