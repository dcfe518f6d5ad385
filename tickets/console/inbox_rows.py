"""The inbox's rows, written out in Python from row values (tickets/selectors/ticket_rows.py).

Fifty rows through the template language cost about 20 ms of CPU a page, mostly in
variable lookups, filters and the same translations looked up fifty times. Here the
words, the icons and the link of a page are looked up once, and each row is one
str.format. Every value from the database goes through escape(), as the template's
autoescaping did; the output is the template's, byte for byte."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from html import escape

from django.conf import settings
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime
from django.utils.translation import get_language, gettext

from tickets.console.natural_time import natural_time
from tickets.models import Channel, Customer, Ticket
from tickets.selectors.ticket_rows import assignee_name
from tickets.templatetags.console_tags import channel_icon
from tickets.templatetags.thai_dates import date as localized_date

_ROW = """<li class="cn-row cn-prio-{priority}" data-testid="ticket-row" data-ticket-id="{id}" data-updated="{updated_unix}" id="ticket-row-{id}">
        <input type="checkbox" name="tickets" value="{id}" form="bulk-form" class="cn-row-check" aria-label="{select}">
        {icon}
        <a class="cn-row-link" href="{url}">
          <span class="cn-row-subject">{subject}</span>
          <span class="cn-row-customer">{customer}{vip}</span>
        </a>
        <span class="cn-row-meta">
          <span class="cn-ref">{reference}</span>
          <span class="cn-status cn-status-{status}" data-testid="ticket-status">{status_label}</span>
          <span class="cn-prio">{priority_label}</span>
          <span class="cn-assignee">{assignee}</span>
          {tags}
          {sla}
          <time datetime="{updated_iso}" title="{updated_title}">{updated_ago}</time>
        </span>
      </li>"""


class _PageWords:
    """What every row shares in one language: constants of the code and settings,
    kept per language (see _page_words)."""

    def __init__(self, language: str, ticket_prefix: str) -> None:
        self.language = language
        self.select = gettext("Select %(ref)s")
        self.customer = gettext("Customer #%(id)s")
        self.vip = ' <span class="cn-tag cn-tag-vip">{}</span>'.format(gettext("VIP"))
        self.unassigned = "<em>{}</em>".format(gettext("Unassigned"))
        self.breached = '<span class="cn-sla cn-sla-breached" data-testid="sla">{}</span>'.format(
            gettext("SLA breached")
        )
        self.first_reply_due = gettext("First reply due %(due)s")
        self.resolution_due = gettext("Resolution due %(due)s")
        # Escaped here once, not on every row.
        self.status_labels = {value: escape(str(label)) for value, label in Ticket.Status.choices}
        self.priority_labels = {value: escape(str(label)) for value, label in Ticket.Priority.choices}
        self.icons = {value: channel_icon(value, str(label)) for value, label in Channel.choices}
        self.url_start, self.url_end = reverse("console:ticket", args=[0]).rsplit("0", 1)
        # A reference is the prefix and digits, which need no escaping.
        self.reference_prefix = escape(ticket_prefix + "-")

    def icon(self, channel: str) -> str:
        # A channel no longer offered shows its code, as get_channel_display did.
        return self.icons.get(channel) or channel_icon(channel, channel)

    def sla(self, row: dict, now: datetime) -> str:
        if row["status"] not in Ticket.ACTIVE_STATUSES:
            return ""
        if row["sla__first_response_breached_at"] or row["sla__resolution_breached_at"]:
            return self.breached
        if not row["first_response_at"] and row["sla__first_response_due_at"]:
            due = natural_time(row["sla__first_response_due_at"], now, language=self.language)
            text = self.first_reply_due % {"due": escape(due)}
        elif row["sla__resolution_due_at"]:
            due = natural_time(row["sla__resolution_due_at"], now, language=self.language)
            text = self.resolution_due % {"due": escape(due)}
        else:
            return ""
        return f'<span class="cn-sla" data-testid="sla">{text}</span>'


# The words, labels, icons and link of a language cost more than a row to look up;
# they change only with the language and the ticket prefix.
@lru_cache(maxsize=16)
def _page_words(language: str, ticket_prefix: str) -> _PageWords:
    return _PageWords(language, ticket_prefix)


def _assignee(row: dict, words: _PageWords) -> str:
    if row["assignee_id"] is None:
        return words.unassigned
    return escape(assignee_name(row))


def _label(labels: dict, value) -> str:
    label = labels.get(value)
    return escape(str(value)) if label is None else label


def _row(row: dict, words: _PageWords, now: datetime) -> str:
    reference = words.reference_prefix + str(row["id"])
    updated = localtime(row["updated_at"])
    customer = row["customer__name"] or words.customer % {"id": row["customer_id"]}
    return _ROW.format(
        id=row["id"],
        priority=row["priority"],
        updated_unix=f"{int(updated.timestamp())}.{updated.microsecond:06d}",
        select=words.select % {"ref": reference},
        icon=words.icon(row["channel"]),
        url=f"{words.url_start}{row['id']}{words.url_end}",
        subject=escape(row["subject"]),
        customer=escape(customer),
        vip=words.vip if row["customer__tier"] == Customer.Tier.VIP else "",
        reference=reference,
        status=escape(row["status"]),
        status_label=_label(words.status_labels, row["status"]),
        priority_label=_label(words.priority_labels, row["priority"]),
        assignee=_assignee(row, words),
        tags="".join(f'<span class="cn-tag">{escape(name)}</span>' for name in row["tags"]),
        sla=words.sla(row, now),
        # An ISO time has nothing to escape.
        updated_iso=updated.isoformat(),
        updated_title=_date_title(updated, updated.tzinfo, words.language),
        updated_ago=escape(natural_time(row["updated_at"], now, language=words.language)),
    )


# The same tickets come back page after page (a reload, the live inbox), and the long
# date is a third of a row's cost; it depends on the time, its zone (equal datetimes
# in two zones are one key without it) and the language alone.
@lru_cache(maxsize=4096)
def _date_title(updated: datetime, zone: tzinfo | None, language: str) -> str:
    return escape(localized_date(updated, "DATETIME_FORMAT"))


def ticket_rows_html(rows: list[dict]) -> SafeString:
    """The list of rows as the inbox, the live inbox and the single-row partial show it."""
    if rows:
        words = _page_words(get_language(), settings.HELPDESK_TICKET_PREFIX)
        now = datetime.now(UTC)
        items = "".join(_row(row, words, now) for row in rows)
    else:
        items = '<li class="cn-empty">{}</li>'.format(gettext("Nothing here. Enjoy the quiet."))
    return mark_safe(  # noqa: S308 - every value above is escaped
        f'    <ul class="cn-rows" id="cn-rows" data-testid="ticket-list">\n      {items}\n    </ul>\n'
    )
