"""The teams and the staff the inbox's filter and bulk selects offer, read from the
cache instead of two queries (and fifty user instances) on every page.

Only where the cache is shared by every process (Redis): a process's own memory
would not hear of a change made in another. The list is stored with a version that
changes whenever a team, a user, a role or a user's roles change, and used only
under the current version: a stale list is never read again, whichever process
wrote it. The version changes at once and again after the commit, so that a page
that read the old rows during the transaction stores them under a version nobody
asks for."""

from __future__ import annotations

from uuid import uuid4

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from tickets.models import Team
from tickets.selectors.console import staff_users

_VERSION_KEY = "staff-choices:version"
_LATEST_KEY = "staff-choices:latest"
# The signals below miss a change written in SQL behind the ORM; the list is read
# again at the latest after this.
_TIMEOUT_S = 300


def staff_and_teams() -> dict[str, list[tuple[int, str]]]:
    """{"teams": [(id, name)], "staff": [(id, full name or username)]}, by name and username."""
    if not settings.REDIS_URL:
        return _read()
    # One round trip: the version, and the latest list with the version it was read under.
    found = cache.get_many([_VERSION_KEY, _LATEST_KEY])
    version = found.get(_VERSION_KEY)
    if version is None:
        cache.add(_VERSION_KEY, uuid4().hex, None)
        version = cache.get(_VERSION_KEY)
    latest = found.get(_LATEST_KEY)
    if latest is not None and latest[0] == version:
        return latest[1]
    choices = _read()
    cache.set(_LATEST_KEY, (version, choices), _TIMEOUT_S)
    return choices


def _read() -> dict[str, list[tuple[int, str]]]:
    return {
        "teams": list(Team.objects.values_list("pk", "name")),
        "staff": [(user.pk, user.get_full_name() or user.get_username()) for user in staff_users()],
    }


def _new_version() -> None:
    cache.set(_VERSION_KEY, uuid4().hex, None)


def staff_choices_changed(**kwargs) -> None:
    # Signing in saves last_login only, which no choice shows.
    if kwargs.get("update_fields") == frozenset({"last_login"}):
        return
    _new_version()
    transaction.on_commit(_new_version)


def connect_signals() -> None:
    """Called once at start-up (helpdesk/apps.py), in every process that writes."""
    user_model = get_user_model()
    for model in (Team, user_model, Group):
        post_save.connect(staff_choices_changed, sender=model, dispatch_uid=f"staff-choices-save-{model.__name__}")
        post_delete.connect(staff_choices_changed, sender=model, dispatch_uid=f"staff-choices-delete-{model.__name__}")
    m2m_changed.connect(staff_choices_changed, sender=user_model.groups.through, dispatch_uid="staff-choices-roles")
