"""The 403, 404 and 500 pages are the helpdesk's own, in the reader's language, and
the 500 page needs neither the database nor a request context. Every page has a favicon."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.utils import translation
from django.views.defaults import server_error

from tests.factories import make_user


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "heading"), [("en", "We could not find that page"), ("th", "ไม่พบหน้าที่คุณต้องการ")]
)
def test_a_missing_page_is_branded_and_translated(language, heading):
    response = Client(HTTP_ACCEPT_LANGUAGE=language).get("/help/no-such-page-at-all/x/")

    assert response.status_code == 404
    page = response.content.decode()
    assert heading in page
    assert 'data-testid="error-page"' in page and 'href="/help/"' in page
    assert "favicon.svg" in page


@pytest.mark.django_db
def test_a_page_for_another_role_is_a_branded_403(roles):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_user("customer-like"))

    response = client.get("/console/")

    assert response.status_code == 403
    assert "You cannot open this page" in response.content.decode()


def test_the_500_page_needs_no_database_and_no_context():
    # No django_db mark: any query would fail the test.
    request = RequestFactory().get("/")
    with translation.override("th"):
        response = server_error(request)

    assert response.status_code == 500
    page = response.content.decode()
    assert "เกิดข้อผิดพลาด" in page and 'lang="th"' in page


@pytest.mark.django_db
def test_the_favicon_is_linked_and_served():
    assert Client().get("/favicon.ico").headers["Location"].endswith("favicon.ico")
    page = Client().get("/help/").content.decode()
    assert 'rel="icon" href="/static/favicon.svg"' in page


@pytest.mark.django_db
def test_a_stale_form_gets_the_branded_csrf_page():
    response = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="th").post("/portal/signin/", {"address": "x"})

    assert response.status_code == 403
    page = response.content.decode()
    assert 'data-testid="error-page"' in page and "แบบฟอร์มนี้หมดอายุแล้ว" in page
