"""Token authentication that reads, with the token and its user, what every API
request then asks of the user: their staff roles (tickets.permissions) and their
agent profile (a reply checks whether they are in training). One statement where
DRF's TokenAuthentication and the checks after it take three."""

from __future__ import annotations

from functools import cache

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from tickets.models import Role
from tickets.permissions import roles_remember

UserGroup = get_user_model().groups.through


def _has_role(role: str) -> Exists:
    return Exists(UserGroup.objects.filter(user_id=OuterRef("user_id"), group__name=role))


@cache
def _tokens_with_roles():
    # Built once (and never evaluated itself, only filtered): resolving the annotations
    # is most of the Python work of the query.
    roles = {f"has_role_{role}": _has_role(role) for role in Role.values}
    return Token.objects.select_related("user", "user__agent_profile").annotate(**roles)


class TokenWithRolesAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        token = _tokens_with_roles().filter(key=key).first()
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        roles_remember(token.user, {role for role in Role.values if getattr(token, f"has_role_{role}")})
        return (token.user, token)
