"""The staff sign-in forms of the console and of the admin site, with the lockout
and the audit trail of tickets.services.signins."""

from __future__ import annotations

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import ngettext

from tickets.models import SignInAttempt
from tickets.services.signins import SignInThrottled, signin_check, signin_record
from tickets.services.throttle import client_ip


class _ThrottledSignIn:
    site: str

    def clean(self):
        username = str(self.data.get("username") or "")[:150]
        request = self.request
        seen = {"username": username, "site": self.site, "ip": client_ip(request) if request else "",
                "user_agent": request.META.get("HTTP_USER_AGENT", "") if request else ""}  # fmt: skip
        try:
            signin_check(username=username, ip=seen["ip"])
        except SignInThrottled as exc:
            signin_record(outcome=SignInAttempt.Outcome.THROTTLED, **seen)
            minutes = max(1, exc.retry_after_s // 60)
            raise forms.ValidationError(
                ngettext(
                    "Too many failed sign-ins. For your safety, signing in is paused for %(minutes)d minute. "
                    "Please try again later.",
                    "Too many failed sign-ins. For your safety, signing in is paused for %(minutes)d minutes. "
                    "Please try again later.",
                    minutes,
                )
                % {"minutes": minutes},
                code="throttled",
            ) from exc
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            if username:
                signin_record(outcome=SignInAttempt.Outcome.FAILED, **seen)
            raise
        if self.get_user() is not None:
            signin_record(outcome=SignInAttempt.Outcome.SUCCESS, user=self.get_user(), **seen)
        return cleaned


class ConsoleSignInForm(_ThrottledSignIn, AuthenticationForm):
    site = SignInAttempt.Site.CONSOLE


class AdminSignInForm(_ThrottledSignIn, AdminAuthenticationForm):
    site = SignInAttempt.Site.ADMIN
