"""kb.ranking on hand-built queries and articles: what a concept is, and how much of
the question an article answers."""

from __future__ import annotations

import pytest

from kb import ranking, synonyms

STATS = ranking.CorpusStats(
    documents=10,
    avg_title=2.0,
    avg_body=4.0,
    df={"fibre": 2, "box": 3, "router": 4, "reset": 2},
    known=frozenset({"fibre", "box", "router", "reset"}),
    vocabulary=frozenset({"fibre", "box", "router", "reset"}),
    lexicon={},
)


def _parse(text: str, rings=()) -> ranking.Query:
    return ranking.parse(text, stats=STATS, thesaurus=synonyms.build(rings), ranking=ranking.DEFAULT, max_terms=12)


def test_a_word_typed_twice_is_one_concept():
    query = _parse("router reset router")
    assert [concept.typed for concept in query.concepts] == [("router",), ("reset",)]


def test_half_a_phrase_answers_half_of_its_concept():
    article = ranking.Candidate(article_id=1, group=None, lang="en", title="fibre", body="light")
    alone = ranking.score(article, _parse("fibre"), stats=STATS, ranking=ranking.DEFAULT)
    phrase = ranking.Query(text="fibre box", concepts=[ranking.Concept(typed=("fibre", "box"))])
    phrase.concepts[0].add(("fibre", "box"), 1.0)
    half = ranking.score(article, phrase, stats=STATS, ranking=ranking.DEFAULT)
    floor = ranking.DEFAULT.coverage_floor
    # The phrase's mean (half the word's score), times the share it answers (one half).
    assert half == pytest.approx(alone * 0.5 * (floor + (1 - floor) * 0.5))


def test_another_word_for_one_word_of_a_phrase_weighs_by_its_share_of_the_phrase():
    rings = [["router reset", "factory reset"], ["router", "modem"]]
    (concept,) = _parse("router reset", rings).concepts
    weights = dict(concept.alternatives)
    assert weights[("router", "reset")] == 1.0
    assert weights[("factory", "reset")] == ranking.DEFAULT.synonyms
    assert weights[("modem",)] == pytest.approx(ranking.DEFAULT.synonyms / 2)
