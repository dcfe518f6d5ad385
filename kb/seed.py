"""The help-center articles of kb/fixtures/articles.json, written through the services so
that they are rendered, segmented and indexed like any article."""

from __future__ import annotations

import json
from pathlib import Path

from django.db import transaction

from kb.models import Article, Category, Section
from kb.services import article_create

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "articles.json"


def load_fixture() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


@transaction.atomic
def seed_articles(*, author=None) -> dict[str, dict[str, Article]]:
    """Creates the categories and the published articles (Thai and English versions linked
    as translations). Returns the articles by fixture key and language. Idempotent: an
    existing category or article slug is left as it is."""
    data = load_fixture()
    categories: dict[str, Category] = {}
    sections: dict[tuple[str, str], Section] = {}
    for spec in data["categories"]:
        fields = {k: v for k, v in spec.items() if k not in ("slug", "sections")}
        category, _ = Category.objects.get_or_create(slug=spec["slug"], defaults=fields)
        categories[category.slug] = category
        for position, section_spec in enumerate(spec["sections"]):
            section, _ = Section.objects.get_or_create(
                category=category,
                slug=section_spec["slug"],
                defaults={"name_en": section_spec["name_en"], "name_th": section_spec["name_th"], "position": position},
            )
            sections[(category.slug, section.slug)] = section

    created: dict[str, dict[str, Article]] = {}
    for spec in data["articles"]:
        versions: dict[str, Article] = {}
        for lang in ("en", "th"):
            if lang not in spec:
                continue
            slug = f"{spec['key']}-{lang}"
            existing = Article.objects.filter(slug=slug).first()
            if existing:
                versions[lang] = existing
                continue
            versions[lang] = article_create(
                title=spec[lang]["title"],
                body=spec[lang]["body"],
                lang=lang,
                category=categories[spec["category"]],
                section=sections.get((spec["category"], spec.get("section") or "")),
                published=True,
                internal=spec.get("internal", False),
                tags=spec.get("tags", []),
                translation_of=next(iter(versions.values()), None),
                author=author,
                slug=slug,
            )
        created[spec["key"]] = versions
    for spec in data["articles"]:
        for lang, article in created[spec["key"]].items():
            related = [created[key][lang] for key in spec.get("related", []) if lang in created.get(key, {})]
            if related:
                article.related.add(*related)
    return created
