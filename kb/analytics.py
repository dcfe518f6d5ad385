"""Search analytics for the people who write the articles: what readers search for, what
finds nothing, which searches still end in a request (the content gaps), and how often
each article answers without one. Counted in SQL, four queries whatever the period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, F, IntegerField, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from kb.models import Article, ArticleView, DeflectionEvent, SearchLog

ROWS = 20


@dataclass
class ArticleDeflection:
    article: Article
    opened_from_search: int
    requests_after_reading: int
    suggestion_deflected: int
    suggestion_submitted: int

    @property
    def deflection_rate(self) -> float | None:
        """Of the suggestions readers opened while writing a request, the share they left
        without sending it (kb.services.deflection_sweep decides)."""
        decided = self.suggestion_deflected + self.suggestion_submitted
        return self.suggestion_deflected / decided if decided else None


def _grouped(logs, *, order: str, limit: int) -> list[dict]:
    """Searches grouped by their normalized words, with the wording readers used most
    recently, the searches, readers, opens and requests that followed."""
    return list(
        logs.exclude(normalized="")
        .values("normalized")
        .annotate(
            query=Max("query"),
            searches=Count("id"),
            readers=Count("session_key", distinct=True),
            opened=Count("id", filter=Q(clicked__isnull=False)),
            requests=Count("id", filter=Q(ticket__isnull=False)),
            results=Max("results"),
        )
        .order_by(order, "normalized")[:limit]
    )


def search_analytics(*, since: datetime, until: datetime, limit: int = ROWS) -> dict:
    logs = SearchLog.objects.filter(created_at__gte=since, created_at__lt=until)
    return {
        "top_queries": _grouped(logs, order="-searches", limit=limit),
        "no_results": _grouped(logs.filter(results=0), order="-searches", limit=limit),
        "content_gaps": _grouped(logs.filter(ticket__isnull=False), order="-searches", limit=limit),
        "articles": article_deflection(since=since, until=until, limit=limit),
    }


def _count_in_period(model, *, since: datetime, until: datetime, **match) -> Coalesce:
    counted = (
        model.objects.filter(created_at__gte=since, created_at__lt=until, **match)
        .order_by()
        .values(next(iter(match)))
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def article_deflection(*, since: datetime, until: datetime, limit: int = ROWS) -> list[ArticleDeflection]:
    """Per article, the most reached first: opens from search, requests sent after reading
    it, and what came of it as a suggestion beside the request form. One query."""
    outcome = DeflectionEvent.Outcome
    articles = (
        Article.objects.annotate(
            opened_from_search=_count_in_period(SearchLog, since=since, until=until, clicked=OuterRef("pk")),
            requests_after_reading=_count_in_period(
                ArticleView, since=since, until=until, article=OuterRef("pk"), ticket__isnull=False
            ),
            suggestion_deflected=_count_in_period(
                DeflectionEvent, since=since, until=until, article=OuterRef("pk"), outcome=outcome.DEFLECTED
            ),
            suggestion_submitted=_count_in_period(
                DeflectionEvent, since=since, until=until, article=OuterRef("pk"), outcome=outcome.SUBMITTED
            ),
        )
        .annotate(reached=F("opened_from_search") + F("suggestion_deflected") + F("suggestion_submitted"))
        .filter(Q(reached__gt=0) | Q(requests_after_reading__gt=0))
        .order_by("-reached", "-requests_after_reading", "pk")[:limit]
    )
    return [
        ArticleDeflection(
            article=a,
            opened_from_search=a.opened_from_search,
            requests_after_reading=a.requests_after_reading,
            suggestion_deflected=a.suggestion_deflected,
            suggestion_submitted=a.suggestion_submitted,
        )
        for a in articles
    ]
