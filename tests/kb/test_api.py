"""The knowledge-base API: agents manage articles; everyone searches and gets
suggestions, never internal articles; bad input is a 400 with a message."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from kb.models import Article
from kb.services import article_create
from tests.factories import deliver, make_user
from tickets.models import Role
from tickets.services.replies import reply_create


@pytest.fixture
def customer_client(db):
    user = make_user("customer1")
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_agents_create_read_update_and_delete_articles(agent_client, category):
    created = agent_client.post(
        "/api/v1/kb/articles/",
        {
            "title": "Pay with PromptPay",
            "body": "Scan the **QR code**.<script>alert(1)</script>",
            "lang": "en",
            "category": "general",
            "published": True,
            "tags": ["promptpay", "payment"],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["body_html"] == "<p>Scan the <strong>QR code</strong>.</p>"
    assert sorted(data["tags"]) == ["payment", "promptpay"] and data["url"] == "/help/articles/pay-with-promptpay/"

    thai = agent_client.post(
        "/api/v1/kb/articles/",
        {"title": "ชำระด้วยพร้อมเพย์", "body": "สแกนคิวอาร์โค้ด", "lang": "th", "category": "general",
         "translation_of": data["id"], "published": True},
        format="json",
    )  # fmt: skip
    assert thai.status_code == 201 and thai.json()["translation_group"] == data["translation_group"]

    patched = agent_client.patch(f"/api/v1/kb/articles/{data['id']}/", {"internal": True}, format="json")
    assert patched.status_code == 200 and patched.json()["internal"] is True
    assert agent_client.get(f"/api/v1/kb/articles/{data['id']}/").json()["title"] == "Pay with PromptPay"
    assert agent_client.delete(f"/api/v1/kb/articles/{data['id']}/").status_code == 204
    assert not Article.objects.filter(pk=data["id"]).exists()
    assert agent_client.get("/api/v1/kb/search/", {"q": "พร้อมเพย์"}).json()["results"][0]["lang"] == "th"


@pytest.mark.parametrize(
    "payload, message",
    [
        ({"body": "x", "lang": "en", "category": "general"}, "title: This field is required."),
        ({"title": "x", "lang": "fr", "category": "general"}, 'lang: "fr" is not a valid choice.'),
        ({"title": "x", "lang": "en", "category": "nope"}, "category: Object with slug=nope does not exist."),
        ({"title": "x", "lang": "en", "category": "general", "tags": "refund"}, "tags: Expected a list of items"),
    ],
)
def test_bad_articles_are_400_with_a_message(agent_client, category, payload, message):
    response = agent_client.post("/api/v1/kb/articles/", payload, format="json")
    assert response.status_code == 400
    assert message in response.json()["detail"]


def test_a_second_version_in_the_same_language_is_refused(agent_client, category):
    first = article_create(title="Hours", body="", lang="en", category=category)
    response = agent_client.post(
        "/api/v1/kb/articles/",
        {"title": "Hours 2", "lang": "en", "category": "general", "translation_of": first.pk},
        format="json",
    )
    assert response.status_code == 400 and "already has a English version" in response.json()["detail"]


def test_customers_and_strangers_cannot_manage_articles(anon_client, customer_client, category):
    for client in (anon_client, customer_client):
        assert client.get("/api/v1/kb/articles/").status_code in (401, 403)
        assert client.post("/api/v1/kb/articles/", {"title": "x"}).status_code in (401, 403)


def test_the_article_list_runs_a_constant_number_of_queries(agent_client, category, django_assert_num_queries):
    def add(n: int) -> None:
        for i in range(n):
            article = article_create(title=f"Article {i}", body="text", lang="en", category=category, tags=["a", "b"])
            article.related.add(*Article.objects.exclude(pk=article.pk)[:2])

    add(3)
    # token with the agent's roles + count + page + tags prefetch + related prefetch
    with django_assert_num_queries(5):
        assert agent_client.get("/api/v1/kb/articles/").json()["count"] == 3
    add(12)
    with django_assert_num_queries(5):
        body = agent_client.get("/api/v1/kb/articles/").json()
    assert body["count"] == 15 and {"view_count", "helpful_ratio", "tickets_after_reading"} <= set(body["results"][0])


def test_search_api_is_open_and_hides_internal_articles(anon_client, customer_client, agent_client, category):
    article_create(title="Refund limits for agents", body="Up to 3000 baht.", lang="en", category=category,
                   published=True, internal=True)  # fmt: skip
    public = article_create(
        title="Refund times", body="Refunds take 3 days.", lang="en", category=category, published=True
    )
    for client in (anon_client, customer_client):
        body = client.get("/api/v1/kb/search/", {"q": "refund limits", "lang": "en"}).json()
        assert [r["id"] for r in body["results"]] == [public.pk]
        result = body["results"][0]
        assert {"id", "title", "lang", "snippet", "url"} <= set(result)
        # The link carries the search, so that opening it counts for the ranking (kb.usage).
        assert result["url"] == f"/help/articles/refund-times/?sq={body['search_id']}"
        assert "<mark>Refund</mark>" in result["snippet"]
    agent_results = agent_client.get("/api/v1/kb/search/", {"q": "refund limits"}).json()["results"]
    assert agent_results[0]["title"] == "Refund limits for agents" and agent_results[0]["internal"] is True


def test_search_api_lang_is_a_preference(anon_client, category):
    article_create(
        title="Do you ship overseas?", body="We ship to Singapore.", lang="en", category=category, published=True
    )
    body = anon_client.get("/api/v1/kb/search/", {"q": "Singapore", "lang": "th"}).json()
    assert body["count"] == 1 and body["results"][0]["lang"] == "en"


@pytest.mark.parametrize(
    "params, message",
    [
        ({}, "q: This field is required."),
        ({"q": ""}, "q: This field may not be blank."),
        ({"q": "x" * 201}, "q: Ensure this field has no more than 200 characters."),
        ({"q": "refund", "lang": "de"}, 'lang: "de" is not a valid choice.'),
        ({"q": "refund", "limit": "0"}, "limit: Ensure this value is greater than or equal to 1."),
    ],
)
def test_search_api_validation_is_a_400_with_a_message(anon_client, db, params, message):
    response = anon_client.get("/api/v1/kb/search/", params)
    assert response.status_code == 400
    assert response.json()["detail"] == message


def test_search_api_runs_a_constant_number_of_queries(anon_client, category, django_assert_max_num_queries):
    for i in range(12):
        article_create(
            title=f"Refund case {i}", body="Refunds take 3 days.", lang="en", category=category, published=True
        )
    anon_client.get("/api/v1/kb/search/", {"q": "refund"})
    with django_assert_max_num_queries(4):
        assert anon_client.get("/api/v1/kb/search/", {"q": "refund", "limit": 20}).json()["count"] == 12


def test_suggest_api_is_short_and_records_the_deflection_view(anon_client, category, settings):
    article = article_create(title="Track your parcel", body="Use the tracking number.", lang="en", category=category,
                             published=True)  # fmt: skip
    results = anon_client.get("/api/v1/kb/suggest/", {"q": "where is my parcel", "lang": "en"}).json()["results"]
    assert results[0]["id"] == article.pk
    assert results[0]["url"].startswith("/help/articles/track-your-parcel/?suggested=1&q=")
    assert anon_client.get("/api/v1/kb/suggest/", {"q": "x" * 301}).status_code == 400


def test_suggest_api_is_rate_limited(category, settings):
    settings.KB_SUGGEST_RATE = "2/min"
    cache.delete("throttle_kb_suggest_203.0.113.77")  # a shared Redis keeps it between runs
    client = APIClient(REMOTE_ADDR="203.0.113.77")
    assert client.get("/api/v1/kb/suggest/", {"q": "parcel"}).status_code == 200
    assert client.get("/api/v1/kb/suggest/", {"q": "parcel"}).status_code == 200
    response = client.get("/api/v1/kb/suggest/", {"q": "parcel"})
    assert response.status_code == 429 and "throttled" in response.json()["detail"]


def test_agents_turn_an_answer_into_a_draft(agent_client, agent, category, anon_client):
    ticket = deliver("email", "malee@example.com", "My COD parcel?", subject="COD fee").ticket
    reply = reply_create(ticket=ticket, author=agent, text="Cash on delivery costs **20 baht**.")
    response = agent_client.post("/api/v1/kb/articles/from-message/", {"message": reply.pk}, format="json")
    assert response.status_code == 201
    data = response.json()
    assert (data["title"], data["published"], data["body"]) == ("COD fee", False, "Cash on delivery costs **20 baht**.")
    assert agent_client.post("/api/v1/kb/articles/from-message/", {"message": 999999}, format="json").status_code == 400
    assert anon_client.post("/api/v1/kb/articles/from-message/", {"message": reply.pk}).status_code in (401, 403)
    # A draft is not searchable.
    assert anon_client.get("/api/v1/kb/search/", {"q": "COD fee"}).json()["count"] == 0


def test_supervisors_read_the_deflection_rate(roles, anon_client):
    supervisor = make_user("sup", roles=[Role.SUPERVISOR])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=supervisor).key}")
    body = client.get("/api/v1/kb/deflection/", {"from": "2026-03-01", "to": "2026-03-31"}).json()
    assert body == {
        "from": "2026-03-01",
        "to": "2026-03-31",
        "deflected": 0,
        "submitted": 0,
        "pending": 0,
        "rate": None,
    }
    bad = client.get("/api/v1/kb/deflection/", {"from": "2026-03-31", "to": "2026-03-01"})
    assert bad.status_code == 400 and "'from' must not be after 'to'" in bad.json()["detail"]
    assert anon_client.get("/api/v1/kb/deflection/", {"from": "2026-03-01", "to": "2026-03-31"}).status_code in (
        401,
        403,
    )
