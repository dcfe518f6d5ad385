import pytest

from tests.factories import deliver
from tickets import registry
from tickets.models import Message
from tickets.services import delivery
from tickets.services.delivery import NO_ANSWER, delivery_record, message_deliver
from tickets.services.replies import reply_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def reply(agent, django_capture_on_commit_callbacks):
    ticket = deliver("sms", "+66811112222", "hi").ticket
    # Capture (and drop) the delivery task so each test drives delivery itself.
    with django_capture_on_commit_callbacks(execute=False):
        return reply_create(ticket=ticket, author=agent, text="answer", channel="sms")


@pytest.fixture
def sender(monkeypatch):
    calls = []
    outcomes = []

    def send(message):
        calls.append(message.pk)
        outcome = outcomes.pop(0) if outcomes else registry.SendResult(external_id=f"SM{message.pk}")
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    monkeypatch.setitem(registry._senders, "sms", send)
    return calls, outcomes


def test_a_callback_that_beat_the_api_answer_is_not_overwritten(reply):
    stale = Message.objects.get(pk=reply.pk)
    Message.objects.filter(pk=reply.pk).update(delivery_status="delivered")
    delivery_record(message=stale, status="sent", external_id="SM1")
    reply.refresh_from_db()
    assert reply.delivery_status == "delivered"
    assert reply.external_id == "SM1"


def test_a_claimed_message_is_sent_once(reply, sender):
    calls, _ = sender
    message_deliver(message_id=reply.pk)
    message_deliver(message_id=reply.pk)
    reply.refresh_from_db()
    assert calls == [reply.pk]
    assert reply.delivery_status == "sent"


def test_transient_failure_requeues_then_fails_on_the_last_attempt(reply, sender):
    calls, outcomes = sender
    outcomes += [registry.TransientSendError("timeout", code="E1"), registry.TransientSendError("timeout again", code="E2")]
    with pytest.raises(registry.TransientSendError):
        message_deliver(message_id=reply.pk)
    reply.refresh_from_db()
    assert (reply.delivery_status, reply.delivery_error) == ("queued", "timeout")
    message_deliver(message_id=reply.pk, final_attempt=True)
    reply.refresh_from_db()
    assert (reply.delivery_status, reply.delivery_error_code, reply.delivery_error) == ("failed", "E2", "timeout again")
    assert len(calls) == 2


def test_permanent_failure_is_not_retried(reply, sender):
    _, outcomes = sender
    outcomes.append(registry.PermanentSendError("invalid number", code="21211"))
    message_deliver(message_id=reply.pk)
    reply.refresh_from_db()
    assert (reply.delivery_status, reply.delivery_error_code) == ("failed", "21211")


def test_a_failure_for_want_of_an_answer_gives_way_to_the_providers_word(reply):
    delivery_record(message=reply, status="failed", error="the answer was lost", error_code=NO_ANSWER)

    delivery_record(message=reply, status="delivered", external_id="SM2")

    reply.refresh_from_db()
    assert (reply.delivery_status, reply.external_id) == ("delivered", "SM2")
    assert (reply.delivery_error, reply.delivery_error_code) == ("", "")
    assert reply.delivered_at is not None


@pytest.mark.parametrize("late", ["sent", "delivered", "read", "sending"])
def test_any_other_failure_stays_failed_with_its_reason(reply, late):
    delivery_record(message=reply, status="failed", error="invalid number", error_code="21211")

    delivery_record(message=reply, status=late, external_id="SM2")

    reply.refresh_from_db()
    assert (reply.delivery_status, reply.delivery_error_code, reply.delivery_error) == ("failed", "21211", "invalid number")


def test_a_final_failure_without_an_answer_is_looked_at_again_once(
    reply, sender, monkeypatch, django_capture_on_commit_callbacks
):
    checked = []
    monkeypatch.setitem(delivery._lost_answer_checks, "sms", checked.append)
    _, outcomes = sender
    outcomes += [registry.TransientSendError("lost", code=NO_ANSWER), registry.TransientSendError("lost", code=NO_ANSWER)]

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(registry.TransientSendError):
        message_deliver(message_id=reply.pk)
    assert checked == []
    with django_capture_on_commit_callbacks(execute=True):
        message_deliver(message_id=reply.pk, final_attempt=True)

    reply.refresh_from_db()
    assert (reply.delivery_status, reply.delivery_error_code) == ("failed", NO_ANSWER)
    assert checked == [reply.pk]
