"""A customer reaches only their own data. Every portal URL that takes an id answers
404 for another customer's id (not 403: that would confirm it exists), and for an id
that does not exist."""

from __future__ import annotations

import uuid

import pytest
from django.core.files.base import ContentFile
from django.test import Client

from tests.factories import deliver
from tickets.inbound import InboundAttachment
from tickets.models import Attachment, InboundEvent
from tickets.services.replies import reply_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def bobs_things(bob, agent):
    ticket = bob.tickets.get()
    result = deliver(
        "sms",
        "+66812345678",
        "photo of the bill",
        attachments=[InboundAttachment(filename="bill.jpg", content_type="image/jpeg", content=b"jpg")],
    )
    note = reply_create(ticket=ticket, author=agent, text="internal", is_note=True)
    note_attachment = Attachment(message=note, filename="internal.txt", content_type="text/plain", size=1)
    note_attachment.file.save("internal.txt", ContentFile(b"x"), save=False)
    note_attachment.save()
    return {"ticket": ticket, "attachment": result.message.attachments.get(), "note_attachment": note_attachment}


def _urls(things) -> list[tuple[str, str]]:
    ticket, attachment = things["ticket"], things["attachment"]
    return [
        ("get", f"/portal/tickets/{ticket.pk}/"),
        ("post", f"/portal/tickets/{ticket.pk}/"),
        ("get", f"/portal/attachments/{attachment.pk}/"),
    ]


def test_another_customers_ids_are_404(alice_client, bobs_things):
    events_before = InboundEvent.objects.count()
    for method, url in _urls(bobs_things):
        data = {"request_uuid": str(uuid.uuid4()), "text": "let me in"} if method == "post" else None
        response = getattr(alice_client, method)(url, data)
        assert response.status_code == 404, (method, url)
    assert InboundEvent.objects.count() == events_before
    # Lists and exports never carry Bob's data either.
    statuses = alice_client.get("/portal/tickets/status.json").json()["tickets"]
    assert bobs_things["ticket"].pk not in [t["id"] for t in statuses]
    export = alice_client.get("/portal/privacy/export.json").content.decode()
    assert "photo of the bill" not in export and "+66812345678" not in export
    assert "charged twice" not in alice_client.get("/portal/tickets/").content.decode()


def test_ids_that_do_not_exist_are_404_too(alice_client):
    for url in ("/portal/tickets/999999/", "/portal/attachments/999999/"):
        assert alice_client.get(url).status_code == 404


def test_the_owner_gets_them(bob_client, bobs_things):
    assert bob_client.get(f"/portal/tickets/{bobs_things['ticket'].pk}/").status_code == 200
    assert bob_client.get(f"/portal/attachments/{bobs_things['attachment'].pk}/").status_code == 200


def test_attachments_of_internal_notes_stay_internal(bob_client, bobs_things):
    assert bob_client.get(f"/portal/attachments/{bobs_things['note_attachment'].pk}/").status_code == 404
    assert "internal.txt" not in bob_client.get(f"/portal/tickets/{bobs_things['ticket'].pk}/").content.decode()


def test_visitors_and_staff_are_sent_to_sign_in(bobs_things, agent):
    staff = Client()
    staff.force_login(agent)
    for client in (Client(), staff):
        for method, url in _urls(bobs_things) + [("get", "/portal/tickets/"), ("get", "/portal/privacy/export.json")]:
            response = getattr(client, method)(url)
            assert response.status_code == 302 and response["Location"].startswith("/portal/signin/"), url


def test_a_merged_customer_sees_the_merged_timeline(alice, bob):
    from tests.kb.portal.conftest import signed_in
    from tickets.services.customers import customer_merge

    client = signed_in(bob)
    customer_merge(source=bob, target=alice)
    page = client.get("/portal/tickets/").content.decode()
    assert "charged twice" in page and "Where is my parcel?" in page
