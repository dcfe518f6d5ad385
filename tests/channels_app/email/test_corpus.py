"""Every mail of the public corpus (shared/corpus/email, byte-exact copies of CPython's,
the Ruby mail gem's, django-helpdesk's and talon's fixtures) goes through the real
pipeline: stored or, for bounces and automatic mail, acknowledged; never failed."""

from __future__ import annotations

from pathlib import Path

import pytest

from channels_app.email.inbound import email_ingest
from tests.channels_app.email.conftest import CORPUS
from tickets.models import Attachment, InboundEvent, Message, Ticket

pytestmark = pytest.mark.django_db

# HTML bodies and expected reply texts, not RFC 5322 messages: fed to the quote code only.
NOT_MESSAGES = {"html_replies", "iphone_reply_text", "sparrow_reply_text"}


def _corpus_files() -> list:
    if not CORPUS.is_dir():
        reason = f"the public email corpus is not at {CORPUS} (it lives in shared/ beside the clone)"
        return [pytest.param("corpus-absent", marks=pytest.mark.skip(reason=reason))]
    return sorted(
        str(path.relative_to(CORPUS))
        for path in CORPUS.rglob("*")
        if path.is_file() and not NOT_MESSAGES & set(path.relative_to(CORPUS).parts) and path.name != ".gitattributes"
    )


# What a user sees for a representative file of every folder: a snippet of the
# stored text (None: the text is empty) and the number of stored attachments.
# Bounces and automatic mail without a ticket store no message.
STORED = {
    "cpython/msg_01.txt": ("Do you like this message?", 0),
    "cpython/msg_02.txt": ("Send Ppp mailing list submissions to", 5),  # a digest: one .eml per message
    "cpython/msg_06.txt": ("Forwarded message", 1),
    "cpython/msg_07.txt": ("This is the dingus fish.", 1),
    "cpython/msg_11.txt": ("Subject: An enclosed message", 1),
    "cpython/msg_13.txt": ("A text/plain part", 1),
    "cpython/msg_17.txt": ("This is the dingus fish.", 0),  # multipart without a boundary: read as text
    "cpython/msg_19.txt": ("Send Ppp mailing list submissions to", 0),  # a bare body: unknown sender
    "cpython/msg_21.txt": ("One\n\nTwo", 0),
    "cpython/msg_26.txt": ("Simple email with attachment.", 1),
    "cpython/msg_36.txt": ("Blah blah blah", 2),
    "cpython/msg_41.txt": ("Blah blah blah", 0),
    "cpython/msg_45.txt": ("This is the signed contents.", 0),  # the signature part is not a file
    "cpython/msg_46.txt": ('From: "Dr. Sender"', 1),
    "django-helpdesk/all-special-chars.eml": ("íářčšáíéřášč", 0),
    "django-helpdesk/blank-body-with-attachment.eml": (None, 1),
    "django-helpdesk/forwarded-message.eml": ("This is email body", 0),
    "django-helpdesk/pgp.eml": ("hi, thanks for looking into this :)", 0),
    "django-helpdesk/quoted_printable.eml": ("Tohle je test českých písmen odeslaných z gmailu.", 0),
    "django-helpdesk/utf-nondecodable.eml": ("Cyklozaměstna", 0),
    "mikel-mail/attachment_emails/attachment_message_rfc822.eml": ("This is the first part.", 1),
    "mikel-mail/attachment_emails/attachment_message_rfc822_inline_image.eml": ("Forwarded message", 2),
    "mikel-mail/attachment_emails/attachment_nonascii_filename.eml": ("This is the first part.", 1),
    "mikel-mail/attachment_emails/attachment_only_email.eml": (None, 1),
    "mikel-mail/attachment_emails/attachment_pdf.eml": ("Just attaching another PDF", 1),
    "mikel-mail/attachment_emails/attachment_with_quoted_filename.eml": (None, 1),
    "mikel-mail/error_emails/content_transfer_encoding_x_uuencode.eml": ("Attached are the comments", 1),
    "mikel-mail/error_emails/content_transfer_encoding_7-bit.eml": ("CARD", 0),
    "mikel-mail/error_emails/invalid_subject_characters.eml": ("TEST", 0),
    "mikel-mail/mime_emails/email_with_similar_boundaries.eml": ("Test", 1),
    "mikel-mail/mime_emails/raw_email_with_quoted_illegal_boundary.eml": ("This is an outlook test", 0),
    "mikel-mail/multi_charset/japanese.eml": ("かきくえこ", 0),
    "mikel-mail/multi_charset/japanese_iso_2022.eml": ("すみません。", 0),
    "mikel-mail/multi_charset/japanese_shift_jis.eml": ("このメールはテスト用のメールです。", 0),
    "mikel-mail/multi_charset/japanese_attachment.eml": ("testing", 1),
    "mikel-mail/multi_charset/ks_c_5601-1987.eml": ("스티해", 0),
    "mikel-mail/plain_emails/raw_email.eml": ("대부분의 마찬가지로, 우리는 하나님을 믿습니다.", 0),
    "mikel-mail/plain_emails/raw_email10.eml": ("Test test. Hi. Waving.", 0),  # charset=X-UNKNOWN
    "mikel-mail/plain_emails/basic_email.eml": ("Plain email.", 0),
    "mikel-mail/rfc2822/example01.eml": ("This is a message just to say hello.", 0),
    "mikel-mail/rfc2822/example14.eml": ("Hello", 0),
    "mikel-mail/rfc6532/utf8_headers.eml": ("body", 0),
    "talon/reply-quotations-share-block.eml": ("Sounds great.", 0),
    "talon/standard_replies/gmail.eml": ("Hello", 0),
    "talon/standard_replies/hotmail.eml": ("Hello", 0),
    "talon/standard_replies/outlook.eml": ("Hello", 0),
    "talon/standard_replies/yahoo.eml": ("Hello", 0),
    "talon/standard_replies/aol.eml": ("Hello", 0),
}
SUBJECTS = {
    "django-helpdesk/quoted_printable.eml": "Český test",
    "mikel-mail/error_emails/invalid_subject_characters.eml": "Formação FrenetikPolis: Mega Campanha Final Verão | Cursos de Setembro",
    "mikel-mail/multi_charset/japanese.eml": "まみむめも",
    "mikel-mail/rfc2822/example14.eml": "Re: TEST テストテスト",
    "mikel-mail/rfc6532/utf8_headers.eml": "Säying Hello",
    "mikel-mail/plain_emails/raw_email.eml": "NOTE: 한국말로 하는 것",
}
# Delivery-status reports: no ticket, and the failure is read.
BOUNCES = {
    "cpython/msg_16.txt",
    "cpython/msg_25.txt",
    "mikel-mail/multipart_report_emails/multi_address_bounce1.eml",
    "mikel-mail/multipart_report_emails/multipart_report_multiple_status.eml",
    "mikel-mail/multipart_report_emails/report_530.eml",
}
# A "delayed" DSN is a notice, not a failure: ignored, as automatic mail to nothing we know.
IGNORED = {"mikel-mail/multipart_report_emails/report_422.eml", "mikel-mail/error_emails/bad_date_header.eml"}


def _ingest(corpus: Path, name: str):
    return email_ingest(raw=(corpus / name).read_bytes(), source="test")


@pytest.mark.parametrize("name", _corpus_files())
def test_every_corpus_mail_is_stored_or_acknowledged_never_failed(corpus, name):
    result = _ingest(corpus, name)

    assert result.status in {InboundEvent.Status.PROCESSED, InboundEvent.Status.IGNORED}, result.event.error
    assert InboundEvent.objects.get().raw == (corpus / name).read_bytes()
    if result.message is not None:
        assert result.message.channel == "email"
        assert result.ticket.customer_id == result.message.customer_id
    # The same bytes again are a duplicate, Message-ID or not.
    again = _ingest(corpus, name)
    assert again.status in {InboundEvent.Status.DUPLICATE, InboundEvent.Status.IGNORED, InboundEvent.Status.PROCESSED}
    assert Message.objects.count() == (1 if result.message else 0)


@pytest.mark.parametrize("name", sorted(STORED))
def test_corpus_mail_shows_its_text_and_files(corpus, name):
    snippet, attachment_count = STORED[name]
    result = _ingest(corpus, name)

    assert result.status == InboundEvent.Status.PROCESSED
    message = result.message
    if snippet is None:
        assert message.text.strip() == ""
    else:
        assert snippet in message.text
    assert Attachment.objects.filter(message=message).count() == attachment_count
    if name in SUBJECTS:
        assert message.subject == SUBJECTS[name]
        assert Ticket.objects.get().subject == SUBJECTS[name]


@pytest.mark.parametrize("name", sorted(BOUNCES))
def test_corpus_bounces_open_no_ticket(corpus, name):
    result = _ingest(corpus, name)
    assert result.status == InboundEvent.Status.PROCESSED
    assert result.event.payload["is_bounce"] is True
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("name", sorted(IGNORED))
def test_corpus_automatic_mail_to_nothing_known_is_ignored(corpus, name):
    result = _ingest(corpus, name)
    assert result.status == InboundEvent.Status.IGNORED
    assert not Ticket.objects.exists()


def test_corpus_file_names_and_inline_images_survive(corpus):
    message = _ingest(corpus, "mikel-mail/attachment_emails/attachment_message_rfc822_inline_image.eml").message
    files = {a.filename: a for a in message.attachments.all()}
    assert files["img.png"].inline is True
    assert files["img.png"].content_id == "emedfeb92f-a786-4718-a446-98db8afb53fb@kronos"
    # The name as the sender gave it, spaces and all (only path separators and control characters go).
    assert files["Another PDF.eml"].content_type == "message/rfc822"
    assert 'src="cid:emedfeb92f-a786-4718-a446-98db8afb53fb@kronos"' in message.html

    nonascii = _ingest(corpus, "mikel-mail/attachment_emails/attachment_nonascii_filename.eml").message
    assert [a.filename for a in nonascii.attachments.all()] == ["ciële.txt"]


def test_corpus_delivery_report_names_the_failure(corpus):
    result = _ingest(corpus, "mikel-mail/multipart_report_emails/report_530.eml")
    payload = result.event.payload
    assert payload["is_bounce"] is True
    assert payload["bounce_reason"] == "edwin@zzzzzzz.com: 553 5.3.0 <edwin@zzzzzzz.com>... Unknown E-Mail Address"
    # The Message-ID of the returned message's headers (text/rfc822-headers).
    assert payload["bounced_message_ids"] == ["<200712232303.lBNN3jDq002941@mail12.rrrr.com.au>"]


def test_talon_replies_keep_only_the_new_text(corpus):
    for client, expected_file in (("iphone", "iphone_reply_text"), ("sparrow", "sparrow_reply_text")):
        message = _ingest(corpus, f"talon/standard_replies/{client}.eml").message
        expected = (corpus / "talon" / "standard_replies" / expected_file).read_text()
        assert [line.strip() for line in message.text.strip().splitlines()] == [
            line.strip() for line in expected.strip().splitlines()
        ]
        assert len(message.metadata["email"]["full_text"]) > len(message.text)
