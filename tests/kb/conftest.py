"""Knowledge-base fixtures: the seeded help center (kb/fixtures/articles.json), written
through the services like any article, on whatever database the suite runs."""

from __future__ import annotations

import pytest

from kb.models import Category
from kb.seed import seed_articles


@pytest.fixture
def kb(db):
    """The seeded articles by fixture key and language: kb["reset-password"]["th"]."""
    return seed_articles()


@pytest.fixture
def category(db):
    return Category.objects.create(slug="general", name_en="General", name_th="ทั่วไป")
