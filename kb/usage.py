"""Learning from use: what readers did after a search feeds that search's ranking.

After a search (kb.models.SearchLog), a reader may open a result, vote on it, or send a
request anyway ("still need help"). Each becomes a count on (normalized query, article)
in kb.models.SearchSignal, each reader counted once per kind, and the ranking of later
searches with the same words is adjusted by

    factor = 1 + MAX_ADJUSTMENT * evidence / (readers + PRIOR_READERS)

where evidence adds opens and helpful votes and takes away unhelpful votes and requests
sent anyway. PRIOR_READERS makes the adjustment grow slowly: three readers move an
article by about 4%, a hundred by at most MAX_ADJUSTMENT, and no count can push it
further. A word match still decides; use only breaks near-ties, so a few votes can't
bury a good answer or lift a bad one."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from datetime import timedelta

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from kb import search
from kb.models import Article, SearchLog, SearchSignal

MAX_ADJUSTMENT = 0.3
PRIOR_READERS = 20
HELPFUL_WEIGHT = 2
SIGNAL_CACHE_SECONDS = 3600
MAX_SIGNALS_PER_QUERY = 200
# An open, a vote or a request counts for the searches of the reader's last day.
SEARCH_MEMORY = timedelta(hours=24)


def normalized_query(text: str) -> str:
    """The words of a query as the index holds them, sorted and de-duplicated: "Refunds?"
    and "refund" are one search."""
    return " ".join(sorted(set(search.index_terms((text or "")[: search.QUERY_MAX_CHARS]))))[:200]


def adjustment(*, clicks: int, helpful: int, unhelpful: int, still_need_help: int) -> float:
    readers = clicks + helpful + unhelpful + still_need_help
    evidence = clicks + HELPFUL_WEIGHT * (helpful - unhelpful - still_need_help)
    factor = 1 + MAX_ADJUSTMENT * evidence / (readers + PRIOR_READERS)
    return min(1 + MAX_ADJUSTMENT, max(1 - MAX_ADJUSTMENT, factor))


def _cache_key(normalized: str) -> str:
    return "kb:signals:" + hashlib.sha1(normalized.encode("utf-8")).hexdigest()


def _signals(normalized: str) -> dict[str, float]:
    """Translation group -> adjustment, for one normalized query; cached until a reader
    adds a signal to it, so that most searches ask the database nothing."""
    key = _cache_key(normalized)
    found = cache.get(key)
    if found is None:
        found = {
            str(signal.translation_group): adjustment(
                clicks=signal.clicks,
                helpful=signal.helpful,
                unhelpful=signal.unhelpful,
                still_need_help=signal.still_need_help,
            )
            for signal in SearchSignal.objects.filter(normalized=normalized)[:MAX_SIGNALS_PER_QUERY]
        }
        cache.set(key, found, timeout=SIGNAL_CACHE_SECONDS)
    return found


def apply_learning(candidates: Sequence, *, query: str) -> None:
    """Multiplies each candidate's score by the adjustment its search signals earned."""
    normalized = normalized_query(query)
    if not normalized:
        return
    signals = _signals(normalized)
    if signals:
        for candidate in candidates:
            candidate.score *= signals.get(str(candidate.group), 1.0)


# ---------------------------------------------------------------------------------------
# Recording


def search_record(*, query: str, lang: str, results: int, session_key: str = "") -> SearchLog:
    """A search a reader ran (help center page or API); suggestions while typing are not
    searches and are not recorded."""
    return SearchLog.objects.create(
        query=(query or "")[:200],
        normalized=normalized_query(query),
        lang=(lang or "")[:2],
        results=min(results, 32767),
        session_key=(session_key or "")[:64],
    )


def _signal_add(*, normalized: str, group: uuid.UUID, counter: str) -> None:
    if not normalized:
        return
    _forget(normalized)
    transaction.on_commit(lambda: _forget(normalized))
    updated = SearchSignal.objects.filter(normalized=normalized, translation_group=group).update(
        **{counter: F(counter) + 1}
    )
    if not updated:
        try:
            with transaction.atomic():
                SearchSignal.objects.create(normalized=normalized, translation_group=group, **{counter: 1})
        except IntegrityError:  # another reader created it first
            SearchSignal.objects.filter(normalized=normalized, translation_group=group).update(
                **{counter: F(counter) + 1}
            )


def _forget(normalized: str) -> None:
    cache.delete(_cache_key(normalized))


@transaction.atomic
def search_click_record(*, search_id: int, article: Article, session_key: str) -> bool:
    """A reader opened a result of their search. Counts once per reader, query and article:
    a second open, or an open of someone else's search, changes nothing."""
    if not session_key:
        return False
    log = SearchLog.objects.select_for_update().filter(pk=search_id, session_key=session_key).first()
    if log is None or log.clicked_id is not None:
        return False
    opened_before = SearchLog.objects.filter(
        session_key=session_key,
        normalized=log.normalized,
        clicked__translation_group=article.translation_group,
    ).exists()
    log.clicked = article
    log.save(update_fields=["clicked"])
    if not opened_before:
        _signal_add(normalized=log.normalized, group=article.translation_group, counter="clicks")
    return True


def _recent_opens(session_key: str):
    since = timezone.now() - SEARCH_MEMORY
    return SearchLog.objects.filter(session_key=session_key, created_at__gte=since, clicked__isnull=False)


def search_vote_record(*, article: Article, helpful: bool, session_key: str) -> int:
    """A vote on an article the reader reached from a search credits that search. The
    article page lets a reader vote once (kb.views), so each reader counts once."""
    if not session_key:
        return 0
    counter = "helpful" if helpful else "unhelpful"
    searches = set(
        _recent_opens(session_key)
        .filter(clicked__translation_group=article.translation_group)
        .values_list("normalized", flat=True)
    )
    for normalized in searches:
        _signal_add(normalized=normalized, group=article.translation_group, counter=counter)
    return len(searches)


def search_still_need_help(*, session_key: str, ticket_id: int | None) -> int:
    """The reader sent a request after searching: their searches of the last day are tied
    to the ticket (content gaps), and each article they opened from one counts against
    that search, once per reader."""
    if not session_key or not ticket_id:
        return 0
    since = timezone.now() - SEARCH_MEMORY
    recent = SearchLog.objects.filter(session_key=session_key, created_at__gte=since)
    opened = set(
        recent.filter(clicked__isnull=False, ticket__isnull=True).values_list(
            "normalized", "clicked__translation_group"
        )
    )
    changed = recent.filter(ticket__isnull=True).update(ticket_id=ticket_id)
    for normalized, group in opened:
        _signal_add(normalized=normalized, group=group, counter="still_need_help")
    return changed
