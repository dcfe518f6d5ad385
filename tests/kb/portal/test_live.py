"""/ws/portal/: a signed-in customer's open portal pages learn of their own tickets'
new statuses, answers, messages and new tickets, and of nothing else: no one else's tickets,
no internal notes, never a message's text."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.db import transaction

from kb.portal.consumers import PortalConsumer
from kb.portal.services import portal_user_ensure
from tests.factories import deliver, make_user
from tickets.models import Message, Role
from tickets.services.console import note_create
from tickets.services.replies import reply_create
from tickets.services.tickets import ticket_create, ticket_set_status

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def open_portal(user) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(PortalConsumer.as_asgi(), "/ws/portal/")
    communicator.scope["user"] = user
    connected, code = await communicator.connect()
    assert connected, code
    return communicator


async def frames_until_quiet(communicator, quiet: float = 0.3) -> list[dict]:
    frames = []
    while not await communicator.receive_nothing(timeout=quiet):
        frames.append(await communicator.receive_json_from())
    return frames


def committed(action):
    """Runs an action in its own transaction, so its on-commit events go out."""

    def run():
        with transaction.atomic():
            return action()

    return sync_to_async(run)()


@pytest.fixture
def helpdesk(roles):
    agent = make_user("agent1", roles=[Role.AGENT])
    mine = deliver("email", "malee@example.com", "Where is my parcel?", subject="Parcel").message
    theirs = deliver("sms", "+66812345678", "Card charged twice").message
    return agent, mine, theirs


async def test_the_customer_hears_of_their_own_tickets_only_and_never_their_text(helpdesk, settings):
    settings.HELPDESK_AUTOACK_ENABLED = False
    agent, mine, theirs = helpdesk
    customer_user = await sync_to_async(portal_user_ensure)(customer=mine.customer)
    socket = await open_portal(customer_user)

    await committed(lambda: ticket_set_status(ticket=mine.ticket, status="pending", actor=agent))
    await committed(lambda: reply_create(ticket=mine.ticket, author=agent, text="It left the depot"))
    await committed(lambda: note_create(ticket=mine.ticket, author=agent, text="VIP, be quick"))
    await committed(lambda: ticket_set_status(ticket=theirs.ticket, status="pending", actor=agent))
    await committed(lambda: reply_create(ticket=theirs.ticket, author=agent, text="Refunded"))
    await sync_to_async(deliver)("email", "malee@example.com", "Another question", subject="Invoice")
    opened = await committed(
        lambda: ticket_create(customer=mine.customer, subject="Your refund", channel="email", actor=agent)
    )

    frames = await frames_until_quiet(socket)
    await socket.disconnect()
    by_email = await sync_to_async(Message.objects.get)(text="Another question")
    assert by_email.ticket_id not in (mine.ticket_id, theirs.ticket_id)
    assert frames == [
        {"type": "status", "ticket": mine.ticket_id, "status": "pending"},
        {"type": "answer", "ticket": mine.ticket_id},
        {"type": "message", "ticket": by_email.ticket_id},
        {"type": "created", "ticket": opened.pk},
    ]


async def test_only_signed_in_customers_connect(helpdesk):
    agent, mine, _ = helpdesk
    for user in (AnonymousUser(), agent):
        communicator = WebsocketCommunicator(PortalConsumer.as_asgi(), "/ws/portal/")
        communicator.scope["user"] = user
        connected, code = await communicator.connect()
        assert (connected, code) == (False, 4401)


async def test_what_a_client_sends_is_ignored(helpdesk):
    _, mine, _ = helpdesk
    customer_user = await sync_to_async(portal_user_ensure)(customer=mine.customer)
    socket = await open_portal(customer_user)
    for junk in ('{"type": "subscribe", "customer": 1}', "not json", "\x00" * 10):
        await socket.send_to(text_data=junk)
    await socket.send_to(bytes_data=b"\xff\xfe")
    assert await frames_until_quiet(socket) == []
    await socket.disconnect()
