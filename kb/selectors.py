"""Reads of the knowledge base: what a reader may see, search, suggestions, health and
the deflection rate.

Other apps (portal, console, chat pre-form) call ``article_suggestions(text=..., lang=...)``
for the articles to suggest while a customer writes a request."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.safestring import SafeString

from kb import ranking, search, usage
from kb.corpus import corpus_stats
from kb.models import Article, Category, DeflectionEvent, Language
from kb.synonyms import thesaurus
from tickets.permissions import is_agent

# Suggestions follow a customer's typing: their first words say what it is about.
SUGGESTION_TERMS = 8
# Articles the index may rank for one search, summed over the terms asked for (_match_queries).
MATCH_BUDGET = 300
# PostgreSQL's planner estimates each word of a tsquery apart: past a few words, it reads the
# whole table instead of the GIN index. Reading a small table is cheap, so a help center of
# up to SMALL_INDEX articles asks for every word, and a larger one for MAX_MATCH_TERMS.
MAX_MATCH_TERMS = 8
SMALL_INDEX = 1000
MAX_MATCH_TERMS_SMALL = 48


def visible_articles(*, user=None) -> QuerySet[Article]:
    """Published articles a reader may see: agents also see internal ones."""
    qs = Article.objects.filter(published=True)
    if not is_agent(user):
        qs = qs.filter(internal=False)
    return qs


def article_list(*, user=None, lang: str = "", category: str = "", q: str = "") -> QuerySet[Article]:
    """The agents' list: drafts too, with each article's health counted in the same query."""
    qs = Article.objects.all() if is_agent(user) else visible_articles(user=user)
    if lang:
        qs = qs.filter(lang=lang)
    if category:
        qs = qs.filter(category__slug=category)
    if q:
        qs = qs.filter(title__icontains=q)
    return (
        qs.select_related("category", "section", "author")
        .prefetch_related("tags", Prefetch("related", queryset=Article.objects.only("id", "title", "lang", "slug")))
        .annotate(tickets_after_reading=Count("views__ticket", distinct=True))
        .order_by("-updated_at", "-id")
    )


def article_for_reader(*, slug: str, user=None) -> Article | None:
    return visible_articles(user=user).select_related("category", "section").filter(slug=slug).first()


def article_translations(*, article: Article, user=None) -> list[Article]:
    return list(visible_articles(user=user).filter(translation_group=article.translation_group).exclude(pk=article.pk))


def article_related(*, article: Article, user=None, limit: int = 5) -> list[Article]:
    """Hand-picked related articles first, then others of the same section or category, in
    the reader's language."""
    picked = list(visible_articles(user=user).filter(related=article).order_by("title")[:limit])
    if len(picked) < limit:
        others = (
            visible_articles(user=user)
            .filter(category=article.category_id, lang=article.lang)
            .exclude(pk__in=[article.pk, *[a.pk for a in picked]])
            .order_by("-view_count", "title")[: limit - len(picked)]
        )
        picked.extend(others)
    return picked


def categories_with_counts(*, user=None) -> QuerySet[Category]:
    """Categories with the number of articles a reader may see, an article and its
    translation counting once."""
    visible = Q(articles__published=True)
    if not is_agent(user):
        visible &= Q(articles__internal=False)
    return Category.objects.annotate(
        article_count=Count("articles__translation_group", filter=visible, distinct=True)
    ).order_by("position", "slug")


def category_articles(*, category: Category, user=None, lang: str = "") -> QuerySet[Article]:
    qs = visible_articles(user=user).filter(category=category).select_related("section")
    if lang:
        qs = qs.filter(lang=lang)
    return qs.order_by("section__position", "section__slug", "title")


# ---------------------------------------------------------------------------------------
# Search


@dataclass
class SearchHit:
    article: Article
    score: float
    snippet: SafeString
    translations: list[Article] = field(default_factory=list)


def _candidates_postgresql(tsquery: str, *, include_internal: bool) -> list[tuple]:
    """Articles holding any of the terms, roughly best first by ts_rank, with what
    kb.ranking scores them on. Ranked on ids alone, so that only the chosen few rows
    bring their documents along."""
    internal = "" if include_internal else "AND NOT internal"
    sql = (
        "WITH q AS (SELECT to_tsquery('simple', %s) AS query), "
        "best AS (SELECT id FROM kb_article, q "
        f"WHERE published {internal} AND search_vector @@ q.query "
        "ORDER BY ts_rank('{0.1, 0.2, 0.4, 1.0}', search_vector, q.query) DESC, id LIMIT %s) "
        "SELECT a.id, a.translation_group, a.lang, a.search_title, a.search_body "
        "FROM kb_article a JOIN best USING (id)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [tsquery, search.CANDIDATES])
        return cursor.fetchall()


def _tsquery(terms: list[str], operator: str) -> str:
    # Terms are words of kb.search's tokenizer: letters and digits only, nothing to escape.
    return f" {operator} ".join(f"'{term}'" for term in terms)


def _candidates_sqlite(tsquery: str, *, include_internal: bool) -> list[tuple]:
    # The same expression in FTS5's syntax: 'a' | 'b' -> "a" OR "b".
    expression = tsquery.replace("'", '"').replace(" | ", " OR ").replace(" & ", " AND ")
    internal = "" if include_internal else "AND a.internal = 0"
    sql = (
        "SELECT a.id, a.translation_group, a.lang, a.search_title, a.search_body "
        "FROM kb_article_fts JOIN kb_article a ON a.id = kb_article_fts.rowid "
        f"WHERE kb_article_fts MATCH %s AND a.published = 1 {internal} "
        "ORDER BY bm25(kb_article_fts, %s, 1.0), a.id LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [expression, search.TITLE_WEIGHT_BM25, search.CANDIDATES])
        return [(row[0], uuid.UUID(str(row[1])), *row[2:]) for row in cursor.fetchall()]


def _match_queries(query: ranking.Query, stats: ranking.CorpusStats) -> list[str]:
    """The tsqueries that find candidates, tried in turn until one finds some.

    Terms go in rarest first while the articles they hold add up to MATCH_BUDGET: each
    matched article costs the engine a recheck and a ts_rank (about 20 µs on PostgreSQL),
    and ranking every article that holds a common word costs more than it tells. The
    common words still count when the candidates are scored. When even the rarest word
    is common, the articles holding the two rarest words typed come first, and the
    rarest word alone only if none holds both."""
    weight: dict[str, float] = {}
    for concept in query.concepts:
        for terms, alternative_weight in concept.alternatives:
            for term in terms:
                if term in stats.df:
                    weight[term] = max(weight.get(term, 0.0), alternative_weight)
    if not weight:
        return []

    def cost(term: str) -> tuple[float, str]:
        return stats.df[term] / weight[term], term

    # Each concept's cheapest word first, so that every part of the question can find.
    firsts = [
        min((t for terms, _w in concept.alternatives for t in terms if t in weight), key=cost, default=None)
        for concept in query.concepts
    ]
    ordered = sorted({t for t in firsts if t}, key=cost) + sorted(weight, key=cost)
    at_most = MAX_MATCH_TERMS if stats.documents > SMALL_INDEX else MAX_MATCH_TERMS_SMALL
    chosen: list[str] = []
    total = 0
    for term in ordered:
        if term in chosen or len(chosen) >= at_most:
            continue
        if chosen and total + stats.df[term] > MATCH_BUDGET:
            continue
        chosen.append(term)
        total += stats.df[term]
    if total <= MATCH_BUDGET:
        return [_tsquery(chosen, "|")]
    typed = sorted(
        {t for concept in query.concepts for t in concept.typed if t in stats.df}, key=lambda t: (stats.df[t], t)
    )
    if len(typed) >= 2:
        return [_tsquery(typed[:2], "&"), _tsquery(chosen, "|")]
    return [_tsquery(chosen, "|")]


def article_search(
    *,
    query: str,
    lang: str = "",
    user=None,
    limit: int = 10,
    max_terms: int = search.MAX_QUERY_TERMS,
    weights: ranking.Ranking = ranking.DEFAULT,
) -> list[SearchHit]:
    """Published articles that answer `query`, best first, one per translation group.

    The query's words, their synonyms, typo corrections and translations find candidates
    in the index; kb.ranking scores them (BM25F, answered share of the query), what
    readers did after the same search adjusts the score a little (kb.usage), and
    translation pairs collapse into one hit. `lang` is the reader's language: a
    preference, never a filter. Same-language articles get a small boost, and when both
    versions of an article answer, the reader's is shown with the other one listed in
    `translations`. Four queries at most (candidates, again with fewer words when the
    first try found none, usage, the articles); the corpus
    statistics are cached per index version."""
    stats = corpus_stats()
    parsed = ranking.parse(query, stats=stats, thesaurus=thesaurus(), ranking=weights, max_terms=max_terms)
    include_internal = is_agent(user)
    find = _candidates_postgresql if search.engine() == "postgresql" else _candidates_sqlite
    rows = []
    for tsquery in _match_queries(parsed, stats):
        rows = find(tsquery, include_internal=include_internal)
        if rows:
            break
    candidates = [ranking.Candidate(*row) for row in rows]
    for candidate in candidates:
        candidate.score = ranking.score(candidate, parsed, stats=stats, ranking=weights)
        if lang and candidate.lang == lang:
            candidate.score *= weights.same_language
    candidates = [c for c in candidates if c.score > 0]
    if weights.use_usage and candidates:
        usage.apply_learning(candidates, query=query)

    # Collapse translation pairs: the group takes its best score and shows the reader's
    # language version when that one matched too.
    best: dict[uuid.UUID, ranking.Candidate] = {}
    reader_version: dict[uuid.UUID, int] = {}
    for candidate in candidates:
        group = uuid.UUID(str(candidate.group))
        if group not in best or candidate.score > best[group].score:
            best[group] = candidate
        if lang and candidate.lang == lang:
            reader_version.setdefault(group, candidate.article_id)
    ranked = sorted(best.items(), key=lambda item: (-item[1].score, item[1].article_id))[:limit]
    if not ranked:
        return []

    members = (
        visible_articles(user=user)
        .filter(translation_group__in=[g for g, _c in ranked])
        .select_related("category")
        .defer("body", "body_html", "search_title", "search_body")
    )
    by_group: dict[uuid.UUID, list[Article]] = {}
    for article in members:
        by_group.setdefault(article.translation_group, []).append(article)
    highlight = parsed.highlight()
    hits = []
    for group, candidate in ranked:
        versions = by_group.get(group, [])
        shown_id = reader_version.get(group, candidate.article_id)
        shown = next((a for a in versions if a.pk == shown_id), None)
        if shown is None:
            continue
        hits.append(
            SearchHit(
                article=shown,
                score=round(candidate.score, 4),
                snippet=search.snippet(shown.body_text, highlight),
                translations=[a for a in versions if a.pk != shown.pk],
            )
        )
    return hits


def article_suggestions(*, text: str, lang: str, limit: int = 5, user=None) -> list[SearchHit]:
    """Articles to suggest while a customer writes a request (portal, chat pre-form) or
    to an agent beside a ticket: the same ranking as search, on the first words typed.
    Internal articles only when `user` is an agent."""
    return article_search(query=text or "", lang=lang, user=user, limit=limit, max_terms=SUGGESTION_TERMS)


# ---------------------------------------------------------------------------------------
# Health and deflection


def article_health(*, article_ids: list[int] | None = None) -> list[dict]:
    """Per article: views, helpful votes and ratio, and the tickets created after reading it."""
    qs = Article.objects.all()
    if article_ids is not None:
        qs = qs.filter(pk__in=article_ids)
    rows = qs.annotate(tickets_after_reading=Count("views__ticket", distinct=True)).values(
        "id", "title", "lang", "view_count", "helpful_yes", "helpful_no", "tickets_after_reading"
    )
    result = []
    for row in rows:
        votes = row["helpful_yes"] + row["helpful_no"]
        row["helpful_ratio"] = round(row["helpful_yes"] / votes, 3) if votes else None
        result.append(row)
    return result


def _day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return (
        datetime.combine(start, time.min, tzinfo=tz),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz),
    )


def deflection_rate(*, start: date, end: date) -> dict:
    """Sessions that viewed a suggestion between `start` and `end` (inclusive, local days):
    how many left without sending a request (deflected) and how many sent one
    (submitted), counted in SQL. rate = deflected / (deflected + submitted); sessions still
    undecided are reported apart and left out of the rate."""
    since, until = _day_bounds(start, end)
    Outcome = DeflectionEvent.Outcome
    counts = DeflectionEvent.objects.filter(created_at__gte=since, created_at__lt=until).aggregate(
        deflected=Count("session_key", filter=Q(outcome=Outcome.DEFLECTED), distinct=True),
        submitted=Count("session_key", filter=Q(outcome=Outcome.SUBMITTED), distinct=True),
        pending=Count("session_key", filter=Q(outcome=Outcome.VIEWED), distinct=True),
    )
    decided = counts["deflected"] + counts["submitted"]
    counts["rate"] = round(counts["deflected"] / decided, 4) if decided else None
    return counts


def preferred_language(value: str | None) -> str:
    value = (value or "").lower()[:2]
    return value if value in Language.values else ""
