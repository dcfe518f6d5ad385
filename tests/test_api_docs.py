import pytest

pytestmark = pytest.mark.django_db


def test_api_docs_load_swagger_ui_from_our_own_static_files(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn" not in html.lower()


def test_openapi_schema_describes_the_contract(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ["/api/v1/customers/", "/api/v1/customers/{id}/timeline/", "/api/v1/tickets/", "/api/v1/tickets/{id}/messages/"]:
        assert path in paths


def _schema(client) -> dict:
    return client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()


def test_fields_that_come_back_null_are_declared_nullable(client, agent_client):
    from tests.factories import deliver

    schemas = _schema(client)["components"]["schemas"]
    assert schemas["Message"]["properties"]["author"]["nullable"] is True
    assert schemas["Ticket"]["properties"]["team"]["nullable"] is True
    assert schemas["Ticket"]["properties"]["assignee"]["nullable"] is True
    ticket = deliver("email", "n@example.com", "hello").ticket
    assert agent_client.get(f"/api/v1/tickets/{ticket.pk}/").json()["team"] is None
    message = agent_client.get(f"/api/v1/tickets/{ticket.pk}/messages/").json()["results"][0]
    assert message["author"] is None


def test_a_thai_article_slug_keeps_its_vowel_marks_and_fits_the_declared_pattern(client, agent_client):
    import re

    from kb.models import Category

    Category.objects.get_or_create(slug="returns", defaults={"name_en": "Returns", "name_th": "การคืนสินค้า"})
    created = agent_client.post(
        "/api/v1/kb/articles/",
        {"title": "วิธีคืนสินค้า", "body": "ส่งกลับภายใน 7 วัน", "lang": "th", "category": "returns", "published": True},
        format="json",
    )
    assert created.status_code == 201, created.content
    slug = created.json()["slug"]
    assert slug == "th-วิธีคืนสินค้า"
    pattern = _schema(client)["components"]["schemas"]["Article"]["properties"]["slug"]["pattern"]
    assert re.fullmatch(pattern.encode().decode("unicode_escape"), slug)
    assert client.get(f"/help/articles/{slug}/").status_code == 200
    refused = agent_client.post(
        "/api/v1/kb/articles/",
        {"title": "x", "slug": "a b/c", "body": "", "lang": "th", "category": "returns"},
        format="json",
    )
    assert refused.status_code == 400 and "slug" in refused.json()["errors"]


def test_every_operation_documents_its_error_answers(client):
    for path, operations in _schema(client)["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert {"429", "503"} <= codes, (method, path)
            if operation.get("security") and {} not in operation["security"]:
                assert {"401", "403"} <= codes, (method, path)
            if method in ("post", "put", "patch"):
                assert "400" in codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)
