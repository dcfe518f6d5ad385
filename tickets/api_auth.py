"""Token authentication that reads, with the token and its user, what every API
request then asks of the user: their staff roles (tickets.permissions) and their
agent profile (a reply checks whether they are in training). One statement where
DRF's TokenAuthentication and the checks after it take three."""

from __future__ import annotations

from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from tickets.models import AgentProfile, Role
from tickets.permissions import roles_remember

User = get_user_model()
UserGroup = User.groups.through
ROLES = tuple(Role.values)


@cache
def _credentials_statement(vendor: str) -> str:
    """The token, its user, their agent profile and one flag per role, by the token's
    key: written once, where the ORM built the same query (its role subqueries
    especially) again on every request."""
    q = connection.ops.quote_name

    def columns(alias: str, model) -> str:
        return ", ".join(f"{alias}.{q(field.column)}" for field in model._meta.concrete_fields)

    has_role = (
        f"EXISTS(SELECT 1 FROM {q(UserGroup._meta.db_table)} ug JOIN {q(Group._meta.db_table)} g"
        f" ON g.{q('id')} = ug.{q('group_id')} WHERE ug.{q('user_id')} = u.{q('id')} AND g.{q('name')} = %s)"
    )
    profile_user = q(AgentProfile._meta.get_field("user").column)
    return (
        f"SELECT {columns('t', Token)}, {columns('u', User)}, {columns('p', AgentProfile)}, "
        + ", ".join([has_role] * len(ROLES))
        + f" FROM {q(Token._meta.db_table)} t JOIN {q(User._meta.db_table)} u ON u.{q('id')} = t.{q('user_id')}"
        f" LEFT JOIN {q(AgentProfile._meta.db_table)} p ON p.{profile_user} = u.{q('id')}"
        f" WHERE t.{q('key')} = %s"
    )


@cache
def _converters(model, vendor: str) -> list[tuple[int, list, object]]:
    """Per column of `model` that needs it, the conversions the ORM applies to what the
    database returns (SQLite returns dates as text)."""
    converters = []
    for index, field in enumerate(model._meta.concrete_fields):
        column = field.get_col(model._meta.db_table)
        found = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
        if found:
            converters.append((index, found, column))
    return converters


def _instance(model, values: tuple):
    values = list(values)
    for index, converters, column in _converters(model, connection.vendor):
        for converter in converters:
            values[index] = converter(values[index], column, connection)
    return model.from_db(connection.alias, [field.attname for field in model._meta.concrete_fields], values)


def _credentials(key: str) -> Token | None:
    """The token with its user and their agent profile (None when they have none) in
    the instances' caches, as select_related leaves them; the roles remembered."""
    with connection.cursor() as cursor:
        cursor.execute(_credentials_statement(connection.vendor), (*ROLES, key))
        row = cursor.fetchone()
    if row is None:
        return None
    token_end = len(Token._meta.concrete_fields)
    user_end = token_end + len(User._meta.concrete_fields)
    profile_end = user_end + len(AgentProfile._meta.concrete_fields)
    token, user = _instance(Token, row[:token_end]), _instance(User, row[token_end:user_end])
    profile = _instance(AgentProfile, row[user_end:profile_end]) if row[user_end] is not None else None
    Token._meta.get_field("user").set_cached_value(token, user)
    profile_user = AgentProfile._meta.get_field("user")
    profile_user.remote_field.set_cached_value(user, profile)
    if profile is not None:
        profile_user.set_cached_value(profile, user)
    roles_remember(user, {role for role, held in zip(ROLES, row[profile_end:], strict=True) if held})
    return token


class TokenWithRolesAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        token = _credentials(key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return (token.user, token)
