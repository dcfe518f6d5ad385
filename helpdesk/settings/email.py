"""Email: SMTP out (Django's EMAIL_* settings), IMAP in (IMAP_*)."""

from .env import env_bool, env_int, env_str

# With no mail server (EMAIL_HOST unset), mail is delivered to the dev outbox that the console shows.
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if env_str("EMAIL_HOST", "")
    else "channels_app.outbox.mail.EmailBackend",
)
# Where django.core.mail.backends.filebased.EmailBackend writes (the portal's browser tests read sign-in links there).
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", "")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Support <support@helpdesk.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

IMAP_HOST = env_str("IMAP_HOST", "")
IMAP_PORT = env_int("IMAP_PORT", 993)
IMAP_USER = env_str("IMAP_USER", "")
IMAP_PASSWORD = env_str("IMAP_PASSWORD", "")
IMAP_USE_SSL = env_bool("IMAP_USE_SSL", True)
IMAP_FOLDER = env_str("IMAP_FOLDER", "INBOX")
# Outbound Message-IDs take their domain from DEFAULT_FROM_EMAIL; inbound mail
# comes from IMAP polling, the raw-MIME webhook, anymail's ESP webhooks or the command.
IMAP_POLL_SECONDS = env_int("IMAP_POLL_SECONDS", 60)

# django-anymail: ESP sending (set EMAIL_BACKEND to e.g. anymail.backends.mailgun.EmailBackend)
# and inbound webhooks under /webhooks/anymail/<esp>/inbound/. Only the keys given are set,
# so an unconfigured ESP stays unconfigured.
ANYMAIL = {
    key: value
    for key, value in {
        # Basic auth "user:password" in the webhook URL, for the ESPs that sign nothing (SendGrid, Postmark).
        "WEBHOOK_SECRET": env_str("ANYMAIL_WEBHOOK_SECRET", ""),
        "MAILGUN_API_KEY": env_str("MAILGUN_API_KEY", ""),
        "MAILGUN_WEBHOOK_SIGNING_KEY": env_str("MAILGUN_WEBHOOK_SIGNING_KEY", ""),
        "SENDGRID_API_KEY": env_str("SENDGRID_API_KEY", ""),
        "POSTMARK_SERVER_TOKEN": env_str("POSTMARK_SERVER_TOKEN", ""),
    }.items()
    if value
}

if IMAP_HOST:
    from .celery import CELERY_BEAT_SCHEDULE

    CELERY_BEAT_SCHEDULE["poll-email-mailbox"] = {
        "task": "channels_app.email.tasks.poll_mailbox",
        "schedule": float(IMAP_POLL_SECONDS),
    }
