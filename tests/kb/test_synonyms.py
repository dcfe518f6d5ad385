"""Synonym rings (kb.synonyms): phrases found in a reader's words, fillers and all."""

from __future__ import annotations

from kb import search, synonyms


def _keys(thesaurus, text: str) -> list[str | None]:
    return [span.key for span in thesaurus.spans(search.raw_tokens(text))]


def test_a_phrase_matches_with_filler_words_inside():
    thesaurus = synonyms.build([["takes long", "slow"], ["โหลดนาน", "ช้า"]])
    assert "takelong" in _keys(thesaurus, "the page takes so long")
    assert "โหลดนาน" in _keys(thesaurus, "โหลดอะไรก็นาน")


def test_a_phrase_with_too_many_fillers_or_ending_on_one_does_not_match():
    thesaurus = synonyms.build([["takes long", "slow"]])
    assert "takelong" not in _keys(thesaurus, "takes it so very long")
    assert _keys(thesaurus, "takes") == [None]


def test_the_words_typed_in_a_row_still_win():
    thesaurus = synonyms.build([["no internet", "offline"], ["internet", "net"]])
    assert _keys(thesaurus, "no internet") == ["nointernet"]


def test_members_of_one_key_that_index_apart_find_each_other():
    thesaurus = synonyms.build([["wifi", "wi-fi", "wireless"]])
    assert ("wi", "fi") in thesaurus.of_word("wifi")
    assert ("wireless",) in thesaurus.of_word("wifi")
