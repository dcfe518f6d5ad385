"""Staff sign-in: Django's ModelBackend, with the signed-in user of every request read
in one query together with their agent profile and their role names, which every
console page asks for (tickets/permissions.py, the presence menu). Three queries a
request become one."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group
from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import OuterRef

from tickets.permissions import roles_remember


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
        role_names = ArraySubquery(Group.objects.filter(user=OuterRef("pk")).order_by().values("name"))
        users = get_user_model()._default_manager.select_related("agent_profile").annotate(role_names=role_names)
        try:
            user = users.get(pk=user_id)
        except get_user_model().DoesNotExist:
            return None
        roles_remember(user, set(user.role_names))
        return user if self.user_can_authenticate(user) else None
