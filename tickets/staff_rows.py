"""Staff users read by hand-written statements, for the reads every request makes (the
session's user, the API token's user): the user, their agent profile and their roles
in one row, turned into the instances select_related would have left, with the roles
remembered for tickets.permissions. The statements are written once per process; the
ORM built the same queries again on every request."""

from __future__ import annotations

from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection

from tickets.models import AgentProfile
from tickets.permissions import roles_remember

User = get_user_model()
UserGroup = User.groups.through


def quote(name: str) -> str:
    return connection.ops.quote_name(name)


def columns(alias: str, model) -> str:
    return ", ".join(f"{alias}.{quote(field.column)}" for field in model._meta.concrete_fields)


def user_and_profile_sql() -> tuple[str, str]:
    """The selected columns of user `u` and their profile `p`, and the join that finds
    the profile (the caller names the user's table `u`)."""
    profile_user = quote(AgentProfile._meta.get_field("user").column)
    return (
        f"{columns('u', User)}, {columns('p', AgentProfile)}",
        f" LEFT JOIN {quote(AgentProfile._meta.db_table)} p ON p.{profile_user} = u.{quote('id')}",
    )


def user_groups_sql(selected: str, condition: str = "") -> str:
    """`selected` of each of user `u`'s groups `g` meeting `condition`."""
    return (
        f"SELECT {selected} FROM {quote(UserGroup._meta.db_table)} ug JOIN {quote(Group._meta.db_table)} g"
        f" ON g.{quote('id')} = ug.{quote('group_id')} WHERE ug.{quote('user_id')} = u.{quote('id')}{condition}"
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


def instance(model, values):
    values = list(values)
    for index, converters, column in _converters(model, connection.vendor):
        for converter in converters:
            values[index] = converter(values[index], column, connection)
    return model.from_db(connection.alias, [field.attname for field in model._meta.concrete_fields], values)


def user_from_row(row, roles: set[str]):
    """The user at the start of `row` (as user_and_profile_sql selects them), their
    profile (None when they have none) in the instances' caches, the roles remembered."""
    user_end = len(User._meta.concrete_fields)
    profile_end = user_end + len(AgentProfile._meta.concrete_fields)
    user = instance(User, row[:user_end])
    profile = instance(AgentProfile, row[user_end:profile_end]) if row[user_end] is not None else None
    profile_user = AgentProfile._meta.get_field("user")
    profile_user.remote_field.set_cached_value(user, profile)
    if profile is not None:
        profile_user.set_cached_value(profile, user)
    roles_remember(user, roles)
    return user


def user_width() -> int:
    """How many columns user_and_profile_sql selects."""
    return len(User._meta.concrete_fields) + len(AgentProfile._meta.concrete_fields)
