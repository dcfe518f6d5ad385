"""Passwordless sign-in: one-time email links, SMS codes, no account enumeration,
rate limits and CSRF."""

from __future__ import annotations

import re
import time
from unittest import mock

import pytest
from django.core import mail
from django.test import Client

from kb.portal import auth
from tests.fake_twilio import FakeTwilio
from tickets.models import Customer

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://testserver(/portal/signin/link/[^/\s]+/)")


def _request_link(client: Client, address: str, **extra):
    return client.post("/portal/signin/", {"address": address}, **extra)


def _page(response) -> str:
    """The page as a visitor reads it, without the per-response CSRF token."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def _link_path() -> str:
    assert len(mail.outbox) == 1
    match = LINK.search(mail.outbox[0].body)
    assert match, mail.outbox[0].body
    return match.group(1)


def test_email_link_signs_in_once(alice):
    client = Client()
    response = _request_link(client, "  ALICE@example.com ")
    assert response.status_code == 302 and response["Location"] == "/portal/signin/sent/"
    assert mail.outbox[0].to == ["alice@example.com"]
    assert "15" in mail.outbox[0].body
    path = _link_path()

    # Opening the link (a mail scanner would) does not use it up.
    assert client.get(path).status_code == 200
    response = client.post(path)
    assert response.status_code == 302 and response["Location"] == "/portal/tickets/"
    page = client.get("/portal/tickets/")
    assert "Where is my parcel?" in page.content.decode()
    alice.refresh_from_db()
    assert alice.user is not None and not alice.user.has_usable_password()

    # A second use, even from another browser, is refused.
    other = Client()
    assert other.get(path).status_code == 410
    assert other.post(path).status_code == 410
    assert other.get("/portal/tickets/").status_code == 302


def test_email_link_expires_after_15_minutes(alice):
    client = Client()
    _request_link(client, "alice@example.com")
    path = _link_path()
    later = time.time() + 16 * 60
    with mock.patch("time.time", return_value=later):
        assert client.post(path).status_code == 410
    assert client.get("/portal/tickets/").status_code == 302


def test_tampered_link_is_refused(alice):
    client = Client()
    _request_link(client, "alice@example.com")
    path = _link_path()
    assert client.post(path.replace(":", "x:", 1)).status_code == 410
    assert client.post("/portal/signin/link/garbage/").status_code == 410


def test_sign_in_email_is_rendered_in_the_visitors_language(alice):
    with mock.patch("kb.portal.auth.translation.override", wraps=auth.translation.override) as override:
        Client().post("/portal/signin/", {"address": "alice@example.com"}, HTTP_ACCEPT_LANGUAGE="th")
    override.assert_called_once_with("th")
    message = mail.outbox[0]
    assert "Alice" in message.body
    assert message.alternatives and message.alternatives[0][1] == "text/html"


def test_second_sign_in_reuses_the_linked_user(alice):
    first = auth.signin_link_create(customer=alice)
    second = auth.signin_link_create(customer=alice)
    client = Client()
    client.post(f"/portal/signin/link/{first}/")
    user_id = Customer.objects.get(pk=alice.pk).user_id
    client.post("/portal/signout/")
    client.post(f"/portal/signin/link/{second}/")
    assert Customer.objects.get(pk=alice.pk).user_id == user_id
    assert client.get("/portal/tickets/").status_code == 200


def _code_from(sms_outbox) -> str:
    return re.search(r"\b(\d{6})\b", sms_outbox[-1]["body"]).group(1)


def test_sms_code_signs_in(bob, sms_outbox):
    client = Client()
    response = client.post("/portal/signin/", {"address": "081-234-5678"})
    assert response["Location"] == "/portal/signin/code/"
    assert sms_outbox[0]["phone"] == "+66812345678"
    code = _code_from(sms_outbox)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    response = client.post("/portal/signin/code/", {"code": wrong})
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    response = client.post("/portal/signin/code/", {"code": code[:3] + " " + code[3:]})
    assert response.status_code == 302
    assert "My card was charged twice" in client.get("/portal/tickets/").content.decode()
    # Used once: the same code does not sign in again.
    assert auth.signin_code_verify(address="+66812345678", code=code) is None


def test_sms_code_locks_out_after_five_wrong_codes(bob, sms_outbox):
    client = Client()
    client.post("/portal/signin/", {"address": "+66812345678"})
    code = _code_from(sms_outbox)
    wrong = f"{(int(code) + 7) % 1_000_000:06d}"
    for _ in range(auth.CODE_MAX_ATTEMPTS - 1):
        assert client.post("/portal/signin/code/", {"code": wrong}).status_code == 200
    locked = client.post("/portal/signin/code/", {"code": wrong})
    assert locked.status_code == 429
    assert "Too many attempts" in locked.content.decode()
    # Even the right code no longer works: the code is void and the number locked.
    with pytest.raises(auth.SigninLocked):
        auth.signin_code_verify(address="+66812345678", code=code)


def test_no_account_enumeration(alice, bob, sms_outbox):
    known = Client().post("/portal/signin/", {"address": "alice@example.com"})
    unknown = Client().post("/portal/signin/", {"address": "nobody@example.com"})
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["alice@example.com"]
    assert _page(Client().get(known["Location"])) == _page(Client().get(unknown["Location"]))

    known_phone = Client()
    unknown_phone = Client()
    r1 = known_phone.post("/portal/signin/", {"address": "0812345678"})
    r2 = unknown_phone.post("/portal/signin/", {"address": "0899999999"})
    assert (r1.status_code, r1["Location"]) == (r2.status_code, r2["Location"])
    assert len(sms_outbox) == 1
    p1 = _page(known_phone.get("/portal/signin/code/")).replace("+66812345678", "NUMBER")
    p2 = _page(unknown_phone.get("/portal/signin/code/")).replace("+66899999999", "NUMBER")
    assert p1 == p2 and "NUMBER" in p1
    # A code for an unknown number fails exactly like a wrong one.
    response = unknown_phone.post("/portal/signin/code/", {"code": "123456"})
    assert response.status_code == 200 and "That code is not right" in response.content.decode()


def test_plus_address_does_not_open_the_base_customer(db):
    from tests.factories import deliver

    deliver("email", "carol+shop@example.com", "hi", subject="Hi")
    Client().post("/portal/signin/", {"address": "carol@example.com"})
    assert mail.outbox == []


def test_invalid_address_is_a_form_error(db):
    response = Client().post("/portal/signin/", {"address": "hello there"})
    assert response.status_code == 200
    assert "Enter an email address or a mobile phone number." in response.content.decode()


def test_sign_in_is_rate_limited_per_address(alice, settings):
    settings.PORTAL_RATE_LIMITS = {"signin-address": (3, 600)}
    for n in range(3):
        assert (
            Client(REMOTE_ADDR=f"10.0.0.{n}").post("/portal/signin/", {"address": "alice@example.com"}).status_code
            == 302
        )
    response = Client(REMOTE_ADDR="10.0.0.9").post("/portal/signin/", {"address": "Alice@Example.com"})
    assert response.status_code == 429
    assert response["Retry-After"] == "600"
    assert "Please try again in 10 minutes" in response.content.decode()
    assert len(mail.outbox) == 3


def test_sign_in_is_rate_limited_per_ip(db, settings):
    settings.PORTAL_RATE_LIMITS = {"signin-ip": (2, 600)}
    client = Client(REMOTE_ADDR="10.1.1.1")
    assert client.post("/portal/signin/", {"address": "a@example.com"}).status_code == 302
    assert client.post("/portal/signin/", {"address": "b@example.com"}).status_code == 302
    assert client.post("/portal/signin/", {"address": "c@example.com"}).status_code == 429
    assert Client(REMOTE_ADDR="10.1.1.2").post("/portal/signin/", {"address": "c@example.com"}).status_code == 302


def test_csrf_is_enforced_on_sign_in_and_on_the_link(alice):
    client = Client(enforce_csrf_checks=True)
    assert client.post("/portal/signin/", {"address": "alice@example.com"}).status_code == 403
    assert mail.outbox == []
    page = client.get("/portal/signin/")
    token = page.context["csrf_token"]
    assert (
        client.post("/portal/signin/", {"address": "alice@example.com", "csrfmiddlewaretoken": str(token)}).status_code
        == 302
    )
    path = _link_path()
    # A cross-site POST cannot sign a victim in with the attacker's link (login CSRF).
    assert Client(enforce_csrf_checks=True).post(path).status_code == 403
    assert auth.signin_link_is_usable(path.split("/")[-2])


def test_sign_out_needs_post_and_csrf(alice_client, alice):
    assert alice_client.get("/portal/signout/").status_code == 405
    assert alice_client.post("/portal/signout/").status_code == 302
    assert alice_client.get("/portal/tickets/").status_code == 302


def test_erased_customer_cannot_sign_in(alice):
    token = auth.signin_link_create(customer=alice)
    Customer.objects.filter(pk=alice.pk).update(erased_at="2026-01-01T00:00:00Z")
    assert Client().post(f"/portal/signin/link/{token}/").status_code == 410


def test_the_code_goes_out_by_a_task_through_twilio_at_its_configured_address(bob, settings, caplog):
    """The real sender, to the fake Twilio API over HTTP: TWILIO_API_BASE_URL holds."""
    fake = FakeTwilio(account_sid=settings.TWILIO_ACCOUNT_SID, auth_token=settings.TWILIO_AUTH_TOKEN).start()
    settings.TWILIO_API_BASE_URL = fake.base_url
    settings.PORTAL_SMS_CODE_SENDER = "channels_app.twilio.outbound.sms_text_send"
    try:
        assert Client().post("/portal/signin/", {"address": "081 234 5678"}).status_code == 302
        assert [(r.form["To"], r.form["From"]) for r in fake.sent] == [(["+66812345678"], [settings.TWILIO_SMS_FROM])]
        code = re.search(r"\b(\d{6})\b", fake.sent[0].form["Body"][0]).group(1)
        assert auth.signin_code_verify(address="+66812345678", code=code).pk == bob.pk
        # In the demo (DEBUG), the code is logged instead of sent.
        settings.DEBUG = True
        Client().post("/portal/signin/", {"address": "081 234 5678"})
        assert len(fake.sent) == 1 and "sign-in code is" in caplog.text
    finally:
        fake.stop()


def test_the_per_address_limit_holds_for_every_spelling_of_a_number(bob, settings, sms_outbox):
    settings.PORTAL_RATE_LIMITS = {"signin-address": (2, 600)}
    assert Client().post("/portal/signin/", {"address": "081 234 5678"}).status_code == 302
    assert Client().post("/portal/signin/", {"address": "+66812345678"}).status_code == 302
    assert Client().post("/portal/signin/", {"address": "whatsapp:+66812345678"}).status_code == 429
    assert len(sms_outbox) == 2


def test_sign_in_returns_to_the_page_asked_for(alice):
    client = Client()
    response = client.get("/portal/privacy/")
    assert response["Location"] == "/portal/signin/?next=%2Fportal%2Fprivacy%2F"
    client.post(response["Location"], {"address": "alice@example.com"})
    assert client.post(_link_path()).headers["Location"] == "/portal/privacy/"
    # Somewhere else is never a place to return to.
    other = Client()
    other.post("/portal/signin/?next=https://evil.example/", {"address": "alice@example.com"})
    assert other.post(LINK.search(mail.outbox[-1].body).group(1))["Location"] == "/portal/tickets/"
