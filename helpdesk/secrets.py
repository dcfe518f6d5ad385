"""No production process runs on a public default secret.

Every secret has a development default so that `make run` needs nothing set. Those
defaults are in the source, so anyone could sign a Twilio webhook, post mail as any
customer or forge a chat, survey or media token with them. With DEBUG off (and no
explicit HELPDESK_ALLOW_DEV_SECRETS=1, which `make run` and the test servers set),
a secret that is a default or too short is a system-check error, and the ASGI and
WSGI applications, Celery workers and beat refuse to start.
https://docs.djangoproject.com/en/5.2/howto/deployment/checklist/#secret-key
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

# The values this repository ships as defaults, and any that merely look like one.
KNOWN_DEFAULTS = frozenset(
    {
        "insecure-dev-key-change-me-in-production-0123456789",
        "dev-twilio-auth-token",
        "dev-inbound-token",
        "",
    }
)
_DEFAULT_MARKERS = ("dev-", "insecure", "change-me", "changeme", "django-insecure")


@dataclass(frozen=True)
class Secret:
    setting: str
    min_length: int
    # The setting that turns the channel on; None: always needed.
    enabled_by: tuple[str, ...] | None = None


# SECRET_KEY: Django's own rule (50 characters). Twilio's auth tokens, LINE's channel
# secrets and Meta's app secrets are 32 characters; the inbound token and Meta's verify
# token are ours to choose, so they must be at least as hard to guess.
SECRETS = (
    Secret("SECRET_KEY", 50),
    Secret("TWILIO_AUTH_TOKEN", 32),
    Secret("HELPDESK_INBOUND_TOKEN", 32),
    Secret("HELPDESK_CHAT_IDENTITY_SECRET", 32, enabled_by=("HELPDESK_CHAT_IDENTITY_SECRET",)),
    Secret("LINE_CHANNEL_SECRET", 32, enabled_by=("LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN")),
    Secret("META_APP_SECRET", 32, enabled_by=("META_APP_SECRET", "META_PAGE_ACCESS_TOKEN")),
    Secret("META_VERIFY_TOKEN", 16, enabled_by=("META_APP_SECRET", "META_PAGE_ACCESS_TOKEN")),
)


def _looks_default(value: str) -> bool:
    lowered = value.lower()
    return value in KNOWN_DEFAULTS or any(marker in lowered for marker in _DEFAULT_MARKERS)


def _enabled(secret: Secret) -> bool:
    if secret.enabled_by is None:
        return True
    # A secret that alone turns its feature on is checked whenever it is set at all;
    # a channel counts as configured once one of its settings has a real value.
    self_enabling = secret.enabled_by == (secret.setting,)
    return any(
        (value := str(getattr(settings, name, "") or "")) and (self_enabling or not _looks_default(value))
        for name in secret.enabled_by
    )


def weak_secrets() -> list[str]:
    """What is wrong with the secrets, one sentence each; empty when all are sound."""
    problems = []
    for secret in SECRETS:
        if not _enabled(secret):
            continue
        value = str(getattr(settings, secret.setting, "") or "")
        if _looks_default(value):
            problems.append(f"{secret.setting} is a built-in development default: set a secret value in the environment.")
        elif len(value) < secret.min_length or len(set(value)) < 5:
            problems.append(
                f"{secret.setting} is too short or too simple: give at least {secret.min_length} random characters."
            )
    return problems


def dev_secrets_allowed() -> bool:
    return bool(settings.DEBUG or getattr(settings, "HELPDESK_ALLOW_DEV_SECRETS", False))


def _errors() -> list[checks.Error]:
    return [
        checks.Error(
            problem,
            hint="Development values are only accepted with DEBUG=1 or HELPDESK_ALLOW_DEV_SECRETS=1 (as `make run` sets).",
            id="helpdesk.E001",
        )
        for problem in weak_secrets()
    ]


@checks.register(checks.Tags.security)
def check_secrets(app_configs=None, **kwargs) -> list[checks.Error]:
    """Runs with every command that checks (runserver, migrate, check) when DEBUG is off."""
    return [] if dev_secrets_allowed() else _errors()


@checks.register(checks.Tags.security, deploy=True)
def check_secrets_deploy(app_configs=None, **kwargs) -> list[checks.Error]:
    """`check --deploy` judges the production settings even when run with DEBUG on;
    with DEBUG off, check_secrets already reported."""
    return _errors() if dev_secrets_allowed() else []


def refuse_default_secrets() -> None:
    """Stops a server or worker process from starting on default or weak secrets."""
    if dev_secrets_allowed():
        return
    problems = weak_secrets()
    if problems:
        raise ImproperlyConfigured(
            "The helpdesk refuses to start with DEBUG off: " + " ".join(problems)
            + " (DEBUG=1 or HELPDESK_ALLOW_DEV_SECRETS=1 allow development values.)"
        )
