"""Staff sign-in: Django's ModelBackend, with the signed-in user of every request read
in one statement together with their agent profile and their role names, which every
console page asks for (tickets/permissions.py, the presence menu). Three queries a
request become one, written once per process (tickets/staff_rows.py)."""

from __future__ import annotations

from functools import cache

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from tickets.staff_rows import User, quote, user_and_profile_sql, user_from_row, user_groups_sql, user_width


@cache
def _session_user_statement() -> str:
    user_columns, profile_join = user_and_profile_sql()
    role_names = f"ARRAY({user_groups_sql('g.' + quote('name'))})"
    return (
        f"SELECT {user_columns}, {role_names} FROM {quote(User._meta.db_table)} u{profile_join}"
        f" WHERE u.{quote('id')} = %s"
    )


class StaffBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None and password is not None:
            # Wrong credentials end here, as they would with ModelBackend alone: the
            # ModelBackend listed after this one (for sessions signed in before it)
            # would only hash the password a second time.
            raise PermissionDenied
        return user

    def get_user(self, user_id):
        if connection.vendor != "postgresql":
            return super().get_user(user_id)
        try:
            user_id = User._meta.pk.to_python(user_id)
        except ValidationError:  # a session naming no valid id signs no one in
            return None
        with connection.cursor() as cursor:
            cursor.execute(_session_user_statement(), [user_id])
            row = cursor.fetchone()
        if row is None:
            return None
        user = user_from_row(row, set(row[user_width()]))
        return user if self.user_can_authenticate(user) else None
