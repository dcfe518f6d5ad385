"""Answering satisfaction surveys in the portal, through tickets.services.surveys."""

from __future__ import annotations

import pytest

from tickets.models import Channel
from tickets.models.surveys import Survey

pytestmark = pytest.mark.django_db


def _survey(customer, kind="csat", low=1, high=5) -> Survey:
    ticket = customer.tickets.first()
    return Survey.objects.create(
        ticket=ticket,
        customer=customer,
        resolution_number=1,
        kind=kind,
        channel=Channel.EMAIL,
        scale_min=low,
        scale_max=high,
    )


def test_a_customer_answers_a_survey(alice_client, alice):
    survey = _survey(alice)
    listing = alice_client.get("/portal/tickets/").content.decode()
    assert f"/portal/surveys/{survey.pk}/" in listing
    page = alice_client.get(f"/portal/surveys/{survey.pk}/").content.decode()
    assert "How satisfied are you" in page and page.count('type="radio"') == 5
    response = alice_client.post(f"/portal/surveys/{survey.pk}/", {"score": "4", "comment": "Quick and kind"})
    assert response.status_code == 302 and response["Location"] == f"/portal/tickets/{survey.ticket_id}/"
    survey.refresh_from_db()
    assert (survey.status, survey.score, survey.comment) == (Survey.Status.ANSWERED, 4, "Quick and kind")
    # A second answer (a double click) changes nothing.
    alice_client.post(f"/portal/surveys/{survey.pk}/", {"score": "1"})
    survey.refresh_from_db()
    assert survey.score == 4
    assert f"/portal/surveys/{survey.pk}/" not in alice_client.get("/portal/tickets/").content.decode()
    assert "You answered 4 out of 5." in alice_client.get(f"/portal/surveys/{survey.pk}/").content.decode()


def test_nps_scale_goes_from_0_to_10_and_off_scale_is_refused(alice_client, alice):
    survey = _survey(alice, kind="nps", low=0, high=10)
    page = alice_client.get(f"/portal/surveys/{survey.pk}/").content.decode()
    assert page.count('type="radio"') == 11
    assert alice_client.post(f"/portal/surveys/{survey.pk}/", {"score": "11"}).status_code == 400
    assert alice_client.post(f"/portal/surveys/{survey.pk}/", {"score": "0"}).status_code == 302
    survey.refresh_from_db()
    assert survey.score == 0


def test_another_customers_survey_is_404(alice_client, bob):
    survey = _survey(bob)
    assert alice_client.get(f"/portal/surveys/{survey.pk}/").status_code == 404
    assert alice_client.post(f"/portal/surveys/{survey.pk}/", {"score": "1"}).status_code == 404
    survey.refresh_from_db()
    assert survey.status == Survey.Status.SENT
    assert alice_client.get("/portal/surveys/999999/").status_code == 404
