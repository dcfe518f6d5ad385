import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import deliver, make_user
from tickets.models import CannedResponse, ContactIdentity, Customer, Macro, Message, Notification, Role, Ticket
from tickets.services.delivery import delivery_record
from tickets.services.replies import reply_create

pytestmark = pytest.mark.django_db


def text_of(response) -> str:
    """The page as a reader sees it: tags dropped, entities decoded, spaces squeezed."""
    assert response.status_code == 200
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def timeline_ids(response) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-testid="message" data-message-id="(\d+)"', response.content.decode())]


def test_the_timeline_shows_every_channel_of_the_customer_oldest_first(agent_browser):
    first = deliver("sms", "+66812345678", "SMS first").message
    second = deliver("whatsapp", "whatsapp:+66812345678", "WhatsApp second").message
    response = agent_browser.get(f"/console/tickets/{second.ticket_id}/")
    assert timeline_ids(response) == [first.pk, second.pk]
    page = response.content.decode()
    assert 'data-testid="timeline"' in page
    assert "cn-ch-sms" in page and "cn-ch-whatsapp" in page
    # The SMS belongs to another ticket of the same customer: it links there.
    assert f'href="/console/tickets/{first.ticket_id}/"' in page


def test_the_reply_box_defaults_to_this_tickets_channel_and_disables_unreachable_ones(agent_browser):
    ticket = deliver("sms", "+66812345678", "on sms").ticket
    deliver("whatsapp", "whatsapp:+66812345678", "now on whatsapp")
    page = agent_browser.get(f"/console/tickets/{ticket.pk}/").content.decode()
    assert re.search(r'<option value="sms" selected>', page)
    assert re.search(r'<option value="whatsapp">', page)
    # No email address: offered, but disabled with the reason in the option itself.
    email = re.search(r'<option value="email"[^>]*>([^<]*)</option>', page)
    assert " disabled " in email.group(0) and "No email address for this customer" in html.unescape(email.group(1))
    for testid in ["reply-text", "reply-send", "reply-channel"]:
        assert f'data-testid="{testid}"' in page


def test_a_reply_from_the_console_form_is_a_message_on_the_chosen_channel(agent_browser, agent):
    ticket = deliver("sms", "+66812345678", "hello?").ticket
    response = agent_browser.post(
        f"/console/tickets/{ticket.pk}/reply/", {"kind": "reply", "channel": "whatsapp", "text": "  Hi there  "}
    )
    assert response.status_code == 302 and response["Location"] == f"/console/tickets/{ticket.pk}/"
    reply = Message.objects.get(ticket=ticket, direction="out")
    assert (reply.channel, reply.text, reply.author, reply.delivery_status) == ("whatsapp", "Hi there", agent, "queued")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN and ticket.agent_reply_count == 1
    page = agent_browser.get(f"/console/tickets/{ticket.pk}/")
    assert reply.pk in timeline_ids(page)
    assert "Hi there" in text_of(page)


def test_an_empty_reply_or_unknown_channel_is_refused_with_a_message(agent_browser):
    ticket = deliver("sms", "+66812345678", "hello?").ticket
    response = agent_browser.post(f"/console/tickets/{ticket.pk}/reply/", {"kind": "reply", "text": "   "}, follow=True)
    assert "Write a message or attach a file." in text_of(response)
    response = agent_browser.post(
        f"/console/tickets/{ticket.pk}/reply/", {"kind": "reply", "channel": "fax", "text": "x"}, follow=True
    )
    assert "Select a valid choice" in text_of(response)
    assert not Message.objects.filter(direction="out").exists()
    assert agent_browser.post("/console/tickets/999999/reply/", {"kind": "reply", "text": "x"}).status_code == 404


def test_a_note_with_mentions_notifies_the_mentioned_agents_only(agent_browser, agent, roles):
    ticket = deliver("sms", "+66812345678", "hello?").ticket
    colleague = make_user("somchai.k", roles=[Role.AGENT])
    make_user("outsider")  # not an agent: a mention of them is just text
    agent_browser.post(
        f"/console/tickets/{ticket.pk}/reply/",
        {"kind": "note", "text": "@somchai.k can you check? cc @outsider @agent1 email@example.com"},
    )
    note = Message.objects.get(ticket=ticket, direction="note")
    assert note.delivery_status == ""
    notification = Notification.objects.get()
    assert notification.user == colleague and notification.kind == "mention" and notification.ticket == ticket
    assert "agent1 mentioned you on" in notification.text
    # The bell of the mentioned agent shows it.
    colleague_browser = type(agent_browser)()
    colleague_browser.force_login(colleague)
    page = colleague_browser.get("/console/")
    assert 'data-testid="notification-count">1<' in page.content.decode()
    assert "can you check?" in text_of(page)


def test_canned_responses_fill_placeholders_as_plain_text(agent_browser, agent):
    agent.first_name, agent.last_name = "Ploy", "S."
    agent.save()
    ticket = deliver("sms", "+66812345678", "hello?", sender_name="{{ agent.name }} {% debug %}").ticket
    canned = CannedResponse.objects.create(
        title="Greeting",
        body="Hello {{customer.name}}, this is {{ agent.name }} about {{ticket.reference}}. {{ unknown.thing }} {% now 'Y' %}",
    )
    response = agent_browser.get(f"/console/tickets/{ticket.pk}/canned/{canned.pk}/")
    assert response.status_code == 200
    assert response.json()["text"] == (
        f"Hello {{{{ agent.name }}}} {{% debug %}}, this is Ploy S. about HD-{ticket.pk}. {{{{ unknown.thing }}}} {{% now 'Y' %}}"
    )
    # Another agent's private response is not theirs to use.
    private = CannedResponse.objects.create(title="Mine", body="x", owner=make_user("agent9", roles=[Role.AGENT]))
    assert agent_browser.get(f"/console/tickets/{ticket.pk}/canned/{private.pk}/").status_code == 404


def test_a_macro_replies_and_sets_status_priority_and_tags(agent_browser, agent):
    ticket = deliver("sms", "+66812345678", "where is my parcel", sender_name="Anan").ticket
    macro = Macro.objects.create(
        name="Shipping delay",
        reply_body="Sorry {{customer.name}}, your parcel is late ({{ticket.reference}}).",
        set_status=Ticket.Status.PENDING,
        set_priority=Ticket.Priority.HIGH,
        add_tags=["shipping", "delay"],
    )
    response = agent_browser.post(f"/console/tickets/{ticket.pk}/macro/", {"macro": macro.pk})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.PENDING and ticket.priority == Ticket.Priority.HIGH
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["delay", "shipping"]
    reply = Message.objects.get(ticket=ticket, direction="out")
    assert reply.text == f"Sorry Anan, your parcel is late (HD-{ticket.pk})."


def test_ticket_update_assigns_changes_status_and_tags(agent_browser, agent):
    ticket = deliver("sms", "+66812345678", "hello?").ticket
    agent_browser.post(f"/console/tickets/{ticket.pk}/update/", {"assign_to_me": "on"})
    agent_browser.post(f"/console/tickets/{ticket.pk}/update/", {"status": "pending", "priority": "4", "tags": "a, b"})
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.status, ticket.priority) == (agent, "pending", 4)
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["a", "b"]
    response = agent_browser.post(f"/console/tickets/{ticket.pk}/update/", {"status": "new"}, follow=True)
    assert "cannot become new" in text_of(response)
    # The properties form with its assignee left empty unassigns.
    agent_browser.post(f"/console/tickets/{ticket.pk}/update/", {"status": "pending", "priority": "4", "assignee": ""})
    assert Ticket.objects.get(pk=ticket.pk).assignee is None


def test_delivery_failures_show_the_code_and_reason(agent_browser, agent):
    ticket = deliver("sms", "+66812345678", "hello?").ticket
    known = reply_create(ticket=ticket, author=agent, text="Our answer", channel="sms")
    delivery_record(message=known, status="failed", error="30008 - Unknown error", error_code="30008")
    unknown = reply_create(ticket=ticket, author=agent, text="Our second answer", channel="sms")
    delivery_record(message=unknown, status="failed", error="Twilio refused the message: odd", error_code="99999")
    response = agent_browser.get(f"/console/tickets/{ticket.pk}/")
    page = text_of(response)
    # A known code is explained; the provider's own text stays in the tooltip.
    assert "Failed — The carrier could not deliver the message, for an unknown reason. Try again later. (30008)" in page
    assert 'title="30008 - Unknown error"' in response.content.decode()
    # An unknown code shows what the provider said.
    assert "Failed — Twilio refused the message: odd (99999)" in page


def test_the_whatsapp_window_shows_in_the_reply_box(agent_browser):
    message = deliver("whatsapp", "whatsapp:+66812345678", "hi").message
    page = agent_browser.get(f"/console/tickets/{message.ticket_id}/")
    assert "WhatsApp 24-hour window open" in text_of(page)
    Message.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(hours=25))
    page = agent_browser.get(f"/console/tickets/{message.ticket_id}/")
    assert "WhatsApp 24-hour window closed" in text_of(page)
    sms_only = deliver("sms", "+66899999999", "hi").ticket
    assert 'data-testid="whatsapp-window"' not in agent_browser.get(f"/console/tickets/{sms_only.pk}/").content.decode()


# The user with their roles and profile (the session is in Redis); the ticket with its
# tags, the customer's identities, the WhatsApp window, the live chat session, the
# mood, the reply channel, past tickets, activities, surveys, claims, the agent's
# canned responses, the assignees and the macros, in one; messages with their
# attachments; notifications with the unread count, in one.
TICKET_PAGE_QUERIES = 4


def test_the_ticket_page_costs_the_same_queries_for_a_short_and_a_long_history(agent_browser, agent):
    ticket = deliver("sms", "+66812345678", "message 0").ticket
    for n in range(1, 5):
        deliver("sms", "+66812345678", f"message {n}")
    url = f"/console/tickets/{ticket.pk}/"
    agent_browser.get(url)  # the knowledge base caches its vocabulary on the first page
    with CaptureQueriesContext(connection) as short:
        assert len(timeline_ids(agent_browser.get(url))) == 5
    long_history_of(ticket, agent_browser, agent)
    with CaptureQueriesContext(connection) as long:
        page = agent_browser.get(url)
    assert len(short) == len(long) == TICKET_PAGE_QUERIES, [q["sql"] for q in long.captured_queries]
    latest = list(Message.objects.filter(ticket__customer=ticket.customer).order_by("-created_at", "-id")[:30])
    assert timeline_ids(page) == [m.pk for m in reversed(latest)]
    assert 'data-testid="older-messages"' in page.content.decode()
    assert 'data-testid="identity-claim"' in page.content.decode()


def long_history_of(ticket: Ticket, browser, agent) -> None:
    """Many messages on two channels, notes, attachments, tags, activities, past
    tickets, claimed addresses and notifications for the ticket's customer."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tickets.models import IdentityClaim, Tag

    make_user("somchai.k", roles=[Role.AGENT])
    for n in range(5, 200):
        deliver("whatsapp" if n % 2 else "sms", "+66812345678", f"message {n}")
    reply = f"/console/tickets/{ticket.pk}/reply/"
    for n in range(3):
        browser.post(reply, {"kind": "note", "text": f"note {n} @somchai.k @agent1"})
        receipt = SimpleUploadedFile(f"receipt-{n}.pdf", b"%PDF-1.4", content_type="application/pdf")
        browser.post(reply, {"kind": "reply", "channel": "whatsapp", "text": f"file {n}", "attachments": [receipt]})
    assert Message.objects.filter(ticket=ticket, direction="note").count() == 3
    assert Message.objects.filter(ticket=ticket, attachments__isnull=False).count() == 3
    ticket.tags.add(*(Tag.objects.create(name=f"tag-{n}") for n in range(3)))
    browser.post(f"/console/tickets/{ticket.pk}/update/", {"status": "pending", "priority": "high", "assignee": ""})
    for n in range(3):
        Ticket.objects.create(customer=ticket.customer, subject=f"Earlier {n}", channel="sms", status="closed")
    for address in ("somchai@example.com", "s.k@example.com"):
        IdentityClaim.objects.create(customer=ticket.customer, kind="email", address=address)
    for n in range(3):
        Notification.objects.create(user=agent, ticket=ticket, kind=Notification.Kind.MENTION, text=f"mention {n}")


def test_older_messages_come_page_by_page_until_the_first(agent_browser, django_assert_num_queries):
    ticket = deliver("sms", "+66812345678", "message 0").ticket
    for n in range(1, 70):
        deliver("sms", "+66812345678", f"message {n}")
    expected = list(Message.objects.filter(customer=ticket.customer).order_by("created_at", "id").values_list("pk", flat=True))
    page = agent_browser.get(f"/console/tickets/{ticket.pk}/").content.decode()
    seen = timeline_ids_of(page)
    counts = []
    while (older := re.search(r'data-testid="older-messages" data-url="([^"]+)"', page)) is not None:
        with CaptureQueriesContext(connection) as queries:
            response = agent_browser.get(html.unescape(older.group(1)))
        counts.append(len(queries))
        assert response.status_code == 200
        page = response.content.decode()
        seen = timeline_ids_of(page) + seen
    assert seen == expected
    assert len(set(counts)) == 1, counts
    assert "message 0" in page
    bad = agent_browser.get(f"/console/tickets/{ticket.pk}/timeline/", {"before": "not-a-cursor"})
    assert bad.status_code == 400
    assert agent_browser.get("/console/tickets/999999/timeline/").status_code == 404


def timeline_ids_of(page: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-testid="message" data-message-id="(\d+)"', page)]


XSS = '<script>alert("x")</script>'
IMG = "<img src=x onerror=alert(1)>"


def test_what_customers_send_renders_as_text(agent_browser):
    chat = deliver("chat", "chat:visitor-1", f"hi {XSS}", sender_name=IMG).message
    email = deliver(
        "email",
        "evil@example.com",
        "plain part",
        subject=f"Help <svg onload=alert(2)> {XSS}",
        html=f'<p>Hello <b>there</b></p>{XSS}<img src="https://example.com/a.png" onerror="alert(3)"><a href="javascript:alert(4)">x</a>',
    ).message
    Customer.objects.filter(pk=chat.customer_id).update(name=IMG)

    inbox = agent_browser.get("/console/?view=all").content.decode()
    chat_page = agent_browser.get(f"/console/tickets/{chat.ticket_id}/").content.decode()
    email_page = agent_browser.get(f"/console/tickets/{email.ticket_id}/").content.decode()
    for page in (inbox, chat_page, email_page):
        assert "<script>alert" not in page
        assert "<img src=x" not in page
        assert "<svg onload" not in page
        assert 'onerror="alert(3)"' not in page
        assert "javascript:" not in page
    assert "hi &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in chat_page
    assert "&lt;img src=x onerror=alert(1)&gt;" in chat_page
    assert "&lt;img src=x onerror=alert(1)&gt;" in inbox
    assert "Help &lt;svg onload=alert(2)&gt;" in inbox
    assert "Help &lt;svg onload=alert(2)&gt;" in email_page
    # The email's HTML keeps its harmless markup, and only that.
    assert "<p>Hello <b>there</b></p>" in email_page
    assert '<img src="https://example.com/a.png">' in email_page


def test_the_message_partial_is_escaped_too(agent_browser):
    message = deliver("sms", "+66812345678", XSS).message
    page = agent_browser.get(f"/console/messages/{message.pk}/?ticket={message.ticket_id}").content.decode()
    assert 'data-testid="message"' in page
    assert "&lt;script&gt;" in page and "<script>" not in page


def test_knowledge_base_articles_are_suggested_beside_the_ticket(agent_browser):
    from kb.models import Category
    from kb.services import article_create

    category = Category.objects.create(slug="account", name_en="Account", name_th="บัญชี")
    article_create(
        title="How to reset your password", body="Open settings and choose reset password.", lang="en",
        category=category, published=True, slug="reset-password",
    )  # fmt: skip
    ticket = deliver("email", "a@example.com", "I forgot my password, how do I reset it?", subject="password").ticket
    page = agent_browser.get(f"/console/tickets/{ticket.pk}/").content.decode()
    assert 'data-testid="kb-suggestions"' in page
    assert 'href="/help/articles/reset-password/"' in page
    assert "How to reset your password" in page


def test_the_customer_panel_shows_identities_tier_past_tickets_surveys_and_mood(agent_browser):
    from tickets.models import MessageSentiment, Survey

    old = deliver("sms", "+66812345678", "old problem").ticket
    Ticket.objects.filter(pk=old.pk).update(status=Ticket.Status.CLOSED, subject="Old problem")
    angry = deliver("whatsapp", "whatsapp:+66812345678", "This is the third time!").message
    Customer.objects.filter(pk=angry.customer_id).update(tier=Customer.Tier.VIP)
    MessageSentiment.objects.create(
        message=angry, ticket=angry.ticket, customer_id=angry.customer_id, score=-0.8, label="negative", analyzer="test"
    )
    Survey.objects.create(
        ticket=old, customer_id=old.customer_id, resolution_number=1, kind=Survey.Kind.CSAT, channel="sms",
        status=Survey.Status.ANSWERED, score=2, answered_at=timezone.now(), comment="Too slow",
    )  # fmt: skip
    page = text_of(agent_browser.get(f"/console/tickets/{angry.ticket_id}/"))
    assert "+66812345678" in page and "VIP" in page
    assert f"HD-{old.pk} Old problem" in page
    assert "Customer satisfaction (CSAT): 2 /5" in page and "Too slow" in page
    assert "Recent mood: high churn risk (-0.80, 1 message)" in page


def test_the_side_panels_show_activities_past_tickets_and_claims_as_stored(agent_browser, agent):
    from tickets.models import IdentityClaim, TicketActivity

    ticket = deliver("chat", "chat:visitor-1", "hello?").ticket
    other = Customer.objects.create(name="Somchai K.")
    IdentityClaim.objects.create(customer=ticket.customer, kind="email", address="somchai@example.com", may_be=other)
    IdentityClaim.objects.create(customer=ticket.customer, kind="phone", address="+66812345678", verified_at=timezone.now())
    earlier = [
        Ticket.objects.create(customer=ticket.customer, subject=f"Earlier {n}", channel="sms", status="closed",
                              created_at=timezone.now() - timedelta(days=n + 1))
        for n in range(12)
    ]  # fmt: skip
    agent_browser.post(f"/console/tickets/{ticket.pk}/update/", {"assign_to_me": "on"})
    TicketActivity.objects.create(ticket=ticket, kind=TicketActivity.Kind.ESCALATED)
    response = agent_browser.get(f"/console/tickets/{ticket.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    page, text = response.content.decode(), text_of(response)
    # The ten latest other tickets, newest first, each with its status.
    past = re.findall(r'<li><a href="/console/tickets/(\d+)/">HD-\d+</a> Earlier \d+ <span class="cn-status cn-status-closed">Closed</span>', page)
    assert [int(pk) for pk in past] == [t.pk for t in earlier[:10]]
    # Newest first: the rule that fired, then the agent who took the ticket.
    assert re.search(r"Escalation rule fired .*Assigned · agent1", text)
    # Only the unverified claim is flagged, with the customer it may be.
    assert page.count('data-testid="identity-claim"') == 1
    assert f"Email somchai@example.com may be Somchai K. #{other.pk}" in text
    # Claimed addresses, verified or not, are where a reply may go.
    assert '<option value="sms">' in page and '<option value="email">' in page


def test_a_request_that_asked_for_an_email_answer_preselects_email(agent_browser):
    ticket = deliver("chat", "chat:visitor-2", "hello?").ticket
    ContactIdentity.objects.create(
        customer=ticket.customer, kind="email", address="ploy@example.com", lookup_key="ploy@example.com"
    )
    Message.objects.filter(ticket=ticket).update(metadata={"reply_channel": "email"})
    page = agent_browser.get(f"/console/tickets/{ticket.pk}/").content.decode()
    assert '<option value="email" selected>' in page
    # An automatic message of theirs moves nothing.
    deliver("chat", "chat:visitor-2", "I am away", is_auto_reply=True)
    assert '<option value="email" selected>' in agent_browser.get(f"/console/tickets/{ticket.pk}/").content.decode()


def test_message_times_follow_the_reader_language_from_one_view_to_the_next(agent_browser):
    message = deliver("sms", "+66812345678", "hello?").message
    Message.objects.filter(pk=message.pk).update(created_at=datetime(2026, 3, 4, 2, 6, tzinfo=UTC))
    url = f"/console/tickets/{message.ticket_id}/"
    for language, shown in [("en", "03/04/2026 9:06 a.m."), ("th", "4 มี.ค. 2569, 9:06"), ("en", "03/04/2026 9:06 a.m.")]:
        page = agent_browser.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert f'<time datetime="2026-03-04T09:06:00+07:00">{shown}</time>' in page, language
