"""The console's search document: the words of one ticket, kept by the write path
(tickets.services.search_documents) so that a search reads one index, not a million
messages."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .core import Ticket


class SearchTermsField(models.Field):
    """A set of words: a tsvector on PostgreSQL (with a GIN index, migration 0020);
    elsewhere the words joined by spaces, matched as substrings."""

    description = "search terms"

    def db_type(self, connection) -> str:
        return "tsvector" if connection.vendor == "postgresql" else "text"

    def get_placeholder(self, value, compiler, connection) -> str:
        # Saved as words joined by spaces: PostgreSQL takes them as they are, unstemmed.
        return "array_to_tsvector(string_to_array(%s, ' '))" if connection.vendor == "postgresql" else "%s"


class TicketSearchDocument(models.Model):
    ticket = models.OneToOneField(
        Ticket, verbose_name=_("ticket"), primary_key=True, on_delete=models.CASCADE, related_name="search_document"
    )
    # Who the customer is (name, addresses): replaced whenever the customer changes.
    customer_terms = SearchTermsField(_("customer terms"), default="")
    # The subject and the text of every message: each new message appends its words.
    message_terms = SearchTermsField(_("message terms"), default="")

    class Meta:
        verbose_name = _("ticket search document")
        verbose_name_plural = _("ticket search documents")

    def __str__(self) -> str:
        return str(self.ticket_id)
