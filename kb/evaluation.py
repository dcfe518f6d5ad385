"""The search quality set: the help center of a fictional Thai home-fibre and mobile
operator (kb/data/search_eval/articles.json) and labelled queries over it
(queries.json), each with the article that answers it and its kind:

exact       the words of the title, or close to it
synonym     other words for the same things ("reboot the modem")
paraphrase  the situation described, not named ("nothing connects since this morning")
colloquial  everyday Thai ("เน็ตอืด", "เน็ตไม่ไป")
typo        misspellings, in either script
mixed       Thai and English in one query ("ย้าย internet ไปคอนโด")
nospace     Thai written as one run without spaces, sometimes with Latin inside
cross       asked in one language, answered only by an article in the other

The set of queries.json is split once, by a hash of the query text, into a development
part (the only one ranking may be tuned on) and a held-out part (bench/kb_search.py
reports both; the tests hold a floor on the held-out part). queries_dev_extra.json holds
more queries, written later from the articles alone, that always belong to the
development part: the held-out part stays exactly the held-out queries of queries.json."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

DATA = Path(__file__).resolve().parent / "data" / "search_eval"
DEV, HELD_OUT = "dev", "held-out"
TOP = 10


def load_articles() -> dict:
    return json.loads((DATA / "articles.json").read_text(encoding="utf-8"))


def load_queries() -> list[dict]:
    """Every labelled query with its "part": queries.json split by part_of, then the
    development-only queries of queries_dev_extra.json."""
    split = [{**item, "part": part_of(item["q"])} for item in read_query_file("queries.json")]
    return split + [{**item, "part": DEV} for item in read_query_file("queries_dev_extra.json")]


def read_query_file(name: str) -> list[dict]:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def part_of(query: str) -> str:
    """Fixed for a given query text, whatever else changes in the set."""
    return DEV if int(hashlib.sha256(query.encode("utf-8")).hexdigest(), 16) % 2 == 0 else HELD_OUT


@transaction.atomic
def seed_eval_articles() -> dict[str, str]:
    """Writes the set's categories and articles through the services (rendered,
    segmented and indexed like any article). Returns translation group -> topic key."""
    from kb.models import Category
    from kb.services import article_create

    data = load_articles()
    categories = {}
    for position, spec in enumerate(data["categories"]):
        categories[spec["slug"]], _ = Category.objects.get_or_create(
            slug=f"eval-{spec['slug']}",
            defaults={"name_en": spec["name_en"], "name_th": spec["name_th"], "position": 100 + position},
        )
    topics: dict[str, str] = {}
    for spec in data["articles"]:
        first = None
        for lang in ("en", "th"):
            if lang not in spec:
                continue
            article = article_create(
                title=spec[lang]["title"],
                body=spec[lang]["body"],
                lang=lang,
                category=categories[spec["category"]],
                published=True,
                tags=spec.get("tags", []),
                translation_of=first,
                slug=f"eval-{spec['key']}-{lang}",
            )
            first = first or article
        topics[str(first.translation_group)] = spec["key"]
    return topics


@dataclass
class Score:
    n: int = 0
    hit1: int = 0
    hit3: int = 0
    reciprocal: float = 0.0

    def add(self, rank: int | None) -> None:
        self.n += 1
        if rank is not None:
            self.hit1 += rank == 1
            self.hit3 += rank <= 3
            self.reciprocal += 1 / rank

    def as_dict(self) -> dict:
        n = self.n or 1
        return {
            "n": self.n,
            "hit@1": round(self.hit1 / n, 4),
            "hit@3": round(self.hit3 / n, 4),
            "mrr": round(self.reciprocal / n, 4),
        }


def evaluate(
    queries: list[dict], *, topics: dict[str, str], search: Callable[[str, str], list]
) -> tuple[dict[str, dict], list[dict]]:
    """Runs every query through `search(text, lang) -> hits` and scores where the
    expected topic comes. Returns scores by part ("dev", "held-out") and kind ("all" and
    each kind) and the misses (expected topic not in the top 3)."""
    scores: dict[str, dict[str, Score]] = defaultdict(lambda: defaultdict(Score))
    misses = []
    for item in queries:
        hits = search(item["q"], item["lang"])[:TOP]
        found = [topics.get(str(hit.article.translation_group)) for hit in hits]
        rank = found.index(item["expect"]) + 1 if item["expect"] in found else None
        part = item["part"]
        scores[part]["all"].add(rank)
        scores[part][item["kind"]].add(rank)
        if rank is None or rank > 3:
            misses.append({**item, "part": part, "rank": rank, "got": found[:3]})
    result = {part: {kind: score.as_dict() for kind, score in sorted(kinds.items())} for part, kinds in scores.items()}
    return result, misses
