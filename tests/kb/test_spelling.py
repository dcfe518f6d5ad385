"""Typo corrections (kb.search.close_words): the fewest edits first, then the word more
articles use, then the closest length; and a bounded amount of work per typed word."""

from __future__ import annotations

from kb import search


def _by_length(words):
    buckets: dict[int, list[str]] = {}
    for word in words:
        buckets.setdefault(len(word), []).append(word)
    return buckets


def test_one_edit_comes_before_two_whatever_the_length():
    # 'refnud' is one swap from 'refund'; 'refunded' and 'rebound' are two edits away.
    vocabulary = _by_length(["refunded", "rebound", "refund"])
    assert search.close_words("refnud", vocabulary, df={"refunded": 900, "rebound": 900, "refund": 3})[0] == "refund"


def test_among_equally_close_words_the_more_used_one_comes_first():
    # 'cabel' is one edit from both 'cable' (a swap) and 'label'.
    vocabulary = _by_length(["cable", "label"])
    assert search.close_words("cabel", vocabulary, df={"cable": 40, "label": 2}) == ["cable", "label"]
    assert search.close_words("cabel", vocabulary, df={"cable": 2, "label": 40}) == ["label", "cable"]


def test_thai_spellings_are_corrected_too():
    vocabulary = _by_length(["รหัสผ่าน", "รหัสไปรษณีย์"])
    assert search.close_words("รหัสผาน", vocabulary, df={"รหัสผ่าน": 5}) == ["รหัสผ่าน"]


def test_the_work_per_word_is_bounded(monkeypatch):
    compared = []
    real = search.edit_distance
    monkeypatch.setattr(search, "edit_distance", lambda a, b, limit: compared.append(b) or real(a, b, limit))
    vocabulary = _by_length([f"word{i:05d}" for i in range(3 * search.MAX_SPELLING_COMPARISONS)])
    search.close_words("wrod00001", vocabulary, df={})
    assert len(compared) == search.MAX_SPELLING_COMPARISONS


def test_short_words_are_left_alone():
    assert search.close_words("tv", _by_length(["to", "tx"]), df={}) == []
