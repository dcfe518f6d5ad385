"""The words the console's search knows, cut the same way on both sides: in the
search documents that the write path keeps (tickets.services.search_documents) and
in what an agent types (tickets.selectors.search).

Thai has no spaces between words, so a Thai run is segmented with pythainlp's newmm,
as the knowledge base does; other scripts are split on anything that is not a letter
or a digit, so "HD-123", "TH1234567890." and "somchai.k@example.com" give the words
an agent types ("hd", "123", "th1234567890", "somchai", "k", "example", "com").
A phone number written inside a message ("081-234-5678") also gives its E.164
digits ("66812345678"), the one spelling a phone query is looked up by.
"""

from __future__ import annotations

import functools
import re

import phonenumbers
from django.conf import settings

_WORDS = re.compile(r"[\u0e00-\u0e7f]+|[^\W_\u0e00-\u0e7f]+")
_THAI_RUN = re.compile(r"[\u0e00-\u0e7f]+")
# A phone number as people write one in a message: international (+66...) or national
# (0...), 8 to 15 digits with the usual separators, not glued to a word (a tracking number).
_PHONE_LIKE = re.compile(r"(?<![\w+])(?:\+|0)\d(?:[ .-]?\d){6,13}(?!\w)")
_NON_DIGITS = re.compile(r"\D")
# Longer runs are hashes, base64 and URLs' tails, never typed into a search box.
MAX_WORD_CHARS = 60


@functools.cache
def _newmm():
    # Loading the dictionary takes about a second: once per process, on first use.
    from pythainlp.tokenize import word_tokenize

    return word_tokenize


@functools.lru_cache(maxsize=100_000)
def _thai_words(run: str) -> tuple[str, ...]:
    """The words of a Thai run; one-letter pieces (a lone vowel sign or particle) mean
    nothing alone, and a piece newmm could not cut (thousands of letters) is no word:
    both are left out."""
    pieces = _newmm()(run, engine="newmm", keep_whitespace=False)
    return tuple(piece for piece in (p.strip() for p in pieces) if 1 < len(piece) <= MAX_WORD_CHARS)


@functools.cache
def _thai_dictionary() -> frozenset[str]:
    from pythainlp.corpus import thai_words

    return thai_words()


MAX_PIECE_CHARS = 32

@functools.lru_cache(maxsize=100_000)
def _thai_pieces(word: str) -> tuple[str, ...]:
    """The dictionary words inside a Thai compound, cut at character-cluster boundaries
    (never between a consonant and its vowel): รับเงิน -> รับ, เงิน. A document holds
    them too, so that a query finds a word that newmm left inside a longer one."""
    if len(word) < 4:
        return ()
    from pythainlp.tokenize import subword_tokenize

    bounds = [0]
    for cluster in subword_tokenize(word, engine="tcc"):
        bounds.append(bounds[-1] + len(cluster))
    dictionary = _thai_dictionary()
    pieces: set[str] = set()
    for i, start in enumerate(bounds[:-1]):
        # No dictionary word is longer than MAX_PIECE_CHARS: a run newmm could not cut
        # (thousands of letters in a hostile message) costs linear time, not quadratic.
        for end in bounds[i + 1 :]:
            if end - start > MAX_PIECE_CHARS:
                break
            piece = word[start:end]
            if end - start >= 2 and piece != word and piece in dictionary:
                pieces.add(piece)
    return tuple(sorted(pieces))


def words(text: str) -> list[str]:
    """The words of a text in order, lower-cased, repeats kept."""
    out: list[str] = []
    for match in _WORDS.finditer((text or "").lower()):
        run = match.group()
        if _THAI_RUN.match(run):
            out.extend(_thai_words(run))
        elif len(run) <= MAX_WORD_CHARS:
            out.append(run)
    return out


def runs(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """Each run of a text (a Thai run, or a word of another script) with its words:
    what a query asks for, where a Thai run may stand whole in a document that newmm
    cut differently ("เงินคืน" in one, "เงิน" and "คืน" in the other)."""
    out: list[tuple[str, tuple[str, ...]]] = []
    for match in _WORDS.finditer((text or "").lower()):
        run = match.group()
        if _THAI_RUN.match(run):
            out.append((run, _thai_words(run)))
        elif len(run) <= MAX_WORD_CHARS:
            out.append((run, (run,)))
    return out


@functools.lru_cache(maxsize=10_000)
def phone_term(raw: str) -> str | None:
    """The E.164 digits of a phone number in any usual spelling ("0812345678",
    "+66 81 234 5678", "66812345678"), or None when it is not a valid number."""
    digits = _NON_DIGITS.sub("", raw)
    if not 8 <= len(digits) <= 15:
        return None
    candidates = [raw] if raw.lstrip().startswith("+") else [raw, "+" + digits]
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, settings.HELPDESK_DEFAULT_REGION)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164).lstrip("+")
    return None


def document_terms(text: str) -> set[str]:
    """What a text adds to a search document: its words and the phone numbers in it."""
    terms = set(words(text))
    terms.update(piece for word in list(terms) if _THAI_RUN.match(word) for piece in _thai_pieces(word))
    if text and any(ch.isdigit() for ch in text):
        terms.update(term for term in map(phone_term, _PHONE_LIKE.findall(text)) if term)
    return terms
