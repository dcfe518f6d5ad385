"""What LINE users send is fetched from the content API by a task, within the size and
type limits; when LINE cannot be reached the message is stored all the same, and the
media and the profile are fetched later. A name an agent gave is never overwritten."""

from __future__ import annotations

import pytest
from django.test import Client

from channels_app.line.tasks import fetch_line_media, refresh_line_profile
from tests.channels_app.line.line_posts import USER, batch, event, post_line, text_event
from tickets.models import Attachment, Customer, Message

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0" + b"0" * 5000


def _image_event(message_id: str = "354718705033693859", kind: str = "image", **fields) -> dict:
    return event("message", message={"type": kind, "id": message_id, "contentProvider": {"type": "line"}, **fields})


def test_an_image_is_fetched_through_the_content_api(fake_line, django_capture_on_commit_callbacks):
    fake_line.add_content("354718705033693859", JPEG, "image/jpeg")

    with django_capture_on_commit_callbacks(execute=True):
        post_line(Client(), batch(_image_event()))

    attachment = Attachment.objects.get()
    assert attachment.file and attachment.size == len(JPEG) and attachment.content_type == "image/jpeg"
    assert attachment.file.read() == JPEG
    fetch = fake_line.requests_to("/v2/bot/message/354718705033693859/content")[0]
    assert fetch.headers["Authorization"] == f"Bearer {fake_line.access_token}"


def test_a_file_keeps_its_name_and_a_video_still_being_prepared_is_fetched_when_ready(
    fake_line, django_capture_on_commit_callbacks
):
    fake_line.add_content("1", b"%PDF-1.4 receipt", "application/pdf")
    fake_line.add_content("2", b"\x00\x00\x00\x18ftypmp42", "video/mp4", not_ready_times=1)

    with django_capture_on_commit_callbacks(execute=True):
        post_line(
            Client(), batch(_image_event("1", "file", fileName="ใบเสร็จ.pdf", fileSize=16), _image_event("2", "video"))
        )

    pdf, video = Attachment.objects.order_by("id")
    assert pdf.filename == "ใบเสร็จ.pdf" and pdf.file
    assert video.file and video.content_type == "video/mp4"


def test_too_large_or_unsafe_files_are_refused_with_a_reason(fake_line, settings, django_capture_on_commit_callbacks):
    settings.HELPDESK_MAX_ATTACHMENT_BYTES = 1000
    fake_line.add_content("10", JPEG, "image/jpeg")
    fake_line.add_content("11", b"MZ\x90\x00", "application/x-msdownload")

    with django_capture_on_commit_callbacks(execute=True):
        post_line(Client(), batch(_image_event("10"), _image_event("11", "file", fileName="setup.exe")))

    large, unsafe = Attachment.objects.order_by("id")
    assert not large.file and "larger than 1000 bytes" in large.fetch_error
    assert not unsafe.file and "not accepted" in unsafe.fetch_error


def test_when_line_is_down_the_message_is_stored_and_its_media_and_profile_come_later(
    fake_line, settings, django_capture_on_commit_callbacks
):
    fake_line.add_content("20", JPEG, "image/jpeg")
    fake_line.add_profile(USER, "Nok")
    up = settings.LINE_API_BASE_URL
    settings.LINE_API_BASE_URL = settings.LINE_API_DATA_BASE_URL = "http://127.0.0.1:9"  # nothing listens

    with django_capture_on_commit_callbacks(execute=True):
        response = post_line(Client(), batch(_image_event("20")))

    assert response.status_code == 200
    message = Message.objects.get()
    attachment = message.attachments.get()
    assert not attachment.file and "could not be reached" in attachment.fetch_error
    assert message.customer.name == ""

    settings.LINE_API_BASE_URL = settings.LINE_API_DATA_BASE_URL = up
    fetch_line_media.apply(args=[[attachment.pk]])
    refresh_line_profile.apply(args=[USER])

    attachment.refresh_from_db()
    assert attachment.file and attachment.fetch_error == ""
    assert Customer.objects.get().name == "Nok"


def test_the_profile_name_never_overwrites_a_name_an_agent_gave(fake_line, django_capture_on_commit_callbacks):
    fake_line.add_profile(USER, "Nok")
    with django_capture_on_commit_callbacks(execute=True):
        post_line(Client(), batch(text_event("hi")))
    customer = Customer.objects.get()
    assert customer.name == "Nok"

    fake_line.add_profile(USER, "Nok 🌸")
    refresh_line_profile.apply(args=[USER])
    assert Customer.objects.get().name == "Nok 🌸"  # still LINE's name: it follows LINE

    Customer.objects.filter(pk=customer.pk).update(name="คุณนก (ลูกค้า VIP)")
    fake_line.add_profile(USER, "Nokky")
    refresh_line_profile.apply(args=[USER])
    assert Customer.objects.get().name == "คุณนก (ลูกค้า VIP)"
