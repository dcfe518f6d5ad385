"""Attachment file names as people wrote them, made safe to store and show.

Django's get_valid_filename keeps only \\w characters, which drops the combining
vowel and tone marks of Thai (Unicode category Mn): "ใบเสร็จ.pdf" became "ใบเสรจ.pdf".
Here letters, marks and digits of every script are kept, and only what could act
as a path or a control sequence goes."""

from __future__ import annotations

import unicodedata

MAX_LENGTH = 200
# Punctuation that is common in real file names and harmless in a path component.
KEPT_PUNCTUATION = frozenset(" -_.,()[]+@&'#")


def filename_clean(raw: str, *, fallback: str = "attachment") -> str:
    """The last path component of `raw` in NFC, with letters, marks, digits and
    common punctuation kept; never empty, never "." or "..", at most 200 characters
    (the extension kept)."""
    name = unicodedata.normalize("NFC", raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    kept = "".join(ch for ch in name if unicodedata.category(ch)[0] in "LMN" or ch in KEPT_PUNCTUATION)
    kept = " ".join(kept.split()).strip(". ")
    if not kept:
        return fallback
    if len(kept) > MAX_LENGTH:
        stem, dot, extension = kept.rpartition(".")
        if dot and 0 < len(extension) <= 16:
            kept = stem[: MAX_LENGTH - len(extension) - 1].rstrip(". ") + "." + extension
        else:
            kept = kept[:MAX_LENGTH]
    return kept
