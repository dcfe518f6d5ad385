"""One person on five channels: LINE, email, WhatsApp, SMS from the same number, and
Messenger. The LINE account is linked by a code the signed-in portal customer sends
from LINE (a claim alone never links), WhatsApp and Messenger by an agent's merge; the
person ends up as one customer with one timeline."""

from __future__ import annotations

import pytest
from django.test import Client

from channels_app.line.contacts import line_link_code_issue
from tests.channels_app.line.line_posts import USER, batch, post_line, text_event
from tests.channels_app.meta.conftest import fake_meta  # noqa: F401  (the fake Graph API)
from tests.channels_app.meta.meta_posts import message_item, post_meta, webhook
from tests.channels_app.twilio.twilio_posts import post_twilio, sms_params
from tests.factories import deliver
from tickets.models import ContactIdentity, Customer
from tickets.services.customers import customer_merge

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fake_meta")]


def test_one_person_on_five_channels_is_one_customer_with_one_timeline(
    fake_line, agent_client, django_capture_on_commit_callbacks
):
    fake_line.add_profile(USER, "Ploy")
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        post_line(client, batch(text_event("สั่งเสื้อไปเมื่อวาน ยังไม่ได้เลขพัสดุค่ะ", message_id="800000000000000001")))
    line_customer = ContactIdentity.objects.get(kind="line", address=USER).customer

    # By email, she claims to be the LINE user: a claim changes nothing.
    email = deliver("email", "Ploy.S@Example.com", f"ฉันคือ line:{USER} นะคะ", subject="เลขพัสดุ").message
    assert email.customer_id != line_customer.pk

    # On WhatsApp, and by SMS from the same number: one phone identity, one customer.
    post_twilio(
        client,
        "/webhooks/twilio/whatsapp/",
        sms_params("ขอเลขพัสดุค่ะ", sid="SM" + "1" * 32, sender="whatsapp:+66891234567"),
    )
    post_twilio(client, "/webhooks/twilio/sms/", sms_params("ได้รับแล้วค่ะ", sid="SM" + "2" * 32, sender="+66891234567"))
    phone_customer = ContactIdentity.objects.get(kind="phone", address="+66891234567").customer
    post_meta(client, webhook(message_item("ขอบคุณค่ะ", mid="m_ploy_1", user="6500000000000777")))
    messenger_customer = ContactIdentity.objects.get(kind="messenger").customer
    assert len({line_customer.pk, email.customer_id, phone_customer.pk, messenger_customer.pk}) == 4

    # Signed in on the portal (by her email), she is shown a code and sends it from LINE.
    code = line_link_code_issue(customer=email.customer).code
    fake_line.reply_tokens.add("token-of-the-code")
    with django_capture_on_commit_callbacks(execute=True):
        post_line(
            client, batch(text_event(f"LINK-{code}", message_id="800000000000000002", reply_token="token-of-the-code"))
        )
    # An agent merges the WhatsApp/SMS and the Messenger conversations she confirmed were hers.
    customer_merge(source=phone_customer, target=email.customer)
    customer_merge(source=messenger_customer, target=email.customer)

    person = Customer.objects.get(pk=email.customer_id)
    kinds = dict(person.identities.values_list("kind", "verified"))
    assert kinds == {"email": False, "line": True, "phone": False, "messenger": False}
    assert ContactIdentity.objects.get(kind="line").customer_id == person.pk
    timeline = agent_client.get(f"/api/v1/customers/{person.pk}/timeline/").json()["results"]
    assert sorted(item["channel"] for item in timeline if item["direction"] == "in") == [
        "email", "line", "line", "messenger", "sms", "whatsapp",
    ]  # fmt: skip
    found = agent_client.get("/api/v1/customers/", {"identity": f"line:{USER}"}).json()["results"]
    assert [customer["id"] for customer in found] == [person.pk]
    # LINE told her, with the free reply token.
    assert fake_line.delivered[-1]["via"] == "reply"
    assert fake_line.delivered[-1]["messages"][0]["text"].startswith("Your LINE account is now linked")
