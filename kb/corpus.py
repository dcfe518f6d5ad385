"""What ranking knows about the published articles as a whole (kb.ranking.CorpusStats):
document frequencies, average lengths, the vocabulary typos are fixed to, and the
lexicon learnt from translation pairs.

The lexicon: an article and its translation say the same thing, so the words of a Thai
title (tags included) and those of its English twin are likely translations of each
other. Over every pair, a Thai word and an English word that keep appearing together
(Jaccard association of the pairs holding each) become a translation; a query word then
also looks for its translations, which is how a question reaches an article that only
exists in the other language even when no synonym ring links the words.

Built once per index version (kb.search.bump_index_version) and shared through the
cache, so that one process computes it after an article changes and the others load it;
each process keeps its copy in memory until the version moves."""

from __future__ import annotations

import threading
from collections import Counter, defaultdict

from django.core.cache import cache
from django.db import connection

from kb import search
from kb.models import Article, Language
from kb.ranking import CorpusStats
from kb.synonyms import thesaurus

# A pair of words needs this association to count as a translation...
MIN_ASSOCIATION = 0.25
# ...and a word keeps its best few.
TRANSLATIONS_PER_WORD = 3
CACHE_SECONDS = 24 * 3600

_local = threading.local()


def corpus_stats() -> CorpusStats:
    key = f"kb:corpus:{connection.settings_dict['NAME']}:{search.index_version()}"
    held = getattr(_local, "held", None)
    if held is not None and held[0] == key:
        return held[1]
    stats = cache.get(key)
    if stats is None:
        stats = build_stats()
        cache.set(key, stats, timeout=CACHE_SECONDS)
    _local.held = (key, stats)
    return stats


def build_stats() -> CorpusStats:
    published = Article.objects.filter(published=True)
    titles = list(published.values_list("translation_group", "lang", "search_title"))
    if search.engine() == "postgresql":
        df, avg_body = _body_stats_postgresql()
    else:
        df, avg_body = _body_stats_python(published)
    documents = len(titles)
    avg_title = sum(len(t.split()) for _g, _l, t in titles) / documents if documents else 1.0
    vocabulary = {w for _g, _l, title in titles for w in title.split() if len(w) >= 3}
    rings = thesaurus().words
    return CorpusStats(
        documents=documents,
        avg_title=avg_title or 1.0,
        avg_body=avg_body or 1.0,
        df=df,
        known=frozenset(df) | rings,
        vocabulary=frozenset(vocabulary | rings),
        lexicon=learn_lexicon(titles),
    )


def _body_stats_postgresql() -> tuple[dict[str, int], float]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT word, ndoc FROM ts_stat('SELECT search_vector FROM kb_article WHERE published')")
        df = dict(cursor.fetchall())
        cursor.execute(
            "SELECT avg(array_length(string_to_array(nullif(search_body, ''), ' '), 1)) FROM kb_article WHERE published"
        )
        avg_body = float(cursor.fetchone()[0] or 1.0)
    return df, avg_body


def _body_stats_python(published) -> tuple[dict[str, int], float]:
    df: Counter[str] = Counter()
    lengths = 0
    count = 0
    for title, body in published.values_list("search_title", "search_body").iterator():
        words = body.split()
        lengths += len(words)
        count += 1
        df.update(set(words) | set(title.split()))
    return dict(df), (lengths / count if count else 1.0)


def learn_lexicon(titles) -> dict[str, tuple[tuple[str, float], ...]]:
    """Thai <-> English word translations from the titles of translation pairs."""
    by_group: dict[object, dict[str, set[str]]] = defaultdict(dict)
    for group, lang, title in titles:
        by_group[group][lang] = set(title.split())
    together: Counter[tuple[str, str]] = Counter()
    seen: Counter[str] = Counter()
    for versions in by_group.values():
        if Language.THAI not in versions or Language.ENGLISH not in versions:
            continue
        # Tags are shared by both versions: only the words particular to each side pair up.
        shared = versions[Language.THAI] & versions[Language.ENGLISH]
        thai = {w for w in versions[Language.THAI] - shared if search.thai_runs(w)}
        english = {w for w in versions[Language.ENGLISH] - shared if not search.thai_runs(w) and len(w) > 1}
        seen.update(thai | english)
        together.update((t, e) for t in thai for e in english)
    lexicon: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for (thai_word, english_word), both in together.items():
        association = both / (seen[thai_word] + seen[english_word] - both)
        if association >= MIN_ASSOCIATION:
            lexicon[thai_word].append((english_word, association))
            lexicon[english_word].append((thai_word, association))
    return {
        word: tuple(sorted(found, key=lambda item: (-item[1], item[0]))[:TRANSLATIONS_PER_WORD])
        for word, found in lexicon.items()
    }
