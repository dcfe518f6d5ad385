"""MIME -> InboundMessage: Thai and other charsets, automatic mail, files, quotes."""

from __future__ import annotations

import base64

import pytest

from channels_app.email import attachments, quotes
from channels_app.email.charsets import decode_bytes, decode_header_bytes
from channels_app.email.inbound import NotAnEmail, email_ingest, parse_email, synthetic_message_id
from tests.channels_app.email.conftest import CORPUS, fixture_bytes
from tickets.models import Attachment, Customer, Message
from tickets.services.sanitize import html_to_text


def _mail(*headers: str, body: str = "Hello", charset: str = "utf-8") -> bytes:
    head = "\r\n".join(headers)
    return f"{head}\r\nContent-Type: text/plain; charset={charset}\r\n\r\n{body}\r\n".encode()


@pytest.mark.django_db
def test_tis620_mail_with_thai_encoded_words_is_read_as_thai():
    result = email_ingest(raw=fixture_bytes("thai_tis620.eml"))
    message = result.message
    assert message.subject == "สอบถามสถานะการจัดส่ง"
    assert message.text.startswith("สวัสดีครับ\nสินค้าที่สั่งเมื่อวันที่ 3 ยังไม่ได้รับเลยครับ")
    customer = Customer.objects.get(pk=message.customer_id)
    assert customer.name == "สมชาย ใจดี"
    assert message.external_id == "<20261116091500.4821@mail.example.co.th>"


@pytest.mark.django_db
def test_windows874_quoted_printable_mail_keeps_the_characters_only_windows874_has():
    message = email_ingest(raw=fixture_bytes("thai_windows874.eml")).message
    assert message.subject == "ถูกตัดเงินซ้ำ"
    assert "ผมถูกตัดเงิน 1,250 € สองครั้ง… ช่วย “ตรวจสอบ” ให้ด้วยครับ" in message.text
    # The HTML alternative is kept, sanitized.
    assert "<p>ผมถูกตัดเงิน 1,250 € สองครั้ง… ช่วย “ตรวจสอบ” ให้ด้วยครับ</p>" in message.html


@pytest.mark.django_db
def test_html_only_iso8859_11_mail_gets_its_text_from_the_html():
    message = email_ingest(raw=fixture_bytes("thai_iso8859_11_html_only.eml")).message
    assert message.subject == "ยกเลิกสมาชิก"
    assert message.text == "ขอยกเลิกการสมัครสมาชิกรายเดือน\nเบอร์โทร 081-234-5678"
    assert "color:red" not in message.text


@pytest.mark.django_db
def test_unknown_charset_and_raw_8bit_thai_header_fall_back_without_an_error():
    message = email_ingest(raw=fixture_bytes("thai_x_unknown_charset.eml")).message
    assert message.subject == "เครื่องเสีย"
    assert message.text == "รบกวนติดต่อกลับด่วนค่ะ เครื่องเปิดไม่ติด"


@pytest.mark.parametrize(
    ("data", "charset", "expected"),
    [
        ("สวัสดี".encode("tis-620"), "TIS-620", "สวัสดี"),
        ("สวัสดี".encode("cp874"), "windows-874", "สวัสดี"),
        ("สวัสดี".encode("cp874"), "iso-8859-11", "สวัสดี"),
        ("안녕하세요".encode("cp949"), "ks_c_5601-1987", "안녕하세요"),
        ("①テスト".encode("cp932"), "shift_jis", "①テスト"),
        ("テスト".encode("iso2022_jp"), "ISO-2022-JP", "テスト"),
        ("naïve".encode(), "X-UNKNOWN", "naïve"),
        ("สวัสดีครับ".encode("cp874"), "X-UNKNOWN", "สวัสดีครับ"),
        ("café".encode("cp1252"), "X-UNKNOWN", "café"),
        ("“quoted”".encode("cp1252"), "iso-8859-1", "“quoted”"),
        (b"ascii text", None, "ascii text"),
        (b"\xff\xfe broken \x81", "utf-8", "\ufffd\ufffd broken \ufffd"),
    ],
)
def test_decode_bytes_reads_what_real_mail_sends(data, charset, expected):
    assert decode_bytes(data, charset) == expected


def test_rfc2047_words_in_several_charsets_and_broken_ones_never_raise():
    assert decode_header_bytes(
        b"=?utf-8?B?4Liq4Lin4Lix4Liq4LiU4Li1?= =?utf-8?Q?_=E0=B8=84=E0=B8=A3=E0=B8=B1=E0=B8=9A?="
    ) == ("สวัสดี ครับ")
    assert decode_header_bytes(b"=?x-unknown?B?4Liq4Lin4Lix4Liq4LiU4Li1?=") == "สวัสดี"
    assert decode_header_bytes(b"=?utf-8?B?not base64!!?=") != ""
    assert decode_header_bytes(b"Re: =?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?=") == "Re: テスト"


def test_bytes_without_any_header_and_not_text_are_refused():
    with pytest.raises(NotAnEmail):
        parse_email(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    with pytest.raises(NotAnEmail):
        parse_email(b"   \r\n")


def test_a_mail_without_message_id_gets_a_stable_synthetic_id():
    raw = _mail("From: a@example.com", "Subject: no id")
    assert parse_email(raw).external_id == parse_email(raw).external_id == synthetic_message_id(raw)
    assert parse_email(raw + b"x").external_id != synthetic_message_id(raw)


@pytest.mark.parametrize(
    "header",
    [
        "Auto-Submitted: auto-replied",
        "Auto-Submitted: auto-generated",
        "X-Autoreply: yes",
        "X-Autorespond: Out of office",
        "Precedence: bulk",
        "Precedence: junk",
        "Precedence: auto_reply",
        "Precedence: list",
        "X-Auto-Response-Suppress: All",
        "Subject: Out of Office: your question",
        "Subject: Automatic reply: Order 1042",
        "Subject: ตอบกลับอัตโนมัติ: คำสั่งซื้อ",
    ],
)
def test_automatic_mail_is_recognised(header):
    msg = parse_email(_mail("From: a@example.com", "Message-ID: <a@x>", header))
    assert msg.is_auto_reply is True
    assert msg.is_bounce is False


@pytest.mark.parametrize("header", ["Auto-Submitted: no", "Precedence: first-class", "Subject: Re: office chairs"])
def test_human_mail_is_not_automatic(header):
    assert parse_email(_mail("From: a@example.com", "Message-ID: <a@x>", header)).is_auto_reply is False


def test_bounce_of_our_outbound_mail_is_read_from_the_dsn():
    raw = fixture_bytes(
        "bounce_postfix.eml", from_="lek@example.net", subject="Parcel [HD-7]", in_reply_to="<out-1@helpdesk.example>"
    )
    msg = parse_email(raw)
    assert msg.is_bounce is True
    assert msg.bounced_message_ids == ["<out-1@helpdesk.example>"]
    assert msg.bounce_reason == (
        "lek@example.net: 550 5.1.1 <lek@example.net>: Recipient address rejected: User unknown in virtual mailbox table"
    )


def test_forwarded_message_becomes_an_eml_file_and_stays_readable():
    inner = _mail(
        "From: Original Sender <orig@example.org>", "Subject: The original", "Message-ID: <in@x>", body="Original words"
    )
    raw = (
        b"From: fwd@example.com\r\nSubject: Fwd: The original\r\nMessage-ID: <outer@x>\r\n"
        b'Content-Type: multipart/mixed; boundary="B"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nSee below.\r\n'
        b"--B\r\nContent-Type: message/rfc822\r\n\r\n" + inner + b"\r\n--B--\r\n"
    )
    msg = parse_email(raw)
    assert [a.filename for a in msg.attachments] == ["The original.eml"]
    assert msg.attachments[0].content_type == "message/rfc822"
    assert msg.text.startswith(
        "See below.\n\n---------- Forwarded message ----------\nFrom: Original Sender <orig@example.org>"
    )
    assert msg.text.endswith("Original words")


@pytest.mark.django_db
def test_attachments_are_stored_with_a_checked_type_and_executables_never_inline(settings):
    settings.HELPDESK_MAX_ATTACHMENT_BYTES = 2000
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
    exe = b"MZ\x90\x00" + b"\x00" * 40
    raw = (
        b'From: a@example.com\r\nMessage-ID: <files@x>\r\nContent-Type: multipart/related; boundary="B"\r\n\r\n'
        b'--B\r\nContent-Type: text/html\r\n\r\n<p>see <img src="cid:logo@x"></p><script>alert(1)</script>\r\n'
        b"--B\r\nContent-Type: image/png\r\nContent-ID: <logo@x>\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(png)
        + b"--B\r\nContent-Type: image/png; name=photo.png\r\nContent-Disposition: inline; filename=photo.png\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(exe)
        + b"--B\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=big.pdf\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(b"%PDF-1.4" + b"0" * 3000) + b"--B--\r\n"
    )
    message = email_ingest(raw=raw).message
    files = {a.filename: a for a in Attachment.objects.filter(message=message)}
    assert set(files) == {"logo.png", "photo.png"}
    assert (files["logo.png"].content_type, files["logo.png"].inline, files["logo.png"].content_id) == (
        "image/png",
        True,
        "logo@x",
    )
    # An executable that claims to be a picture is a download, never shown inline.
    assert (files["photo.png"].content_type, files["photo.png"].inline) == ("application/octet-stream", False)
    assert message.metadata["dropped_attachments"] == ["big.pdf (3008 bytes)"]
    assert "<script>" not in message.html and 'src="cid:logo@x"' in message.html
    assert message.text == "see"


@pytest.mark.parametrize(
    ("filename", "declared", "data", "expected"),
    [
        ("scan.pdf", "application/octet-stream", b"%PDF-1.7 ...", "application/pdf"),
        ("photo.jpg", "image/jpg", b"\xff\xd8\xff\xe0", "image/jpeg"),
        ("notes.txt", "", b"plain words", "text/plain"),
        ("setup.exe", "application/pdf", b"%PDF-", "application/octet-stream"),
        ("run.sh", "text/plain", b"#!/bin/sh", "application/octet-stream"),
        ("fake.gif", "image/gif", b"%PDF-1.4", "application/pdf"),
    ],
)
def test_content_type_trusts_the_bytes_over_the_claim(filename, declared, data, expected):
    assert attachments.content_type_for(filename=filename, declared=declared, data=data) == expected


def test_gmail_reply_keeps_only_the_new_text_and_the_full_text_in_metadata():
    raw = fixture_bytes(
        "gmail_reply.eml", from_="lek@example.net", subject="Parcel [HD-7]", references="<a@x>", in_reply_to="<a@x>",
        quoted="It ships today.",
    )  # fmt: skip
    msg = parse_email(raw)
    assert msg.text == "Still nothing here, the tracking page has not changed since Friday."
    assert "> It ships today." in msg.metadata["email"]["full_text"]
    assert "It ships today" not in msg.html
    assert "Still nothing here" in msg.html


def test_thai_gmail_quote_header_is_stripped():
    body = "ได้รับของแล้วค่ะ ขอบคุณค่ะ\r\n\r\nเมื่อ จ. 23 พ.ย. 2026 เวลา 16:05 Support <support@helpdesk.example> เขียนว่า:\r\n> จัดส่งแล้วค่ะ\r\n"
    msg = parse_email(_mail("From: a@example.com", "Subject: Re: Parcel", "Message-ID: <t@x>", body=body))
    assert msg.text == "ได้รับของแล้วค่ะ ขอบคุณค่ะ"


def test_forwarded_text_in_the_body_is_not_stripped_as_a_quote():
    body = "FYI, see the customer's mail.\r\n\r\n---------- Forwarded message ---------\r\nFrom: Customer <c@example.org>\r\n\r\nMy order never came.\r\n"
    msg = parse_email(_mail("From: colleague@example.com", "Subject: Fwd: order", "Message-ID: <f@x>", body=body))
    assert "My order never came." in msg.text


@pytest.mark.parametrize(
    "name",
    [
        "gmail",
        "hotmail",
        "ms_outlook_2003",
        "ms_outlook_2007",
        "ms_outlook_2010",
        "thunderbird",
        "windows_mail",
        "yandex_ru",
        "mail_ru",
    ],
)
def test_html_quote_of_each_client_is_cut(name):
    path = CORPUS / "talon" / "html_replies" / f"{name}.html"
    if not path.exists():
        pytest.skip(f"the public email corpus is not at {CORPUS}")
    html = path.read_bytes().decode("utf-8", "replace")
    visible = html_to_text(quotes.strip_quoted_html(html))
    assert "Hi. I am fine." in visible
    assert "How are you?" not in visible
    # The text route (an HTML-only mail) gives the reply too.
    assert quotes.strip_quoted_text(html_to_text(html)).startswith("Hi. I am fine.")


@pytest.mark.django_db
def test_ingesting_a_mail_with_many_recipients_costs_no_more_queries(django_assert_num_queries):
    def mail(n: int, tag: str) -> bytes:
        cc = ", ".join(f"person{i}@example.org" for i in range(n))
        return _mail("From: same@example.com", f"Message-ID: <{tag}@x>", f"Cc: {cc}", f"Subject: hello {tag}")

    email_ingest(raw=mail(1, "warm"))  # the customer exists from here on
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        email_ingest(raw=mail(1, "one"))
    with django_assert_num_queries(len(one.captured_queries)):
        email_ingest(raw=mail(200, "many"))
    assert Message.objects.get(external_id="<many@x>").metadata["email"]["cc"][-1] == "person49@example.org"


def test_read_receipt_is_automatic_not_a_bounce():
    raw = (
        b"From: lek@example.net\r\nMessage-ID: <mdn@x>\r\nSubject: Read: Parcel\r\n"
        b'Content-Type: multipart/report; report-type=disposition-notification; boundary="R"\r\n\r\n'
        b"--R\r\nContent-Type: text/plain\r\n\r\nYour message was read.\r\n"
        b"--R\r\nContent-Type: message/disposition-notification\r\n\r\n"
        b"Final-Recipient: rfc822; lek@example.net\r\nOriginal-Message-ID: <out@helpdesk.example>\r\n"
        b"Disposition: manual-action/MDN-sent-manually; displayed\r\n\r\n--R--\r\n"
    )
    msg = parse_email(raw)
    assert (msg.is_auto_reply, msg.is_bounce, msg.attachments) == (True, False, [])


def test_a_tree_the_strict_policy_cannot_read_is_read_with_compat32(monkeypatch):
    from channels_app.email import inbound

    real_parse = inbound._parse

    def strict_policy_breaks(raw, *, strict):
        if strict:
            raise IndexError("policy.default choked on a header")
        return real_parse(raw, strict=strict)

    monkeypatch.setattr(inbound, "_parse", strict_policy_breaks)
    raw = fixture_bytes("thai_windows874.eml")
    msg = parse_email(raw)
    assert "ผมถูกตัดเงิน 1,250 €" in msg.text
    assert msg.subject == "ถูกตัดเงินซ้ำ"


def test_content_language_sets_the_language_hint():
    msg = parse_email(_mail("From: a@example.com", "Message-ID: <l@x>", "Content-Language: th-TH"))
    assert msg.language == "th"


def test_a_qmail_bounce_without_a_report_names_the_returned_message():
    body = (
        "Hi. This is the qmail-send program at mx.example.net.\r\nI'm afraid I wasn't able to deliver your message.\r\n\r\n"
        "<lek@example.net>:\r\nSorry, no mailbox here by that name. (#5.1.1)\r\n\r\n"
        "--- Below this line is a copy of the message.\r\n\r\nMessage-ID: <out-9@helpdesk.example>\r\nSubject: Re: Parcel\r\n"
    )
    msg = parse_email(
        _mail("From: MAILER-DAEMON@mx.example.net", "Subject: failure notice", "Message-ID: <q@x>", body=body)
    )
    assert msg.is_bounce is True
    assert msg.bounced_message_ids == ["<out-9@helpdesk.example>"]


@pytest.mark.parametrize(
    "html",
    ["<script>" * 20000, "<div " * 200000, "<b><span " * 20000, '<div style="' * 20000, "<style>" * 20000],
    ids=["unclosed-scripts", "unclosed-divs", "bold-spans", "open-styles", "unclosed-styles"],
)
@pytest.mark.django_db
def test_hostile_html_is_handled_in_linear_time(html):
    import time

    raw = (
        b"From: a@example.com\r\nSubject: Re: x\r\nMessage-ID: <h@x>\r\nContent-Type: text/html\r\n\r\n" + html.encode()
    )
    started = time.perf_counter()
    result = email_ingest(raw=raw)
    assert result.status == "processed"
    assert time.perf_counter() - started < 10
