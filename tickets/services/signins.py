"""Staff sign-ins: refused for a while after too many failures, per account and per
address, and every attempt written to an audit trail that administrators read.

OWASP ASVS 2.2.1: anti-automation against credential stuffing and brute force. The
counters live in the shared cache, so the lockout holds across server processes.
A locked account refuses even the right password until its window ends: otherwise
the lockout would tell an attacker when they guessed right."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser

from tickets.models import SignInAttempt
from tickets.services.throttle import counter_get, counter_incr, hashed_key


@dataclass(frozen=True)
class SignInLimits:
    per_account: int
    per_ip: int
    window_s: int


def signin_limits() -> SignInLimits:
    return SignInLimits(
        per_account=getattr(settings, "HELPDESK_SIGNIN_MAX_FAILURES_PER_ACCOUNT", 5),
        per_ip=getattr(settings, "HELPDESK_SIGNIN_MAX_FAILURES_PER_IP", 20),
        window_s=getattr(settings, "HELPDESK_SIGNIN_LOCKOUT_S", 15 * 60),
    )


class SignInThrottled(Exception):
    def __init__(self, *, retry_after_s: int) -> None:
        super().__init__(f"too many failed sign-ins; retry after {retry_after_s} s")
        self.retry_after_s = retry_after_s


def _account_key(username: str) -> str:
    return hashed_key("signin:fail:account", username.strip().casefold())


def _ip_key(ip: str) -> str:
    return hashed_key("signin:fail:ip", ip)


def signin_check(*, username: str, ip: str) -> None:
    """Raises SignInThrottled while the account or the address has used up its failures."""
    limits = signin_limits()
    if counter_get(_account_key(username)) >= limits.per_account or counter_get(_ip_key(ip)) >= limits.per_ip:
        raise SignInThrottled(retry_after_s=limits.window_s)


def signin_record(
    *,
    username: str,
    outcome: str,
    site: str,
    ip: str,
    user_agent: str,
    user: AbstractBaseUser | None = None,
) -> SignInAttempt:
    """Writes the attempt to the audit trail; a failure also counts against the
    account and the address."""
    if outcome == SignInAttempt.Outcome.FAILED:
        window = signin_limits().window_s
        counter_incr(_account_key(username), timeout=window)
        counter_incr(_ip_key(ip), timeout=window)
    return SignInAttempt.objects.create(
        username=username[:150],
        user=user,
        outcome=outcome,
        site=site,
        ip=ip if ip and ip != "unknown" else None,
        user_agent=user_agent[:400],
    )
