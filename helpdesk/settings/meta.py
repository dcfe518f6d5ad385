"""Meta's Graph API: Facebook Messenger and Instagram Direct, through one Facebook page."""

from .env import env_int, env_list, env_str

# From the Meta app's dashboard. The dev defaults mark the channel as not configured (helpdesk/secrets.py).
META_APP_SECRET = env_str("META_APP_SECRET", "dev-meta-app-secret")
# Ours to choose; typed into the app's webhook settings and echoed back in the handshake.
META_VERIFY_TOKEN = env_str("META_VERIFY_TOKEN", "dev-meta-verify-token")
META_PAGE_ACCESS_TOKEN = env_str("META_PAGE_ACCESS_TOKEN", "dev-meta-page-access-token")
# Tests and local development point the client at a fake Graph API.
META_GRAPH_BASE_URL = env_str("META_GRAPH_BASE_URL", "https://graph.facebook.com")
META_GRAPH_VERSION = env_str("META_GRAPH_VERSION", "v21.0")
META_HTTP_TIMEOUT = env_int("META_HTTP_TIMEOUT", 15)
# Attachments that users send are fetched from these hosts only ("*." matches subdomains;
# "host:port" also allows plain http, for a local fake).
META_MEDIA_HOSTS = env_list(
    "META_MEDIA_HOSTS", ["*.fbcdn.net", "*.fbsbx.com", "*.cdninstagram.com", "*.facebook.com"]
)
META_MAX_WEBHOOK_BYTES = env_int("META_MAX_WEBHOOK_BYTES", 1024 * 1024)
