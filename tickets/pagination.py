from rest_framework.pagination import CursorPagination, PageNumberPagination


class DefaultPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class TimelinePagination(CursorPagination):
    """Keyset pagination: page 1,000 of a long timeline costs what page 1 costs."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("-created_at", "-id")


class TicketListPagination(CursorPagination):
    """Keyset pagination of the ticket list in the inbox's order: no COUNT(*) of the
    whole table, and page 1,000 costs what page 1 costs."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("-updated_at", "-id")


class ConversationPagination(CursorPagination):
    """A ticket's messages oldest first, as a conversation reads, by keyset."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("created_at", "id")
