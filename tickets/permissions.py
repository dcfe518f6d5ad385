"""Who may do what. Staff roles are Django groups named after Role."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from tickets.models import Role

STAFF_ROLES = {Role.AGENT, Role.SUPERVISOR, Role.ADMIN}


def _roles(user) -> set[str]:
    if not user or not user.is_authenticated:
        return set()
    cached = getattr(user, "_helpdesk_roles", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        user._helpdesk_roles = cached
    return cached


def roles_remember(user, roles: set[str]) -> None:
    """The user's roles as already read (with their token), so no check reads them again."""
    user._helpdesk_roles = roles


def is_agent(user) -> bool:
    """Agents, supervisors and admins work tickets; customers and strangers do not."""
    if not user or not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or bool(_roles(user) & STAFF_ROLES)


def is_supervisor(user) -> bool:
    if not is_agent(user):
        return False
    return user.is_superuser or bool(_roles(user) & {Role.SUPERVISOR, Role.ADMIN})


class IsStaffAgent(BasePermission):
    message = _("Only agents, supervisors and admins may use this API.")

    def has_permission(self, request, view) -> bool:
        return is_agent(request.user)


class IsSupervisor(BasePermission):
    message = _("Only supervisors and admins may do this.")

    def has_permission(self, request, view) -> bool:
        return is_supervisor(request.user)
