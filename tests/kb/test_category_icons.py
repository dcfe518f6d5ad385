"""Category icons are drawn in SVG, never as emoji (a box without an emoji font),
including the emoji that earlier help centers stored."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest
from django.conf import settings
from django.test import Client

from kb.models import Category
from kb.templatetags.kb_support import CATEGORY_ICONS


@pytest.mark.django_db
def test_the_help_center_draws_category_icons_in_svg(kb):
    page = Client().get("/help/").content.decode()

    assert "icons.svg#box" in page and "icons.svg#lock" in page
    assert "📦" not in page and "🔐" not in page


@pytest.mark.django_db
def test_a_stored_emoji_is_drawn_as_its_icon_and_other_text_is_kept(kb):
    Category.objects.filter(slug="orders-shipping").update(icon="📦")
    Category.objects.filter(slug="payments-billing").update(icon="¥")

    page = Client().get("/help/").content.decode()
    assert "icons.svg#box" in page and "📦" not in page
    assert '<span class="kb-card-icon" aria-hidden="true">¥</span>' in page
    category = Client().get("/help/orders-shipping/")
    assert category.status_code == 200 and "icons.svg#box" in category.content.decode()


def test_every_icon_named_is_a_symbol_of_the_sprite():
    sprite = ElementTree.parse(settings.BASE_DIR / "static" / "icons.svg").getroot()
    symbols = {element.get("id") for element in sprite.iter("{http://www.w3.org/2000/svg}symbol")}

    assert CATEGORY_ICONS | {"thumb-up", "thumb-down"} <= symbols
