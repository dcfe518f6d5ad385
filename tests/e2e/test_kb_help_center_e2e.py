"""End to end: a customer on a phone finds an article of the help center by a misspelt
Thai search, reads it, says it helped, and switches to its English version.

One ASGI server process, Debian's chromium through Playwright, the seeded articles
(kb/fixtures/articles.json); the shared fixtures of tests/e2e/conftest.py."""

from __future__ import annotations

import re

import pytest

from kb.models import Article
from kb.seed import seed_articles

pytestmark = pytest.mark.e2e

PHONE = {"viewport": {"width": 375, "height": 740}, "is_mobile": True, "has_touch": True}


def _no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_a_customer_on_a_phone_searches_reads_and_votes(new_context, asgi_server):
    seed_articles()
    context = new_context(locale="th-TH", **PHONE)
    page = context.new_page()

    page.goto("/help/")
    assert page.locator("h1").inner_text() and _no_sideways_scroll(page)
    page.fill("input[name=q]", "รหัสผาน")  # misspelt: รหัสผ่าน
    page.press("input[name=q]", "Enter")
    first = page.locator(".kb-result").first
    assert first.locator(".kb-result-title").inner_text() == "ลืมรหัสผ่าน ตั้งรหัสผ่านใหม่"
    assert first.locator(".kb-snippet mark").count() >= 1
    assert _no_sideways_scroll(page)

    first.locator(".kb-result-title").click()
    # The result link carries its search (?sq=...), which the reader's vote then counts for.
    page.wait_for_url(re.compile(r".*/help/articles/reset-password-th/(\?.*)?$"))
    assert _no_sideways_scroll(page)  # the article's table scrolls inside itself, not the page
    page.click("button[name=helpful][value=yes]")
    page.locator(".kb-feedback-status").filter(has_text="Thank").or_(
        page.locator(".kb-feedback-status").filter(has_text="ขอบคุณ")
    ).wait_for()
    assert Article.objects.get(slug="reset-password-th").helpful_yes == 1
    assert Article.objects.get(slug="reset-password-th").view_count == 1

    page.click("a[hreflang=en]")
    page.wait_for_url("**/help/articles/reset-password-en/")
    assert page.locator("h1").inner_text() == "Forgot your password? Reset it"
    # "Still need help? Contact us" leads to the portal's request form.
    page.locator(".kb-contact a").click()
    page.wait_for_url("**/portal/requests/new/")
