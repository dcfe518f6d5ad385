"""The portal's LINE link page: a signed-in customer gets one code at a time, sends it
from LINE, and the page then shows the linked account. Visitors are sent to sign in."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from kb.portal.services import portal_user_ensure
from tests.channels_app.line.line_posts import USER, batch, post_line, text_event
from tests.factories import deliver
from tickets.models import ContactIdentity

pytestmark = pytest.mark.django_db


def test_a_signed_in_customer_links_line_with_the_code_the_portal_shows(fake_line, django_capture_on_commit_callbacks):
    customer = deliver("email", "ploy@example.com", "hello", subject="order").message.customer
    fake_line.add_profile(USER, "Ploy")
    browser = Client(HTTP_ACCEPT_LANGUAGE="th")
    browser.force_login(portal_user_ensure(customer=customer))

    assert "รับรหัส" in browser.get("/portal/line/").content.decode()
    browser.post("/portal/line/")
    browser.post("/portal/line/")  # asking again keeps the same code
    page = browser.get("/portal/line/").content.decode()
    code = re.search(r"LINK-([A-Z0-9]{8})", page).group(0)
    assert page.count("LINK-") == 1

    with django_capture_on_commit_callbacks(execute=True):
        post_line(Client(), batch(text_event(code)))

    identity = ContactIdentity.objects.get(kind="line", address=USER)
    assert identity.customer_id == customer.pk and identity.verified
    assert "Ploy" in browser.get("/portal/line/").content.decode()


def test_visitors_are_sent_to_sign_in():
    response = Client().get("/portal/line/")
    assert response.status_code == 302 and "/portal/signin/" in response["Location"]
