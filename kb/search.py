"""Knowledge-base search: segmentation, the index, and ranked lookups.

Thai is written without spaces between words, so neither PostgreSQL's parser nor SQLite's
tokenizers can find its words. Every text is segmented here first, with pythainlp's newmm
(dictionary maximal matching, offline), lower-cased and space-joined; the databases then
index plain space-separated words:

- PostgreSQL: a generated tsvector column over the segmented title (weight A) and body
  (weight B) with the 'simple' configuration and a GIN index, ranked by ts_rank; titles
  similar to a query word through pg_trgm (word similarity) when the extension exists.
- SQLite: an FTS5 table ranked by bm25 with the title weighted above the body.
- Both: query words missing from the vocabulary of titles and tags get their close
  spellings (bounded edit distance) as alternatives, so typos still find articles.

newmm keeps compounds such as รหัสผ่าน (password) whole, so the index also holds the
dictionary words found inside each Thai compound (รหัส, ผ่าน): a reader who types a word
that the text only has inside a compound still finds it.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterable, Mapping, Sequence

from django.core.cache import cache
from django.db import connection, transaction
from django.utils.safestring import SafeString, mark_safe

QUERY_MAX_CHARS = 200
# Words of a query that count: a long question's later words add cost, not answers.
MAX_QUERY_TERMS = 12
# Candidates fetched from the index and scored (kb.ranking) before translation pairs are collapsed.
CANDIDATES = 60
TITLE_WEIGHT_BM25 = 10.0
SNIPPET_CHARS = 180

_THAI_RUN = re.compile(r"[\u0e00-\u0e7f]+")
# Thai runs and runs of other letters and digits, apart: "รหัสwifi" is two words, not one.
_WORDS = re.compile(r"[\u0e00-\u0e7f]+|[^\W_\u0e00-\u0e7f]+")
_THAI_CHAR = re.compile(r"[\u0e01-\u0e2e]")  # a consonant: a token of only marks is noise

# Words that say nothing about what a reader looks for. The 'simple' configuration keeps
# every word and ts_rank has no inverse document frequency, so they go here, on both sides.
ENGLISH_STOPWORDS = frozenset(
    """a an and are as at be been but by can could did do does for from had has have how i if in into is it
    its me my no not of on or our please so than that the their them then there these they this to too us
    was we what when where which who why will with would you your yours""".split()
)
THAI_STOPWORDS = frozenset(
    """ครับ ค่ะ คะ ค่า นะ จ้ะ จ้า ฮะ ที่ และ หรือ ของ ให้ ได้ ไหม มั้ย ไง ยังไง อย่างไร อะไร การ ความ ก็ จะ ว่า
    เป็น อยู่ คือ ใน กับ แล้ว ต้อง ทำไม ช่วย หน่อย บ้าง ด้วย นี้ นั้น มี ไป มา แต่ เรา ผม ฉัน ดิฉัน หนู คุณ""".split()
)


@functools.cache
def _newmm():
    # Loading the dictionary takes about a second: once per process, on first use.
    from pythainlp.tokenize import word_tokenize

    return word_tokenize


@functools.cache
def _thai_dictionary() -> frozenset[str]:
    from pythainlp.corpus import thai_words

    return thai_words()


@functools.cache
def _tcc():
    from pythainlp.tokenize import subword_tokenize

    return functools.partial(subword_tokenize, engine="tcc")


def _normalize_latin(word: str) -> str:
    """Plurals fold to the singular ('refunds' -> 'refund', 'addresses' -> 'address'), the
    only stemming the 'simple' configuration lacks that readers notice."""
    if len(word) <= 3 or not word.isascii() or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _thai_words(run: str) -> list[str]:
    return [w for w in _newmm()(run, engine="newmm", keep_whitespace=False) if len(w) > 1 and _THAI_CHAR.search(w)]


def segment(text: str) -> list[str]:
    """The words of a text, in order, lower-cased: Thai segmented by newmm, other scripts
    split on non-word characters."""
    words: list[str] = []
    for match in _WORDS.finditer((text or "").lower()):
        run = match.group()
        if _THAI_RUN.fullmatch(run):
            words.extend(_thai_words(run))
        else:
            words.append(_normalize_latin(run))
    return words


def raw_tokens(text: str) -> list[str]:
    """Every token of a text in order, stop words and one-letter Thai tokens included:
    what synonym phrases are matched against (kb.synonyms)."""
    tokens: list[str] = []
    for match in _WORDS.finditer((text or "").lower()):
        run = match.group()
        if _THAI_RUN.fullmatch(run):
            tokens.extend(t for t in _newmm()(run, engine="newmm", keep_whitespace=False) if t.strip())
        else:
            tokens.append(_normalize_latin(run))
    return tokens


def index_terms(text: str) -> list[str]:
    """The words of a text that the index holds and a query may ask for."""
    return [word for word in segment(text) if not is_stopword(word)]


def warm_up() -> None:
    """Loads newmm's dictionary and the cluster tokenizer now rather than on the first
    Thai query (about a second): called when the app is ready."""
    segment("ลองตัดคำภาษาไทย warm")
    thai_pieces("รหัสผ่าน")


@functools.lru_cache(maxsize=20_000)
def thai_pieces(word: str) -> tuple[str, ...]:
    """The dictionary words inside a Thai compound, cut at character-cluster boundaries
    (so no piece splits a vowel from its consonant): รหัสผ่าน -> รหัส, ผ่าน."""
    if len(word) < 4 or not _THAI_RUN.fullmatch(word):
        return ()
    clusters = _tcc()(word)
    bounds = [0]
    for cluster in clusters:
        bounds.append(bounds[-1] + len(cluster))
    dictionary = _thai_dictionary()
    pieces: list[str] = []
    for i, start in enumerate(bounds[:-1]):
        for end in bounds[i + 1 :]:
            piece = word[start:end]
            if piece != word and len(piece) >= 2 and piece in dictionary and piece not in pieces:
                pieces.append(piece)
    return tuple(pieces)


def is_thai_dictionary_word(word: str) -> bool:
    """A word of the Thai dictionary is spelt right, even when no article uses it (หยุด is
    not a misspelling of หลุด)."""
    return bool(_THAI_RUN.fullmatch(word)) and word in _thai_dictionary()


def is_stopword(word: str) -> bool:
    return word in ENGLISH_STOPWORDS or word in THAI_STOPWORDS


def document(text: str) -> str:
    """The search document of a text: its segmented words without stop words, each Thai
    compound followed by the words inside it."""
    out: list[str] = []
    for word in segment(text):
        if is_stopword(word):
            continue
        out.append(word)
        out.extend(thai_pieces(word))
    return " ".join(out)


# ---------------------------------------------------------------------------------------
# Queries


def thai_runs(text: str) -> list[str]:
    return _THAI_RUN.findall((text or "").lower())


MAX_THAI_SPANS = 12


def thai_spans(run: str, words: Sequence[str], *, vocabulary: frozenset[str] | set[str]) -> list[str]:
    """Rejoined neighbouring pieces of a Thai run that hold a piece the vocabulary does
    not know (the mark of a misspelling); bounded, so a long query stays fast."""
    raw = _newmm()(run, engine="newmm", keep_whitespace=False)
    odd = [i for i, piece in enumerate(raw) if piece not in vocabulary and not is_stopword(piece)]
    if not odd:
        return []
    spans = [run] if len(run) <= 20 else []
    for i in odd:
        for size in (2, 3):
            for start in range(max(0, i - size + 1), min(i, len(raw) - size) + 1):
                spans.append("".join(raw[start : start + size]))
    unique = dict.fromkeys(s for s in spans if len(s) >= 4 and s not in words and s not in vocabulary)
    return list(unique)[:MAX_THAI_SPANS]


def _max_edits(word: str) -> int:
    if len(word) < 4:
        return 0
    return 1 if len(word) < 6 else 2


def edit_distance(a: str, b: str, limit: int) -> int | None:
    """Optimal string alignment distance (a swap of two neighbours counts as one edit:
    'refnud' is one edit from 'refund'), or None beyond `limit`; gives up as soon as
    every alignment of a row is past it."""
    if abs(len(a) - len(b)) > limit:
        return None
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return None
        previous2, previous = previous, current
    return previous[-1] if previous[-1] <= limit else None


# Vocabulary words compared with one typed word at most: nearest lengths first, so that a
# large vocabulary bounds the work of a query rather than its time.
MAX_SPELLING_COMPARISONS = 4000


def close_words(
    word: str, by_length: Mapping[int, Sequence[str]], *, df: Mapping[str, int], at_most: int = 3
) -> list[str]:
    """The vocabulary's spellings within a few edits of `word`, best first: fewest edits,
    then the word more articles use (a typo is likelier to mean a common word), then the
    closest length. `by_length` holds the vocabulary by word length."""
    limit = _max_edits(word)
    if not limit:
        return []
    lengths = sorted(range(len(word) - limit, len(word) + limit + 1), key=lambda n: abs(n - len(word)))
    found: list[tuple[int, int, int, str]] = []
    compared = 0
    for length in lengths:
        for other in by_length.get(length, ()):
            if compared >= MAX_SPELLING_COMPARISONS:
                break
            compared += 1
            distance = edit_distance(word, other, limit) if other != word else None
            if distance is not None:
                found.append((distance, -df.get(other, 0), abs(length - len(word)), other))
    found.sort()
    return [other for *_order, other in found[:at_most]]


# ---------------------------------------------------------------------------------------
# The index


def engine() -> str:
    return connection.vendor


INDEX_VERSION_KEY = "kb:index-version"


def index_version() -> int:
    return cache.get_or_set(INDEX_VERSION_KEY, 1, timeout=None)


def bump_index_version() -> None:
    """Tells every process that cached vocabularies are stale: now, and again after the
    commit, so that a vocabulary another process rebuilt from the rows before the commit
    does not outlive it."""
    _bump()
    transaction.on_commit(_bump)


def _bump() -> None:
    try:
        cache.incr(INDEX_VERSION_KEY)
    except ValueError:
        cache.set(INDEX_VERSION_KEY, 2, timeout=None)


def index_articles(article_ids: Iterable[int]) -> None:
    """Brings the engine's index in line with the rows' search documents. PostgreSQL's
    tsvector is a generated column and needs nothing; SQLite's FTS5 table is rewritten."""
    ids = list(article_ids)
    if ids and engine() == "sqlite":
        with connection.cursor() as cursor:
            marks = ",".join("%s" for _ in ids)
            cursor.execute(f"DELETE FROM kb_article_fts WHERE rowid IN ({marks})", ids)
            cursor.execute(
                "INSERT INTO kb_article_fts (rowid, title, body) "
                f"SELECT id, search_title, search_body FROM kb_article WHERE id IN ({marks})",
                ids,
            )
    bump_index_version()


def unindex_articles(article_ids: Iterable[int]) -> None:
    ids = list(article_ids)
    if ids and engine() == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM kb_article_fts WHERE rowid IN ({','.join('%s' for _ in ids)})", ids)
    bump_index_version()


def rebuild_index() -> None:
    if engine() == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM kb_article_fts")
            cursor.execute(
                "INSERT INTO kb_article_fts (rowid, title, body) SELECT id, search_title, search_body FROM kb_article"
            )
    bump_index_version()


# ---------------------------------------------------------------------------------------
# Snippets


def snippet(text: str, terms: Sequence[str], *, length: int = SNIPPET_CHARS) -> SafeString:
    """A window of the text around the first matched word, escaped, with <mark> around
    every matched word. Built from escaped pieces only, so it is safe to render."""
    text = " ".join((text or "").split())
    needles = sorted({t for t in terms if t}, key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(t) for t in needles), re.IGNORECASE) if needles else None
    first = pattern.search(text) if pattern else None
    start = 0
    if first and first.start() > length // 3:
        start = text.rfind(" ", 0, first.start() - length // 3) + 1
    window = text[start : start + length]
    parts: list[str] = ["…" if start else ""]
    position = 0
    if pattern:
        for match in pattern.finditer(window):
            parts.append(html.escape(window[position : match.start()]))
            parts.append(f"<mark>{html.escape(match.group())}</mark>")
            position = match.end()
    parts.append(html.escape(window[position:]))
    if start + length < len(text):
        parts.append("…")
    return mark_safe("".join(parts))  # noqa: S308 - every piece above is escaped
