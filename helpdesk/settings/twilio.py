"""Twilio: SMS and WhatsApp."""

from .env import env_bool, env_int, env_list, env_str

TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID", "AC00000000000000000000000000000000")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN", "dev-twilio-auth-token")
TWILIO_SMS_FROM = env_str("TWILIO_SMS_FROM", "+6620000000")
TWILIO_WHATSAPP_FROM = env_str("TWILIO_WHATSAPP_FROM", "whatsapp:+6620000000")
# Tests and local development point the SDK at a fake Twilio API (for example http://127.0.0.1:8899).
TWILIO_API_BASE_URL = env_str("TWILIO_API_BASE_URL", "")
TWILIO_HTTP_TIMEOUT = env_int("TWILIO_HTTP_TIMEOUT", 15)
# Inbound media is only fetched from these hosts ("*." matches subdomains; "host:port" also
# allows plain http, for a local fake). Twilio's media URLs redirect to its CDN.
TWILIO_MEDIA_HOSTS = env_list(
    "TWILIO_MEDIA_HOSTS", ["api.twilio.com", "*.twilio.com", "media.twiliocdn.com", "*.twiliocdn.com"]
)
# Answer STOP/START/HELP with TwiML. Turn off where Twilio answers them itself (its
# default opt-out handling on US and Canadian numbers); with Advanced Opt-Out, Twilio
# marks the webhook with OptOutType and the helpdesk stays silent anyway.
TWILIO_KEYWORD_REPLIES = env_bool("TWILIO_KEYWORD_REPLIES", True)
TWILIO_HELP_TEXT = env_str("TWILIO_HELP_TEXT", "")
# Twilio's form posts are small; anything bigger is not from Twilio.
TWILIO_MAX_WEBHOOK_BYTES = env_int("TWILIO_MAX_WEBHOOK_BYTES", 256 * 1024)
# The portal's SMS sign-in codes: Twilio, or the dev outbox while no Twilio account is configured.
PORTAL_SMS_CODE_SENDER = env_str("PORTAL_SMS_CODE_SENDER", "channels_app.outbox.sending.portal_code_send")
