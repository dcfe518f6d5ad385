"""The public help center under /help/: what a reader sees, in Thai and English."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client

from kb.models import Article, ArticleFeedback, DeflectionEvent
from kb.services import article_create


@pytest.fixture
def thai_client():
    return Client(HTTP_ACCEPT_LANGUAGE="th")


def test_home_lists_categories_and_links_to_contact(kb, client):
    page = client.get("/help/").content.decode()
    assert "Orders &amp; shipping" in page and 'href="/help/orders-shipping/"' in page
    # Six topics, each in Thai and English (one in English only): translations count once.
    orders_card = page.split('href="/help/orders-shipping/"', 1)[1].split("</a>", 1)[0]
    assert "6 articles" in orders_card
    assert 'href="/portal/requests/new/"' in page
    assert "Still need help?" in page


def test_category_page_shows_the_readers_language_and_not_internal_articles(kb, thai_client):
    page = thai_client.get("/help/payments-billing/").content.decode()
    assert "ชำระเงินด้วยพร้อมเพย์ (QR)" in page and "Pay with PromptPay QR" not in page
    assert "ชำระเงินที่เคาน์เตอร์เซเว่นอีเลฟเว่น" in page  # Thai only
    assert "สำหรับเจ้าหน้าที่" not in page  # internal
    assert Client().get("/help/no-such-category/").status_code == 404


def test_article_page_renders_sanitized_markdown_with_translations_and_related(kb, client):
    response = client.get("/help/articles/reset-password-en/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "<strong>Forgot password</strong>" in page
    assert 'href="/help/articles/reset-password-th/"' in page and "อ่านภาษาไทย" in page
    assert 'href="/help/articles/otp-en/"' in page  # related
    assert "Was this article helpful?" in page and "csrfmiddlewaretoken" in page


def test_script_in_markdown_never_reaches_the_page(category, client):
    article_create(title="Hostile", body="Hi <script>alert('x')</script><a href=\"javascript:evil()\">x</a>",
                   lang="en", category=category, published=True)  # fmt: skip
    page = client.get("/help/articles/hostile/").content.decode()
    body = page.split('class="kb-body">', 1)[1].split("</div>", 1)[0]
    assert "<script" not in body and "javascript:" not in body and "alert" not in body


def test_internal_and_draft_articles_are_404_for_customers_and_shown_to_agents(kb, category, client, agent):
    draft = article_create(title="Draft", body="wip", lang="en", category=category)
    assert client.get("/help/articles/agent-refund-limits-en/").status_code == 404
    assert client.get(f"/help/articles/{draft.slug}/").status_code == 404
    search_page = client.get("/help/search/", {"q": "refund approval limits"}).content.decode()
    assert "Refund approval limits for agents" not in search_page
    client.force_login(agent)
    page = client.get("/help/articles/agent-refund-limits-en/").content.decode()
    assert "Internal: agents only" in page
    assert "Article health" in page and "Tickets after reading" in page
    assert "Article health" not in Client().get("/help/articles/cod-en/").content.decode()


def test_views_count_once_per_session(kb, client):
    for _ in range(3):
        client.get("/help/articles/cod-en/")
    Client().get("/help/articles/cod-en/")
    assert Article.objects.get(slug="cod-en").view_count == 2


def test_search_page_highlights_matches_and_prefers_the_readers_language(kb, thai_client, client):
    page = thai_client.get("/help/search/", {"q": "รหัสผ่าน"}).content.decode()
    titles = re.findall(r'class="kb-result-title" href="([^"]+)"', page)
    # Each link carries the search it came from (kb.usage learns from the opens).
    assert titles[0].split("?sq=")[0] == "/help/articles/reset-password-th/" and "?sq=" in titles[0]
    assert "<mark>รหัสผ่าน</mark>" in page
    hostile = client.get("/help/search/", {"q": "<img src=x onerror=alert(1)>"}).content.decode()
    assert "<img src=x" not in hostile and "&lt;img src=x onerror=alert(1)&gt;" in hostile
    assert client.get("/help/search/", {"q": "x" * 201}).status_code == 400


def test_feedback_form_is_csrf_protected(kb):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/help/articles/cod-en/feedback/", {"helpful": "yes"})
    assert response.status_code == 403
    client.get("/help/articles/cod-en/")
    token = client.cookies["csrftoken"].value
    response = client.post("/help/articles/cod-en/feedback/", {"helpful": "yes", "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and response["Location"] == "/help/articles/cod-en/?feedback=sent#feedback"
    assert Article.objects.get(slug="cod-en").helpful_yes == 1


def test_feedback_with_comment_once_per_session(kb, client):
    url = "/help/articles/otp-en/feedback/"
    answer = client.post(url, {"helpful": "no", "comment": "Code never came"}, HTTP_ACCEPT="application/json")
    assert answer.status_code == 200 and answer.json()["message"] == "Thank you for your feedback!"
    again = client.post(url, {"helpful": "yes"}, HTTP_ACCEPT="application/json")
    assert again.status_code == 429 and "already answered" in again.json()["message"]
    assert client.post(url, {"helpful": "maybe"}, HTTP_ACCEPT="application/json").status_code == 400
    article = Article.objects.get(slug="otp-en")
    assert (article.helpful_yes, article.helpful_no) == (0, 1)
    assert ArticleFeedback.objects.get().comment == "Code never came"
    assert "Thank you for your feedback!" in client.get("/help/articles/otp-en/").content.decode()


def test_feedback_is_rate_limited_per_client(kb, monkeypatch):
    monkeypatch.setattr("kb.views.FEEDBACK_PER_HOUR", 2)
    cache.delete("kb:votes-hour:198.51.100.9")  # a shared Redis keeps it between runs
    statuses = [
        Client(REMOTE_ADDR="198.51.100.9")
        .post(f"/help/articles/{slug}/feedback/", {"helpful": "yes"}, HTTP_ACCEPT="application/json")
        .status_code
        for slug in ("cod-en", "otp-en", "warranty-en")
    ]
    assert statuses == [200, 200, 429]


def test_opening_a_suggestion_records_a_deflection_view(kb, client):
    client.get("/help/articles/track-order-en/", {"suggested": "1", "q": "where is my parcel"})
    event = DeflectionEvent.objects.get()
    assert (event.article.slug, event.query, event.outcome) == ("track-order-en", "where is my parcel", "viewed")
    assert event.session_key == client.session.session_key


def test_admin_saves_articles_through_the_service(category, roles, client):
    from django.contrib.auth import get_user_model

    admin_user = get_user_model().objects.create_superuser("kbadmin", "kbadmin@example.com", "pw-kbadmin")
    client.force_login(admin_user)
    response = client.post(
        "/admin/kb/article/add/",
        {"title": "Loyalty points", "slug": "", "lang": "en", "category": category.pk, "section": "",
         "body": "Points **expire** after a year.<script>x()</script>", "published": "on", "tag_names": "points, loyalty"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    article = Article.objects.get(title="Loyalty points")
    assert article.body_html == "<p>Points <strong>expire</strong> after a year.</p>"
    assert sorted(article.tags.values_list("name", flat=True)) == ["loyalty", "points"]
    assert article.author == admin_user
    from kb.selectors import article_search

    assert [hit.article for hit in article_search(query="loyalty")] == [article]
    assert client.get("/admin/kb/article/").status_code == 200
