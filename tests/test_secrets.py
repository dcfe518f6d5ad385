"""Production never runs on the repository's default secrets: `check --deploy` fails,
the plain checks fail with DEBUG off, and the server and worker processes refuse to start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

REPO = Path(__file__).resolve().parents[1]
STRONG = {
    "SECRET_KEY": "k3Jq9-vT0x!pW2zR8mL5nB7cY4dF6gH1sA0eU3iO9rT2yQ5wE8",
    "TWILIO_AUTH_TOKEN": "6f1c2d9e8a7b4c3d2e1f0a9b8c7d6e5f",
    "HELPDESK_INBOUND_TOKEN": "Zq8xW2cV5bN7mL1kJ4hG6fD9sA3pO0iU",
}


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    settings.HELPDESK_ALLOW_DEV_SECRETS = False
    return settings


def _check(*args: str) -> str:
    try:
        call_command("check", *args, "--fail-level", "ERROR")
    except SystemCheckError as exc:
        return str(exc)
    return ""


def test_deploy_check_fails_on_default_secrets(production):
    report = _check("--deploy")
    assert "helpdesk.E001" in report
    for name in ("SECRET_KEY", "TWILIO_AUTH_TOKEN", "HELPDESK_INBOUND_TOKEN"):
        assert f"{name} is a built-in development default" in report


def test_deploy_check_fails_on_defaults_even_when_run_with_debug_on(settings):
    settings.DEBUG = True
    assert "TWILIO_AUTH_TOKEN is a built-in development default" in _check("--deploy")


def test_plain_check_fails_with_debug_off(production):
    assert "helpdesk.E001" in _check()


def test_short_secret_is_refused(production):
    for name, value in STRONG.items():
        setattr(production, name, value)
    production.HELPDESK_INBOUND_TOKEN = "s3cr3t-but-short"
    report = _check()
    assert "HELPDESK_INBOUND_TOKEN is too short or too simple" in report
    assert "SECRET_KEY" not in report


def test_configured_channel_secrets_are_checked(production):
    for name, value in STRONG.items():
        setattr(production, name, value)
    assert "helpdesk.E001" not in _check()
    production.LINE_CHANNEL_ACCESS_TOKEN = "a-real-looking-line-access-token-value"
    production.LINE_CHANNEL_SECRET = "dev-line-channel-secret"
    production.META_PAGE_ACCESS_TOKEN = "EAAB-a-real-looking-page-token"
    production.META_APP_SECRET = "0123456789abcdef0123456789abcdef"
    production.META_VERIFY_TOKEN = "verify"
    report = _check()
    assert "LINE_CHANNEL_SECRET is a built-in development default" in report
    assert "META_VERIFY_TOKEN is too short" in report
    assert "META_APP_SECRET" not in report


def test_strong_secrets_pass(production):
    for name, value in STRONG.items():
        setattr(production, name, value)
    assert "helpdesk.E001" not in _check()
    assert "helpdesk.E001" not in _check("--deploy")


def test_debug_or_the_explicit_flag_allow_development_values(settings):
    settings.DEBUG = True
    assert _check() == ""
    settings.DEBUG = False
    settings.HELPDESK_ALLOW_DEV_SECRETS = True
    assert _check() == ""


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "HELPDESK_ALLOW_DEV_SECRETS", *STRONG}}
    env.update({"DJANGO_SETTINGS_MODULE": "helpdesk.settings", "PYTHONPATH": str(REPO)}, **extra)
    return env


@pytest.mark.parametrize("module", ["helpdesk.asgi", "helpdesk.wsgi"])
def test_server_refuses_to_start_on_default_secrets(module):
    refused = subprocess.run([sys.executable, "-c", f"import {module}"], cwd=REPO, env=_env(), capture_output=True,
                             text=True, timeout=60)  # fmt: skip
    assert refused.returncode != 0
    assert "refuses to start with DEBUG off" in refused.stderr
    assert "TWILIO_AUTH_TOKEN is a built-in development default" in refused.stderr
    started = subprocess.run([sys.executable, "-c", f"import {module}"], cwd=REPO, env=_env(**STRONG),
                             capture_output=True, text=True, timeout=60)  # fmt: skip
    assert started.returncode == 0, started.stderr


def test_celery_worker_refuses_to_start_on_default_secrets():
    refused = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "--pool", "solo", "--loglevel", "ERROR"],
        cwd=REPO, env=_env(CELERY_BROKER_URL="memory://"), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert refused.returncode != 0
    assert "refuses to start with DEBUG off" in refused.stderr


def test_runserver_refuses_on_default_secrets():
    refused = subprocess.run([sys.executable, "manage.py", "runserver", "--noreload", "127.0.0.1:0"], cwd=REPO,
                             env=_env(), capture_output=True, text=True, timeout=60)  # fmt: skip
    assert refused.returncode != 0
    assert "helpdesk.E001" in refused.stderr
