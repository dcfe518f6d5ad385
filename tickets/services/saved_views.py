"""An agent's saved inbox views: a name for a set of filters, a search and an order."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from django.db import transaction
from django.utils.translation import gettext as _

from tickets.models import SavedView
from tickets.services.sanitize import strip_control_chars

# Only what the inbox understands is kept; anything else in the query is dropped.
INBOX_PARAMETERS = frozenset({"view", "q", "status", "channel", "priority", "tag", "team", "assignee", "sort"})
MAX_VIEWS = 50


class SavedViewError(ValueError):
    pass


def _clean_query(query: str) -> str:
    pairs = [(key, value[:200]) for key, value in parse_qsl(query.lstrip("?")) if key in INBOX_PARAMETERS and value]
    return urlencode(pairs)


@transaction.atomic
def saved_view_save(*, user, name: str, query: str) -> SavedView:
    """Saves (or replaces, by name) one of the agent's views."""
    name = strip_control_chars(name).strip()[:80]
    if not name:
        raise SavedViewError(_("Give the view a name."))
    if not SavedView.objects.filter(user=user, name=name).exists() and (
        SavedView.objects.filter(user=user).count() >= MAX_VIEWS
    ):
        raise SavedViewError(_("At most %(count)d saved views.") % {"count": MAX_VIEWS})
    view, _created = SavedView.objects.update_or_create(user=user, name=name, defaults={"query": _clean_query(query)})
    return view


def saved_view_delete(*, user, view_id: int) -> None:
    SavedView.objects.filter(user=user, pk=view_id).delete()
