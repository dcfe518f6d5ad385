"""Twilio-hosted media of an inbound MMS or WhatsApp message: fetched after commit
by the Celery task (eager) from the fake Twilio over real HTTP, and stored through
Django's storage API, safely."""

from __future__ import annotations

import pytest
from django.test import Client

from channels_app.tasks import fetch_twilio_media
from tests.channels_app.twilio.twilio_posts import post_twilio, sms_params
from tickets.models import Attachment

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
MEDIA_PATH = "/2010-04-01/Accounts/AC00000000000000000000000000000000/Messages/MM1/Media/ME1"


def _receive(django_capture_on_commit_callbacks, *urls: str, channel: str = "sms", content_type: str = "image/png"):
    params = sms_params("", NumMedia=str(len(urls)))
    for index, url in enumerate(urls):
        params[f"MediaUrl{index}"] = url
        params[f"MediaContentType{index}"] = content_type
    with django_capture_on_commit_callbacks(execute=True):
        response = post_twilio(Client(), f"/webhooks/twilio/{channel}/", params)
    assert response.status_code == 200
    return list(Attachment.objects.order_by("pk"))


def test_media_is_fetched_with_basic_auth_and_stored(fake_twilio, django_capture_on_commit_callbacks):
    fake_twilio.add_media(MEDIA_PATH, PNG, "image/png")

    # As Twilio sends it: on api.twilio.com, which the settings point at the fake.
    (attachment,) = _receive(django_capture_on_commit_callbacks, "https://api.twilio.com" + MEDIA_PATH)

    assert attachment.fetch_error == ""
    assert attachment.size == len(PNG) and attachment.content_type == "image/png"
    assert attachment.filename == "ME1.png"
    with attachment.file.open("rb") as stored:
        assert stored.read() == PNG
    (get,) = [r for r in fake_twilio.requests if r.method == "GET"]
    assert get.auth == (fake_twilio.account_sid, fake_twilio.auth_token)


def test_redirect_within_twilio_is_followed(fake_twilio, django_capture_on_commit_callbacks):
    fake_twilio.add_media("/cdn/ME1", PNG, "image/png", requires_auth=False)
    url = fake_twilio.add_redirect(MEDIA_PATH, fake_twilio.base_url + "/cdn/ME1")

    (attachment,) = _receive(django_capture_on_commit_callbacks, url, channel="whatsapp")

    assert attachment.fetch_error == "" and attachment.size == len(PNG)


def test_redirect_to_another_host_is_refused(fake_twilio, django_capture_on_commit_callbacks):
    url = fake_twilio.add_redirect(MEDIA_PATH, "http://169.254.169.254/latest/meta-data/")

    (attachment,) = _receive(django_capture_on_commit_callbacks, url)

    assert not attachment.file
    assert attachment.fetch_error == "media host 169.254.169.254 is not one of Twilio's"


@pytest.mark.parametrize(
    "url",
    ["https://evil.example.com/ME1", "https://api.twilio.com.evil.example/ME1", "http://api.twilio.com/ME1"],
)
def test_media_from_a_foreign_host_is_refused_without_a_request(
    fake_twilio, django_capture_on_commit_callbacks, url, settings
):
    settings.TWILIO_API_BASE_URL = ""

    (attachment,) = _receive(django_capture_on_commit_callbacks, url)

    assert not attachment.file
    assert "is not one of Twilio's" in attachment.fetch_error
    assert fake_twilio.requests == []


@pytest.mark.parametrize("declare_length", [True, False])
def test_oversized_media_is_refused(fake_twilio, django_capture_on_commit_callbacks, settings, declare_length):
    settings.HELPDESK_MAX_ATTACHMENT_BYTES = 100_000
    fake_twilio.add_media(MEDIA_PATH, b"\xff" * 300_000, "image/jpeg", declare_length=declare_length)

    (attachment,) = _receive(django_capture_on_commit_callbacks, fake_twilio.base_url + MEDIA_PATH)

    assert not attachment.file
    assert attachment.fetch_error == "the file is larger than 100000 bytes"


def test_a_dangerous_file_type_is_refused(fake_twilio, django_capture_on_commit_callbacks):
    fake_twilio.add_media(MEDIA_PATH, b"<svg onload=alert(1)>", "image/svg+xml")

    (attachment,) = _receive(django_capture_on_commit_callbacks, fake_twilio.base_url + MEDIA_PATH)

    assert not attachment.file
    assert attachment.fetch_error == "file type image/svg+xml is not accepted"


def test_wrong_credentials_leave_a_readable_error(fake_twilio, django_capture_on_commit_callbacks, settings):
    fake_twilio.add_media(MEDIA_PATH, PNG, "image/png")
    settings.TWILIO_AUTH_TOKEN = "another-token"
    fake_twilio.auth_token = "the-real-token"

    (attachment,) = _receive(django_capture_on_commit_callbacks, fake_twilio.base_url + MEDIA_PATH)

    assert attachment.fetch_error == "Twilio answered 401"


def test_transient_failures_are_retried_and_the_task_is_idempotent(fake_twilio, django_capture_on_commit_callbacks):
    fake_twilio.add_media(MEDIA_PATH, PNG, "image/png", fail_times=2)

    (attachment,) = _receive(django_capture_on_commit_callbacks, fake_twilio.base_url + MEDIA_PATH)

    assert attachment.fetch_error == "" and attachment.size == len(PNG)
    assert len([r for r in fake_twilio.requests if r.method == "GET"]) == 3
    # Running the task again fetches nothing: the file is stored.
    fetch_twilio_media.delay([attachment.pk])
    assert len([r for r in fake_twilio.requests if r.method == "GET"]) == 3


def test_media_that_stays_unavailable_ends_with_an_error(fake_twilio, django_capture_on_commit_callbacks):
    fake_twilio.add_media(MEDIA_PATH, PNG, "image/png", fail_times=100)

    (attachment,) = _receive(django_capture_on_commit_callbacks, fake_twilio.base_url + MEDIA_PATH)

    assert attachment.fetch_error == "Twilio answered 503"
    assert not attachment.file
