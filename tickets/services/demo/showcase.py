"""The demo's showcase: a handful of contacts sent through the real pipeline
(`tickets.services.ingest.ingest`) and the reply service, so they look exactly
like real traffic."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from tickets.inbound import InboundAttachment, InboundMessage
from tickets.models import Channel, ContactIdentity, Customer, IdentityClaim, Ticket
from tickets.services.claims import claim_confirm
from tickets.services.demo.files import pdf_bytes
from tickets.services.demo.people import PORTAL_EMAIL
from tickets.services.ingest import ingest
from tickets.services.replies import reply_create

User = get_user_model()


def showcase_seed(*, users: dict) -> int:
    """One person on four channels, an email thread and a reply awaiting approval,
    all through the pipeline and the reply service. Fixed provider ids make a
    second run a no-op: the pipeline acknowledges them as duplicates."""
    contacts = [
        InboundMessage(
            channel=Channel.EMAIL, external_id="<showcase-somchai-1@mail.example.com>",
            sender="Somchai Jaidee <Somchai@Example.com>", sender_name="สมชาย ใจดี", language="th",
            subject="สอบถามสถานะคำสั่งซื้อ #A10423",
            text="สวัสดีครับ\n\nสั่งหูฟังไปเมื่อวันจันทร์ คำสั่งซื้อ #A10423 ยังไม่ได้รับเลยครับ แนบใบเสร็จมาให้แล้ว\n\nสมชาย",
            attachments=[InboundAttachment(filename="receipt-A10423.pdf", content_type="application/pdf",
                                           content=pdf_bytes("Receipt A10423 - 1,290.00 THB"))],
        ),
        InboundMessage(
            channel=Channel.CHAT, external_id="6f1d3c52-5b0e-4a7e-9a57-showcase0001", sender="chat:showcase-somchai",
            sender_name="สมชาย", sender_extra_addresses=["somchai@example.com", "081 234 5678"], language="th",
            text="ขอเช็กคำสั่งซื้อ #A10423 อีกทีครับ ส่งอีเมลไปแล้วแต่ยังไม่มีใครตอบ",
        ),
        InboundMessage(
            channel=Channel.WHATSAPP, external_id="SMshowcase000000000000000000000001",
            sender="whatsapp:+66812345678", sender_name="Somchai", language="th",
            text="ทักมาทาง WhatsApp นะครับ ถ้าสะดวกตอบทางนี้ได้เลย",
        ),
        InboundMessage(
            channel=Channel.SMS, external_id="SMshowcase000000000000000000000002", sender="+66 81 234 5678",
            text="ได้รับ SMS แจ้งว่าพัสดุตีกลับ หมายความว่าอย่างไรครับ",
        ),
        InboundMessage(
            channel=Channel.EMAIL, external_id="<showcase-emily-1@mail.example.com>",
            sender="Emily Carter <Emily.Carter@Example.com>", sender_name="Emily Carter", language="en",
            subject="Charged twice for order #A20871",
            text="Hello,\n\nMy card was charged 2,450 THB twice for order #A20871. Could you refund one?\n\nThanks,\nEmily",
        ),
        InboundMessage(
            channel=Channel.EMAIL, external_id="<showcase-emily-2@mail.example.com>",
            sender="emily.carter@example.com", sender_name="Emily Carter", language="en",
            subject="Re: Charged twice for order #A20871", in_reply_to="<showcase-emily-1@mail.example.com>",
            text="Adding the bank statement line: 'MERCHANT 2,450.00' appears on the 3rd and the 4th.",
        ),
        # The same Emily from her phone: a second customer, for the merge demo.
        InboundMessage(
            channel=Channel.SMS, external_id="SMshowcase000000000000000000000003", sender="089 555 0101",
            text="Hi, this is Emily Carter, did you get my email about the double charge?",
        ),
    ]  # fmt: skip
    stored = 0
    for contact in contacts:
        result = ingest(contact)
        stored += result.message is not None
        if result.message is not None and contact.channel == Channel.CHAT:
            # An agent checked the chat visitor's pre-chat email and phone: Somchai himself.
            for claim in IdentityClaim.objects.filter(customer_id=result.message.customer_id, verified_at__isnull=True):
                claim_confirm(claim_id=claim.pk, method=IdentityClaim.Method.AGENT, user=users["agent"])
    if stored:
        email_ticket = Ticket.objects.filter(messages__external_id="<showcase-somchai-1@mail.example.com>").first()
        if email_ticket is not None:
            reply_create(
                ticket=email_ticket, author=users["supervisor"], is_note=True, channel=Channel.EMAIL,
                text="ลูกค้าติดต่อมาทั้งอีเมล แชท WhatsApp และ SMS เรื่องเดียวกัน ตอบทางอีเมลทีเดียวพอ",
            )  # fmt: skip
            # A reply of the agent in training waits for a supervisor's approval.
            reply_create(
                ticket=email_ticket, author=users["trainee"], channel=Channel.EMAIL,
                text="สวัสดีค่ะ คุณสมชาย\n\nคำสั่งซื้อ #A10423 ออกจากคลังแล้วค่ะ เลขพัสดุ TH4821937710 "
                "คาดว่าจะได้รับภายในพรุ่งนี้ค่ะ\n\nขอบคุณค่ะ\nณัฐ\nทีมดูแลลูกค้า",
            )  # fmt: skip
    portal_user_ensure()
    return stored


def portal_user_ensure() -> None:
    """Somchai signs in to the portal without a password."""
    identity = (
        ContactIdentity.objects.select_related("customer")
        .filter(kind=ContactIdentity.Kind.EMAIL, address=PORTAL_EMAIL)
        .first()
    )
    if identity is None or identity.customer.user_id is not None:
        return
    user, created = User.objects.get_or_create(
        username=PORTAL_EMAIL, defaults={"email": PORTAL_EMAIL, "first_name": "สมชาย", "last_name": "ใจดี"}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    Customer.objects.filter(pk=identity.customer_id, user__isnull=True).update(user=user)
