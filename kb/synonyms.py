"""The support-domain synonym and paraphrase rings (kb/data/synonyms.json), as data.

A ring lists the words and phrases customers use for one thing, in Thai and English
together ("router", "เราเตอร์", "เร้าเตอร์", "modem"). A query that holds one member
also searches for the others (kb.ranking weighs them below the words typed). Members may
mix languages, which is how a question in one language reaches an article written only
in the other.

Phrases are matched on the query's tokens rejoined without spaces, so the match does not
depend on where newmm happens to cut a phrase, nor on how a reader spaces or hyphenates
it ("wi-fi", "wi fi" and "wifi" are one key)."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kb import search

RINGS_FILE = Path(__file__).resolve().parent / "data" / "synonyms.json"
# Longest phrase, in tokens, that a ring member may span in a query.
MAX_PHRASE_TOKENS = 6
# Stop words a phrase may hold between its words and still match.
MAX_FILLERS = 2


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    key: str | None  # the ring key it matched, None for a lone token outside every ring


@dataclass(frozen=True)
class Thesaurus:
    # Joined key of a member -> the index terms of every other member of its rings.
    alternatives: dict[str, tuple[tuple[str, ...], ...]]
    # Every index term that some member holds: known words for typo corrections.
    words: frozenset[str]

    def spans(self, tokens: Sequence[str]) -> list[Span]:
        """Covers the tokens left to right with the longest ring phrases, and single
        tokens elsewhere. A phrase also matches with filler words inside it: readers
        write "โหลดอะไรก็นาน" for โหลดนาน (slow to load), "takes so long" for "takes long"."""
        found: list[Span] = []
        i = 0
        while i < len(tokens):
            span = self._phrase_at(tokens, i) or self._phrase_with_fillers_at(tokens, i)
            found.append(span or Span(i, i + 1, None))
            i = span.end if span else i + 1
        return found

    def _phrase_at(self, tokens: Sequence[str], i: int) -> Span | None:
        for j in range(min(len(tokens), i + MAX_PHRASE_TOKENS), i, -1):
            key = "".join(tokens[i:j])
            if key in self.alternatives:
                return Span(i, j, key)
        return None

    def _phrase_with_fillers_at(self, tokens: Sequence[str], i: int) -> Span | None:
        if search.is_stopword(tokens[i]):
            return None
        for j in range(min(len(tokens), i + MAX_PHRASE_TOKENS + MAX_FILLERS), i + 2, -1):
            words = [t for t in tokens[i:j] if not search.is_stopword(t)]
            if search.is_stopword(tokens[j - 1]) or len(words) < 2 or j - i - len(words) > MAX_FILLERS:
                continue
            key = "".join(words)
            if key in self.alternatives:
                return Span(i, j, key)
        return None

    def of_word(self, word: str) -> tuple[tuple[str, ...], ...]:
        return self.alternatives.get(word, ())


def key_of(phrase: str) -> str:
    return "".join(search.raw_tokens(phrase))


def build(rings: Sequence[Sequence[str]]) -> Thesaurus:
    members_of: dict[str, list[tuple[str, ...]]] = {}
    words: set[str] = set()
    for ring in rings:
        members = [(key_of(member), tuple(search.index_terms(member))) for member in ring]
        members = [(key, terms) for key, terms in members if key and terms]
        for key, terms in members:
            others = members_of.setdefault(key, [])
            # Members of one key may still index apart: "wifi" finds the articles that
            # write "Wi-Fi" (wi, fi), "5 GHz" those that write "5ghz".
            for _other_key, other_terms in members:
                if other_terms != terms and other_terms not in others:
                    others.append(other_terms)
        for _key, terms in members:
            words.update(terms)
    return Thesaurus(
        alternatives={key: tuple(others) for key, others in members_of.items()},
        words=frozenset(w for w in words if len(w) >= 3),
    )


@functools.cache
def thesaurus() -> Thesaurus:
    """The rings of the data file, segmented once per process (kb.apps warms it)."""
    data = json.loads(RINGS_FILE.read_text(encoding="utf-8"))
    return build(data["rings"])
