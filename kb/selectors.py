"""Reads of the knowledge base: what a reader may see, search, suggestions, health and
the deflection rate.

Other apps (portal, console, chat pre-form) call ``article_suggestions(text=..., lang=...)``
for the articles to suggest while a customer writes a request."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib.postgres.lookups import TrigramWordSimilar
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField, TrigramWordSimilarity
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, F, Prefetch, Q, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.safestring import SafeString

from kb import search
from kb.models import Article, Category, DeflectionEvent, Language
from tickets.permissions import is_agent

# Suggestions follow a customer's typing: their first words say what it is about.
SUGGESTION_TERMS = 8
# Trigram matches add this much per similar title word to the PostgreSQL rank.
TRIGRAM_WEIGHT = 0.3
# Typo matches on PostgreSQL: only query words this long try trigram similarity.
TRIGRAM_MIN_WORD_LENGTH = 4


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


def _vocabulary() -> frozenset[str]:
    """Words of published titles and tags, for typo corrections on both engines (pg_trgm's
    default word-similarity threshold misses 'warrenty'); cached until an article changes
    (kb.search.bump_index_version)."""
    key = f"kb:vocabulary:{connection.settings_dict['NAME']}:{search.index_version()}"
    words = cache.get(key)
    if words is None:
        collected: set[str] = set()
        # search_title holds the title and the tags (kb.services).
        for title in Article.objects.filter(published=True).values_list("search_title", flat=True).iterator():
            collected.update(title.split())
        words = frozenset(w for w in collected if len(w) >= 3)
        cache.set(key, words, timeout=24 * 3600)
    return words


def _candidates_sqlite(
    parsed: search.ParsedQuery, *, match_all: bool, include_internal: bool, limit: int
) -> list[tuple]:
    groups = []
    for group in parsed.groups:
        spellings = " OR ".join('"{}"'.format(term.replace('"', '""')) for term in group)
        groups.append(f"({spellings})")
    expression = (" AND " if match_all else " OR ").join(groups)
    internal = "" if include_internal else "AND a.internal = 0"
    sql = (
        "SELECT a.id, -bm25(kb_article_fts, %s, 1.0) AS score, a.translation_group, a.lang "
        "FROM kb_article_fts JOIN kb_article a ON a.id = kb_article_fts.rowid "
        f"WHERE kb_article_fts MATCH %s AND a.published = 1 {internal} "
        "ORDER BY score DESC, a.id LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [search.TITLE_WEIGHT_BM25, expression, limit])
        return [(row[0], row[1], uuid.UUID(str(row[2])), row[3]) for row in cursor.fetchall()]


def _candidates_postgresql(
    parsed: search.ParsedQuery, *, match_all: bool, include_internal: bool, limit: int
) -> list[tuple]:
    groups = ["(" + " | ".join(f"'{term}'" for term in group) + ")" for group in parsed.groups]
    query = SearchQuery((" & " if match_all else " | ").join(groups), search_type="raw", config="simple")
    vector = RawSQL('"kb_article"."search_vector"', [], output_field=SearchVectorField())
    rows = (
        _reader_filter(include_internal)
        .alias(search_vector=vector)
        .filter(search_vector=query)
        .annotate(score=SearchRank(vector, query, weights=[0.1, 0.2, 0.4, 1.0]))
        .order_by("-score", "id")
        .values_list("id", "score", "translation_group", "lang")[:limit]
    )
    return list(rows)


def _candidates_trigram(terms: list[str], *, include_internal: bool, limit: int) -> list[tuple]:
    """Titles with a word similar to one of `terms` (pg_trgm word similarity, through the
    trigram GIN index): for typed words that neither the index nor the vocabulary knows."""
    matches = Q()
    score = None
    for term in terms:
        # search_title %> term
        matches |= Q(TrigramWordSimilar(F("search_title"), Value(term)))
        similarity = TrigramWordSimilarity(term, "search_title")
        score = similarity if score is None else score + similarity
    rows = (
        _reader_filter(include_internal)
        .filter(matches)
        .annotate(score=score * TRIGRAM_WEIGHT)
        .order_by("-score", "id")
        .values_list("id", "score", "translation_group", "lang")[:limit]
    )
    return list(rows)


def _reader_filter(include_internal: bool) -> QuerySet[Article]:
    qs = Article.objects.filter(published=True)
    return qs if include_internal else qs.filter(internal=False)


def _candidates(parsed: search.ParsedQuery, *, include_internal: bool) -> list[tuple]:
    """(id, score, translation group, lang, tier) rows, best first. Tier 0 matched every
    word of the query, tier 1 some of them: all-words matches are few and cheap to rank,
    and the any-word query runs only when they do not fill the candidates. On PostgreSQL,
    typed words unknown to the vocabulary and without a close spelling in it also try
    pg_trgm's similarity on titles. At most three queries."""
    postgresql = search.engine() == "postgresql"

    def run(match_all: bool) -> list[tuple]:
        if postgresql:
            return _candidates_postgresql(
                parsed, match_all=match_all, include_internal=include_internal, limit=search.CANDIDATES
            )
        return _candidates_sqlite(
            parsed, match_all=match_all, include_internal=include_internal, limit=search.CANDIDATES
        )

    rows = [(*row, 0) for row in run(True)] if len(parsed.groups) > 1 else []
    if len(rows) < search.CANDIDATES:
        seen = {row[0] for row in rows}
        rows += [(*row, 1) for row in run(False) if row[0] not in seen]
    uncorrected = [
        group[0] for group in parsed.groups
        if len(group) == 1 and group[0] in parsed.unknown and len(group[0]) >= TRIGRAM_MIN_WORD_LENGTH
    ]  # fmt: skip
    if postgresql and uncorrected and search.trigram_available():
        index = {row[0]: i for i, row in enumerate(rows)}
        for article_id, score, group, lang, *_ in _candidates_trigram(
            uncorrected, include_internal=include_internal, limit=search.CANDIDATES
        ):
            if article_id in index:
                row = rows[index[article_id]]
                rows[index[article_id]] = (row[0], float(row[1]) + float(score), *row[2:])
            else:
                rows.append((article_id, score, group, lang, 1))
    return rows


def article_search(
    *, query: str, lang: str = "", user=None, limit: int = 10, max_terms: int = search.MAX_QUERY_TERMS
) -> list[SearchHit]:
    """Published articles that answer `query`, best first, one per translation group.

    Articles with every word of the query come before those with some of them. `lang` is
    the reader's language: a preference, never a filter. Same-language articles are
    boosted, and when both versions of an article answer, the reader's comes first with
    the other one listed in `translations`. Four queries at most (all words, any word,
    trigram typos on PostgreSQL, the articles), whatever the number of results; the
    vocabulary for typos is cached."""
    parsed = search.parse_query(query, vocabulary=_vocabulary(), max_terms=max_terms)
    if not parsed:
        return []
    rows = _candidates(parsed, include_internal=is_agent(user))
    if not rows:
        return []

    # Collapse translation pairs: the group takes its best match (fewest missing words,
    # then boosted score), and shows the reader's language version when that one matched.
    best: dict[uuid.UUID, tuple[int, float, int]] = {}
    reader_version: dict[uuid.UUID, int] = {}
    for article_id, score, group, article_lang, tier in rows:
        boosted = float(score) * (search.SAME_LANGUAGE_BOOST if lang and article_lang == lang else 1.0)
        current = best.get(group)
        if current is None or (tier, -boosted) < (current[0], -current[1]):
            best[group] = (tier, boosted, article_id)
        if lang and article_lang == lang:
            reader_version.setdefault(group, article_id)
    ranked = sorted(
        (
            (group, tier, score, reader_version.get(group, article_id))
            for group, (tier, score, article_id) in best.items()
        ),
        key=lambda item: (item[1], -item[2], item[3]),
    )[:limit]

    members = (
        visible_articles(user=user)
        .filter(translation_group__in=[item[0] for item in ranked])
        .select_related("category")
    )
    by_group: dict[uuid.UUID, list[Article]] = {}
    for article in members:
        by_group.setdefault(article.translation_group, []).append(article)
    terms = search.highlight_terms(parsed)
    hits = []
    for group, _tier, score, article_id in ranked:
        versions = by_group.get(group, [])
        shown = next((a for a in versions if a.pk == article_id), None)
        if shown is None:
            continue
        hits.append(
            SearchHit(
                article=shown,
                score=round(score, 4),
                snippet=search.snippet(shown.body_text, terms),
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
