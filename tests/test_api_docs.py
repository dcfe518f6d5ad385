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
