"""What an agent reads on the ticket page: the timeline's entries, in English and
in Thai, and the ticket's controls with their current values."""

import html
import re
from datetime import UTC, datetime

import pytest
from django.core.files.base import ContentFile

from tests.factories import deliver, make_user
from tickets.models import Attachment, Message, Role, Ticket
from tickets.services.delivery import delivery_record
from tickets.services.replies import reply_create

pytestmark = pytest.mark.django_db

# 09:05 in Bangkok, the helpdesk's time zone.
WRITTEN_AT = datetime(2026, 3, 4, 2, 5, tzinfo=UTC)


def readable(markup: str) -> str:
    """Markup as a reader sees it: tags dropped, entities decoded, spaces squeezed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def entries(page: str) -> dict[int, str]:
    """Each timeline entry's markup by message id, in page order."""
    found = re.findall(r'(<article [^>]*data-message-id="(\d+)".*?</article>)', page, flags=re.S)
    return {int(pk): markup for markup, pk in found}


def options(page: str, name: str) -> list[tuple[str, str, bool]]:
    """The options of the select `name`: value, label and whether it is selected."""
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, flags=re.S).group(1)
    return [
        (value, html.unescape(label), bool(selected))
        for value, selected, label in re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', select)
    ]


@pytest.fixture
def conversation(agent):
    """An email with two attachments (one not fetched yet) and an inline image, the
    agent's reply (sent) and an internal note, all from hostile-looking text; and an
    SMS of the same customer on an older ticket."""
    agent.first_name, agent.last_name = "<b>Ploy</b>", "S."
    agent.save()
    email = deliver(
        "email", "anan@example.com", "first <script>alert(1)</script> question",
        subject="Parcel <b>late</b>", sender_name="Anan <i>K</i>",
    ).message  # fmt: skip
    ticket = email.ticket
    older_ticket = Ticket.objects.create(customer=ticket.customer, subject="Old", channel="email", status="closed")
    earlier = Message.objects.create(
        ticket=older_ticket, customer=ticket.customer, direction="in", channel="email", text="an older question"
    )
    receipt = Attachment.objects.create(
        message=email, filename="receipt <1>.pdf", content_type="application/pdf", size=2048,
        file=ContentFile(b"%PDF" * 512, name="receipt.pdf"),
    )  # fmt: skip
    Attachment.objects.create(
        message=email, filename="later.png", content_type="image/png", size=10, source_url="https://example.com/x.png"
    )
    Attachment.objects.create(
        message=email, filename="logo.png", content_type="image/png", size=5, inline=True, content_id="logo@x",
        file=ContentFile(b"\x89PNG\r", name="logo.png"),
    )  # fmt: skip
    reply = reply_create(ticket=ticket, author=agent, text="We <b>look</b>\ninto it", channel="email")
    delivery_record(message=reply, status="sent")
    note = Message.objects.create(
        ticket=ticket, customer=ticket.customer, direction="note", channel="email", author=agent,
        text="check <img src=x onerror=alert(2)>",
    )  # fmt: skip
    for minutes, message in enumerate([earlier, email, reply, note]):
        Message.objects.filter(pk=message.pk).update(created_at=WRITTEN_AT.replace(minute=5 + minutes))
    Ticket.objects.filter(pk=ticket.pk).update(
        status=Ticket.Status.PENDING, priority=Ticket.Priority.HIGH, assignee=agent
    )
    return {"ticket": ticket, "earlier": earlier, "email": email, "reply": reply, "note": note, "receipt": receipt}


def test_the_timeline_shows_each_entry_as_written_and_escaped(agent_browser, conversation):
    ticket, receipt = conversation["ticket"], conversation["receipt"]
    page = agent_browser.get(f"/console/tickets/{ticket.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    timeline = entries(page)
    earlier, email, reply, note = (conversation[key].pk for key in ("earlier", "email", "reply", "note"))
    assert list(timeline) == [earlier, email, reply, note]
    for markup in timeline.values():
        assert "<script>" not in markup and "<img src=x" not in markup and "<b>" not in markup and "<i>" not in markup

    earlier_ticket = conversation["earlier"].ticket_id
    assert 'class="cn-msg cn-msg-in cn-msg-other"' in timeline[earlier]
    assert (
        f'<a class="cn-ref" href="/console/tickets/{earlier_ticket}/">on ticket #{earlier_ticket}</a>'
        in timeline[earlier]
    )
    assert (
        readable(timeline[earlier])
        == f"Anan <i>K</i> on ticket #{earlier_ticket} 03/04/2026 9:05 a.m. an older question"
    )

    assert 'class="cn-msg cn-msg-in"' in timeline[email]
    assert '<time datetime="2026-03-04T09:06:00+07:00">03/04/2026 9:06 a.m.</time>' in timeline[email]
    assert '<div class="cn-msg-subject">Parcel &lt;b&gt;late&lt;/b&gt;</div>' in timeline[email]
    assert f'<a href="/console/attachments/{receipt.pk}/" download>receipt &lt;1&gt;.pdf</a>' in timeline[email]
    assert timeline[email].count('data-testid="attachment"') == 2  # the inline image shows in the body only
    assert readable(timeline[email]) == (
        "Anan <i>K</i> 03/04/2026 9:06 a.m. Parcel <b>late</b> first <script>alert(1)</script> question "
        "receipt <1>.pdf 2.0 KB later.png (not fetched yet) 10 bytes"
    )

    assert 'data-testid="delivery-status" data-status="sent"' in timeline[reply]
    assert '<div class="cn-msg-body">We &lt;b&gt;look&lt;/b&gt;<br>into it</div>' in timeline[reply]
    assert readable(timeline[reply]) == "<b>Ploy</b> S. 03/04/2026 9:07 a.m. We <b>look</b> into it Sent"

    assert 'class="cn-msg cn-msg-note"' in timeline[note]
    assert readable(timeline[note]) == (
        "<b>Ploy</b> S. Internal note 03/04/2026 9:08 a.m. check <img src=x onerror=alert(2)>"
    )


def test_the_timeline_reads_in_thai(agent_browser, conversation):
    ticket = conversation["ticket"]
    page = agent_browser.get(f"/console/tickets/{ticket.pk}/", HTTP_ACCEPT_LANGUAGE="th").content.decode()
    timeline = entries(page)
    email, reply, note = (timeline[conversation[key].pk] for key in ("email", "reply", "note"))
    assert 'title="อีเมล" aria-label="อีเมล"' in email
    assert '<time datetime="2026-03-04T09:06:00+07:00">4 มี.ค. 2569, 9:06</time>' in email
    assert "later.png (ยังไม่ได้ดึงไฟล์) 10 ไบต์" in readable(email)
    assert readable(reply).endswith("We <b>look</b> into it ส่งแล้ว")
    assert '<span class="cn-tag cn-tag-note">บันทึกภายใน</span>' in note


@pytest.mark.parametrize(("language", "status", "priority"), [("en", "Pending", "High"), ("th", "รอลูกค้าตอบกลับ", "สูง")])
def test_the_ticket_controls_show_the_current_values(agent_browser, agent, conversation, language, status, priority):
    colleague = make_user("somchai.k", roles=[Role.AGENT])
    ticket = conversation["ticket"]
    page = agent_browser.get(f"/console/tickets/{ticket.pk}/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert f'<span class="cn-status cn-status-pending" id="cn-ticket-status">{status}</span>' in page
    assert f'<span class="cn-prio">{priority}</span>' in page
    statuses = options(page, "status")
    assert [value for value, _label, _selected in statuses] == ["", "new", "open", "pending", "resolved", "closed"]
    assert [(value, label) for value, label, selected in statuses if selected] == [("pending", status)]
    priorities = options(page, "priority")
    assert [value for value, _label, _selected in priorities] == ["", "1", "2", "3", "4"]
    assert [(value, label) for value, label, selected in priorities if selected] == [("3", priority)]
    assignees = options(page, "assignee")
    assert [(value, label) for value, label, _selected in assignees][1:] == [
        (str(agent.pk), "agent1"),
        (str(colleague.pk), "somchai.k"),
    ]
    assert [value for value, _label, selected in assignees if selected] == [str(agent.pk)]


def test_an_unassigned_ticket_selects_no_one(agent_browser, conversation):
    ticket = conversation["ticket"]
    Ticket.objects.filter(pk=ticket.pk).update(assignee=None, status=Ticket.Status.OPEN)
    page = agent_browser.get(f"/console/tickets/{ticket.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert [value for value, _label, selected in options(page, "assignee") if selected] == [""]
    assert [value for value, _label, selected in options(page, "status") if selected] == ["open"]


def test_a_live_entry_is_the_entry_the_page_shows(agent_browser, conversation):
    ticket = conversation["ticket"]
    page = agent_browser.get(f"/console/tickets/{ticket.pk}/", HTTP_ACCEPT_LANGUAGE="th").content.decode()
    for key in ("earlier", "email", "reply", "note"):
        pk = conversation[key].pk
        live = agent_browser.get(f"/console/messages/{pk}/?ticket={ticket.pk}", HTTP_ACCEPT_LANGUAGE="th")
        assert entries(live.content.decode()) == {pk: entries(page)[pk]}
