"""The console's search finds what agents type: words inside any message (Thai
segmented), ticket references and addresses in any spelling."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import deliver
from tickets.selectors.search import search_words
from tickets.services.customers import customer_merge

pytestmark = pytest.mark.django_db


def found(client, query: str) -> set[int]:
    response = client.get("/console/", {"view": "all", "q": query})
    assert response.status_code == 200
    return {int(pk) for pk in re.findall(r'data-testid="ticket-row" data-ticket-id="(\d+)"', response.content.decode())}


def test_words_inside_any_message_are_found(agent_browser):
    parcel = deliver("email", "malee@example.com", "Hi,\nmy parcel TH88412399 has not arrived.", subject="Where is it?").ticket
    deliver("email", "malee@example.com", "Follow-up about the bill", subject="Invoice")
    other = deliver("sms", "+66811111111", "Nothing to see").ticket
    assert found(agent_browser, "TH88412399") == {parcel.pk}
    assert found(agent_browser, "th88412399") == {parcel.pk}
    assert found(agent_browser, "parcel arrived") == {parcel.pk}  # every word, in any order
    assert found(agent_browser, "parcel invoice") == set()
    assert found(agent_browser, "nothing") == {other.pk}


def test_thai_words_are_found_inside_unspaced_thai_text(agent_browser):
    late = deliver("sms", "+66812345678", "สวัสดีค่ะ พัสดุของฉันยังไม่มาถึงเลยค่ะ เลขพัสดุ TH123").ticket
    deliver("sms", "+66899999999", "ขอใบเสร็จค่าบริการเดือนมีนาคมค่ะ")
    assert search_words("พัสดุยังไม่มา") == ["พัสดุ", "ยัง", "ไม่", "มา"]
    assert found(agent_browser, "พัสดุยังไม่มา") == {late.pk}
    assert found(agent_browser, "ยังไม่มาถึง") == {late.pk}
    assert found(agent_browser, "ใบเสร็จเดือนเมษายน") == set()


def test_references_and_every_phone_spelling_find_the_ticket(agent_browser):
    sms = deliver("sms", "+66812345678", "hello").ticket
    whatsapp = deliver("whatsapp", "whatsapp:+66812345678", "hello again").ticket
    email = deliver("email", "Malee.Jaidee@Example.com", "hi", subject="Hi").ticket
    both = {sms.pk, whatsapp.pk}
    for spelling in ["0812345678", "081-234-5678", "+66 81 234 5678", "+66812345678", "whatsapp:+66812345678", "tel:0812345678"]:
        assert found(agent_browser, spelling) == both, spelling
    assert found(agent_browser, "malee.jaidee@example.com") == {email.pk}
    assert found(agent_browser, "MALEE.JAIDEE@EXAMPLE.COM") == {email.pk}
    assert found(agent_browser, "@example.com") == {email.pk}
    for reference in [f"HD-{email.pk}", f"hd-{email.pk}", f"#{email.pk}", str(email.pk)]:
        assert email.pk in found(agent_browser, reference), reference


def test_an_address_of_a_merged_customer_finds_the_tickets_that_moved(agent_browser):
    first = deliver("email", "malee@example.com", "hi", subject="Hi").ticket
    second = deliver("sms", "+66812345678", "hello").ticket
    customer_merge(source=second.customer, target=first.customer)
    assert found(agent_browser, "0812345678") == {first.pk, second.pk}


def test_odd_queries_are_just_searches(agent_browser):
    deliver("sms", "+66812345678", "hello")
    for query in ["%", "_", "\\", "'; drop table x; --", "whatsapp:", "@", "+", "ก" * 200, "HD-99999999999999999999"]:
        assert agent_browser.get("/console/", {"view": "all", "q": query}).status_code == 200, query


def test_a_search_costs_the_same_with_more_results(agent_browser):
    for n in range(2):
        deliver("sms", f"+6681000000{n}", f"parcel TH{n}")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            agent_browser.get("/console/", {"view": "all", "q": "parcel"})
        return len(queries)

    count()  # the first page fills the cached staff and teams
    before = count()
    for n in range(2, 8):
        deliver("sms", f"+6681000000{n}", f"parcel TH{n}")
    assert len(found(agent_browser, "parcel")) == 8
    assert count() == before
