"""Token authentication that reads, with the token and its user, what every API
request then asks of the user: their staff roles (tickets.permissions) and their
agent profile (a reply checks whether they are in training). One statement where
DRF's TokenAuthentication and the checks after it take three."""

from __future__ import annotations

from functools import cache

from django.db import connection
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from tickets.models import Role
from tickets.staff_rows import (
    User,
    columns,
    instance,
    quote,
    user_and_profile_sql,
    user_from_row,
    user_groups_sql,
    user_width,
)

ROLES = tuple(Role.values)


@cache
def _credentials_statement(vendor: str) -> str:
    """The token, its user, their agent profile and one flag per role, by the token's
    key (a flag per role, where an array of names would not work on SQLite)."""
    user_columns, profile_join = user_and_profile_sql()
    has_role = f"EXISTS({user_groups_sql('1', ' AND g.' + quote('name') + ' = %s')})"
    return (
        f"SELECT {columns('t', Token)}, {user_columns}, "
        + ", ".join([has_role] * len(ROLES))
        + f" FROM {quote(Token._meta.db_table)} t JOIN {quote(User._meta.db_table)} u"
        f" ON u.{quote('id')} = t.{quote('user_id')}{profile_join}"
        f" WHERE t.{quote('key')} = %s"
    )


def _credentials(key: str) -> Token | None:
    """The token with its user and their agent profile in the instances' caches, as
    select_related leaves them; the roles remembered."""
    with connection.cursor() as cursor:
        cursor.execute(_credentials_statement(connection.vendor), (*ROLES, key))
        row = cursor.fetchone()
    if row is None:
        return None
    token_end = len(Token._meta.concrete_fields)
    flags = row[token_end + user_width():]
    user = user_from_row(row[token_end:], {role for role, held in zip(ROLES, flags, strict=True) if held})
    token = instance(Token, row[:token_end])
    Token._meta.get_field("user").set_cached_value(token, user)
    return token


class TokenWithRolesAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        token = _credentials(key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return (token.user, token)
