"""Ranking of knowledge-base search: what a query asks for, and how well an article answers.

A query becomes a list of concepts. A concept is what one typed word or phrase asks for,
and is satisfied by any of its alternatives, each weighed:

- the words typed (1.0);
- the other members of its synonym rings (kb.synonyms);
- close spellings from the vocabulary, for typos;
- the words of the other language that the translated articles pair it with (the
  lexicon learnt from translation pairs, kb.corpus).

The database finds candidates (any of those words); this module then scores each one
with BM25F over its title (tags included) and body, the best alternative of each concept
counting, scaled by the share of concepts the article answers. Usage (kb.usage) and the
reader's language adjust the result a little."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from kb import search
from kb.synonyms import Thesaurus


@dataclass(frozen=True)
class Ranking:
    """The weights. `LEXICAL` is the ranking without meaning: the words typed (typo
    corrections included), nothing learnt from use, for comparisons in bench/kb_search."""

    synonyms: float = 0.8
    typos: float = 0.7
    translations: float = 0.5
    title_weight: float = 3.0
    k1: float = 1.2
    b: float = 0.6
    # An article answering some concepts scores (floor + (1 - floor) * share) of its sum.
    coverage_floor: float = 0.25
    # A typo correction two edits away weighs this share of one a single edit away.
    second_edit: float = 0.6
    same_language: float = 1.1
    use_usage: bool = True
    max_translations: int = 3


MAX_REMEMBERED_CORRECTIONS = 20_000
# Words a question carries that no article is chosen for. Left out of queries only: the
# articles' search documents keep them, so the list changes without a reindex.
QUERY_FILLERS = frozenset(
    """all any also already each every just really since some still very anything something
    now today yesterday morning currently ทั้งหมด เลย แค่ ยัง อีก มาก จริงๆ ตั้งแต่ เสมอ ทำ
    ตอนนี้ วันนี้ เมื่อวาน เมื่อเช้า""".split()
)
DEFAULT = Ranking()
LEXICAL = Ranking(synonyms=0.0, translations=0.0, use_usage=False)


@dataclass
class Concept:
    typed: tuple[str, ...]
    alternatives: list[tuple[tuple[str, ...], float]] = field(default_factory=list)

    def add(self, terms: tuple[str, ...], weight: float) -> None:
        # One-letter Latin pieces ("can't" -> can, t) say nothing.
        terms = tuple(t for t in terms if len(t) > 1 or t.isdigit())
        if not terms or weight <= 0:
            return
        for i, (existing, existing_weight) in enumerate(self.alternatives):
            if existing == terms:
                self.alternatives[i] = (existing, max(existing_weight, weight))
                return
        self.alternatives.append((terms, weight))


@dataclass
class Query:
    text: str
    concepts: list[Concept] = field(default_factory=list)

    def terms(self) -> list[str]:
        """Every word that any alternative needs, the typed ones first."""
        ordered = [t for c in self.concepts for t in c.typed]
        ordered += [t for c in self.concepts for terms, _w in c.alternatives for t in terms]
        return list(dict.fromkeys(ordered))

    def highlight(self) -> list[str]:
        return [t for t in self.terms() if len(t) > 1]

    def __bool__(self) -> bool:
        return bool(self.concepts)


@dataclass(frozen=True)
class CorpusStats:
    """What scoring needs to know about the published articles (kb.corpus builds it)."""

    documents: int
    avg_title: float
    avg_body: float
    df: dict[str, int]
    # Every word of the index or of the synonym rings: a typed word outside it is a typo.
    known: frozenset[str]
    # Words of titles and tags, and of the synonym rings: the spellings typos are fixed to.
    vocabulary: frozenset[str]
    # word -> ((word of the other language, association 0..1), ...)
    lexicon: dict[str, tuple[tuple[str, float], ...]]

    # Corrections found so far for this version of the corpus: readers repeat their typos.
    corrections: dict[str, list[str]] = field(default_factory=dict, compare=False)
    by_length: dict[int, tuple[str, ...]] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        buckets: dict[int, list[str]] = {}
        for word in self.vocabulary:
            buckets.setdefault(len(word), []).append(word)
        # Most used first: when a huge vocabulary exhausts a query's budget of comparisons
        # (kb.search.MAX_SPELLING_COMPARISONS), the rarest words are the ones left unseen.
        ordered = {n: tuple(sorted(words, key=lambda w: (-self.df.get(w, 0), w))) for n, words in buckets.items()}
        self.by_length.update(ordered)

    def close_words(self, word: str) -> list[str]:
        """Spellings of the vocabulary within a few edits of `word`, fewest edits and most
        used first (kb.search.close_words)."""
        if word not in self.corrections:
            if len(self.corrections) > MAX_REMEMBERED_CORRECTIONS:
                self.corrections.clear()
            self.corrections[word] = search.close_words(word, self.by_length, df=self.df)
        return self.corrections[word]

    def idf(self, term: str) -> float:
        df = self.df.get(term, 0)
        return math.log(1 + (self.documents - df + 0.5) / (df + 0.5))


def parse(text: str, *, stats: CorpusStats, thesaurus: Thesaurus, ranking: Ranking, max_terms: int) -> Query:
    text = (text or "")[: search.QUERY_MAX_CHARS]
    query = Query(text=text)
    tokens = search.raw_tokens(text)
    # A word typed twice ("เน็ตช้า เน็ตหลุด") is one concept: counted again, it would
    # outweigh the rest of the question.
    seen: set[str] = set()
    for span in thesaurus.spans(tokens):
        if len(query.concepts) >= max_terms:
            break
        phrase = "".join(tokens[span.start : span.end])
        typed = tuple(search.index_terms(phrase) if span.end - span.start == 1 else _terms_of(tokens, span))
        typed = tuple(t for t in typed if t not in seen and (len(t) > 1 or t.isdigit()) and t not in QUERY_FILLERS)
        if not typed:
            continue
        seen.update(typed)
        concept = Concept(typed=typed)
        concept.add(typed, 1.0)
        if span.key and ranking.synonyms:
            for terms in thesaurus.alternatives[span.key]:
                concept.add(terms, ranking.synonyms)
        for word in typed:
            if ranking.synonyms:
                # Another word for one word of a phrase answers that word alone: "payment"
                # -> transfer is not "automatic payment".
                for terms in thesaurus.of_word(word):
                    concept.add(terms, ranking.synonyms / len(typed))
            if word not in stats.known and not search.is_thai_dictionary_word(word):
                for fix in stats.close_words(word):
                    weight = ranking.typos * _edits_discount(word, fix, ranking)
                    concept.add((fix,), weight)
                    # Only a close guess speaks for its synonyms too.
                    for terms in thesaurus.of_word(fix) if ranking.synonyms and weight == ranking.typos else ():
                        concept.add(terms, weight * ranking.synonyms)
        if ranking.translations and len(typed) <= 2:
            for word in typed:
                for other, association in stats.lexicon.get(word, ())[: ranking.max_translations]:
                    concept.add((other,), ranking.translations * association)
        query.concepts.append(concept)
    _add_thai_typo_concepts(query, tokens, stats=stats, thesaurus=thesaurus, ranking=ranking, max_terms=max_terms)
    return query


def _edits_discount(word: str, fix: str, ranking: Ranking) -> float:
    """A correction two edits away is a weaker guess than one a single edit away."""
    return 1.0 if search.edit_distance(word, fix, 1) is not None else ranking.second_edit


def _terms_of(tokens: list[str], span) -> list[str]:
    return [t for t in tokens[span.start : span.end] if not search.is_stopword(t)]


def _add_thai_typo_concepts(query: Query, tokens, *, stats, thesaurus, ranking, max_terms: int) -> None:
    """A misspelt Thai word falls apart into odd pieces (รหัสผาน -> รหัส ผา น): rejoined
    neighbours are compared with the vocabulary as a whole (kb.search.thai_spans)."""
    known = stats.known
    for run in search.thai_runs(query.text):
        pieces = search.raw_tokens(run)
        if all(p in known or search.is_stopword(p) for p in pieces):
            continue
        for span in search.thai_spans(run, pieces, vocabulary=known):
            if len(query.concepts) >= max_terms:
                return
            fixes = stats.close_words(span)
            if fixes:
                concept = Concept(typed=(fixes[0],))
                for fix in fixes:
                    concept.add((fix,), ranking.typos)
                    for terms in thesaurus.of_word(fix) if ranking.synonyms else ():
                        concept.add(terms, ranking.typos * ranking.synonyms)
                query.concepts.append(concept)


@dataclass
class Candidate:
    article_id: int
    group: object
    lang: str
    title: str
    body: str
    score: float = 0.0


def score(candidate: Candidate, query: Query, *, stats: CorpusStats, ranking: Ranking) -> float:
    # Documents are single-spaced words (kb.search.document): a word's frequency is how
    # often it occurs between spaces, counted by str.count rather than by splitting the
    # whole body of every candidate.
    title = f" {candidate.title} "
    body = f" {candidate.body} "
    title_norm = 1 - ranking.b + ranking.b * (_length(candidate.title) / max(stats.avg_title, 1.0))
    body_norm = 1 - ranking.b + ranking.b * (_length(candidate.body) / max(stats.avg_body, 1.0))
    memo: dict[str, float] = {}

    def term_score(term: str) -> float:
        if term not in memo:
            needle = f" {term} "
            tf = ranking.title_weight * title.count(needle) / title_norm + body.count(needle) / body_norm
            memo[term] = stats.idf(term) * tf / (ranking.k1 + tf) if tf else 0.0
        return memo[term]

    total = 0.0
    answered = 0.0
    for concept in query.concepts:
        best = 0.0
        share_of_best = 0.0
        for terms, weight in concept.alternatives:
            matched = [term_score(t) for t in terms]
            if any(matched):
                # A phrase counts by its mean, so half a phrase weighs less than all of it,
                # and answers half of its concept.
                value = weight * sum(matched) / len(terms)
                if value > best:
                    best, share_of_best = value, sum(1 for m in matched if m) / len(terms)
        answered += share_of_best
        total += best
    if not answered:
        return 0.0
    share = answered / len(query.concepts)
    return total * (ranking.coverage_floor + (1 - ranking.coverage_floor) * share)


def _length(document: str) -> int:
    return document.count(" ") + 1 if document else 0
