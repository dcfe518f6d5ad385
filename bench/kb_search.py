"""Knowledge-base search latency over 10,000 articles, in Thai and English.

    DATABASE_URL=postgres://... [REDIS_URL=redis://...] python bench/kb_search.py [--quick] [-n 10000]

The help center's real articles (kb/fixtures/articles.json) are seeded through the
services, then multiplied into N articles: each copy names a product and a city and
borrows a paragraph of another article, in both languages, linked as translations, with
its search documents segmented like any saved article (segments are computed once per
piece and joined, which gives the same documents as segmenting the whole text).

Each timed call is `kb.selectors.article_search`, what the search API runs: the query
is segmented (newmm for Thai) and corrected against the vocabulary, the engine ranks
(PostgreSQL: tsvector + ts_rank + pg_trgm; SQLite: FTS5 + bm25), translation pairs are
collapsed, and snippets are built. The queries are the labelled set of the tests (Thai,
English, typos, words inside Thai compounds). Runs in a database of its own, created
beside DATABASE_URL's and dropped at the end (SQLite: a temporary file when unset).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (  # noqa: E402
    database_description,
    django_setup,
    percentiles,
    print_machine,
    print_result,
    throwaway_database,
)

ROOT = Path(__file__).resolve().parent.parent
QUERIES = json.loads((ROOT / "tests" / "kb" / "fixtures" / "labelled_queries.json").read_text(encoding="utf-8"))
PRODUCTS = [
    ("Galaxy A55", "Galaxy A55"), ("iPhone 15", "ไอโฟน 15"), ("rice cooker", "หม้อหุงข้าว"),
    ("air purifier", "เครื่องฟอกอากาศ"), ("running shoes", "รองเท้าวิ่ง"), ("office chair", "เก้าอี้สำนักงาน"),
    ("baby stroller", "รถเข็นเด็ก"), ("electric fan", "พัดลมไฟฟ้า"), ("skin serum", "เซรั่มบำรุงผิว"),
    ("gaming laptop", "โน้ตบุ๊กเกมมิ่ง"), ("smart watch", "นาฬิกาอัจฉริยะ"), ("coffee maker", "เครื่องชงกาแฟ"),
]  # fmt: skip
CITIES = [
    ("Bangkok", "กรุงเทพฯ"), ("Chiang Mai", "เชียงใหม่"), ("Khon Kaen", "ขอนแก่น"), ("Phuket", "ภูเก็ต"),
    ("Hat Yai", "หาดใหญ่"), ("Nakhon Ratchasima", "นครราชสีมา"), ("Udon Thani", "อุดรธานี"), ("Pattaya", "พัทยา"),
]  # fmt: skip


def generate(n_articles: int, *, rng: random.Random) -> int:
    """Adds articles until there are n_articles; returns how many there are."""
    from django.utils import timezone

    from kb import search
    from kb.models import Article
    from kb.seed import seed_articles
    from kb.services import render_markdown
    from tickets.services.sanitize import html_to_text

    topics = [versions for versions in seed_articles().values() if len(versions) == 2]
    existing = Article.objects.count()
    documents: dict[str, str] = {}

    def doc(text: str) -> str:
        if text not in documents:
            documents[text] = search.document(text)
        return documents[text]

    html_pieces: dict[str, str] = {}

    def rendered(markdown_text: str) -> str:
        if markdown_text not in html_pieces:
            html_pieces[markdown_text] = render_markdown(markdown_text)
        return html_pieces[markdown_text]

    paragraphs = {
        lang: [p for versions in topics for p in versions[lang].body.split("\n\n") if len(p) > 60]
        for lang in ("en", "th")
    }
    now = timezone.now()
    batch: list[Article] = []
    for i in range((n_articles - existing + 1) // 2):
        versions = rng.choice(topics)
        product = rng.choice(PRODUCTS)
        city = rng.choice(CITIES)
        group = uuid.uuid4()
        for lang_index, lang in enumerate(("en", "th")):
            base = versions[lang]
            if lang == "en":
                title = f"{base.title} ({product[0]})"
                extra = f"For the {product[0]} bought in {city[0]}:"
            else:
                title = f"{base.title} ({product[1]})"
                extra = f"สำหรับ{product[1]}ที่ซื้อใน{city[1]}"
            borrowed = rng.choice(paragraphs[lang])
            body = f"{extra}\n\n{base.body}\n\n{borrowed}"
            html = rendered(extra) + base.body_html + rendered(borrowed)
            batch.append(
                Article(
                    title=title,
                    slug=f"{base.slug}-{i}",
                    lang=lang,
                    category_id=base.category_id,
                    section_id=base.section_id,
                    body=body,
                    body_html=html,
                    body_text=html_to_text(html),
                    translation_group=group,
                    published=True,
                    published_at=now,
                    internal=rng.random() < 0.03,
                    search_title=f"{doc(base.title)} {doc(product[lang_index])}".strip(),
                    search_body=" ".join(
                        filter(None, [doc(extra), doc(base.body_text), doc(html_to_text(rendered(borrowed)))])
                    ),
                    view_count=rng.randint(0, 5000),
                    created_at=now,
                    updated_at=now,
                )
            )
        if len(batch) >= 2000:
            search.index_articles(a.pk for a in Article.objects.bulk_create(batch))
            batch = []
    if batch:
        search.index_articles(a.pk for a in Article.objects.bulk_create(batch))
    return Article.objects.count()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer timed rounds (under a minute)")
    parser.add_argument("-n", "--articles", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=None, help="passes over the query set (default 10, quick 2)")
    args = parser.parse_args()
    rounds = args.rounds or (2 if args.quick else 10)

    with throwaway_database("kb_search"):
        django_setup()
        from django.db import connection

        from kb import search
        from kb.selectors import article_search

        started = time.perf_counter()
        n_articles = generate(args.articles, rng=random.Random(42))
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE kb_article")
        setup_s = time.perf_counter() - started

        for item in QUERIES:  # warm: dictionaries, vocabulary cache, plans
            article_search(query=item["q"], lang=item["lang"], limit=10)
        timings_ms: list[float] = []
        found = 0
        for _ in range(rounds):
            for item in QUERIES:
                t0 = time.perf_counter()
                hits = article_search(query=item["q"], lang=item["lang"], limit=10)
                timings_ms.append((time.perf_counter() - t0) * 1000)
                found += bool(hits)
        db = database_description()
        figures = percentiles(timings_ms)

        print("kb search: article_search(query, lang, limit=10), labelled Thai/English queries")
        print_machine(db)
        print(f"data:      {n_articles} articles (Thai and English), set up in {setup_s:.1f}s")
        print(f"typos:     {'pg_trgm + vocabulary' if search.trigram_available() else 'vocabulary'}")
        print(f"queries:   {len(timings_ms)} timed ({len(QUERIES)} distinct x {rounds} rounds), {found} with results")
        print(
            f"latency:   median {figures['p50']:.1f} ms, p95 {figures['p95']:.1f} ms, p99 {figures['p99']:.1f} ms, "
            f"mean {statistics.fmean(timings_ms):.1f} ms"
        )
        print_result(
            "kb_search",
            p50_ms=round(figures["p50"], 2),
            p95_ms=round(figures["p95"], 2),
            p99_ms=round(figures["p99"], 2),
            n_articles=n_articles,
            n_queries=len(timings_ms),
            engine=db["engine"],
        )


if __name__ == "__main__":
    main()
