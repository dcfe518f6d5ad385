"""Hostile input on every route: malformed, mistyped, oversized, replayed or plain
odd requests get a 4xx with a clear message (or an ordinary page), never a 5xx.

Each route is hit by every kind of caller (an agent, a supervisor, a signed-in
customer, nobody) with the same battery of requests, through Django's test client
with exceptions turned into responses, so a crash shows up as its status code.
The websocket routes get their own battery through the real ASGI stack."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from twilio.request_validator import RequestValidator

from tests.factories import deliver, make_user
from tickets.models import Role

HUGE_ID = "99999999999999999999"  # overflows a 64-bit integer
BIG_TEXT = "x" * 100_000
NOT_UTF8 = b"\xff\xfe\xfa bad \xc3\x28 bytes"

# Values of the wrong type for a JSON field.
ODD_VALUES: list = [
    None,
    "",
    "abc",
    -1,
    0,
    int(HUGE_ID),
    1.5,
    True,
    [],
    ["a", 1],
    {},
    {"nested": {"deeper": [1, {"x": None}]}},
    "\x00nul",
    BIG_TEXT,
    "<script>alert(1)</script>",
]

ODD_QUERIES: list[dict] = [
    {"page": "-1"},
    {"page": "abc"},
    {"page": HUGE_ID},
    {"page_size": "100000"},
    {"page_size": "-5"},
    {"from": "2024-13-45", "to": "garbage"},
    {"from": "2024-01-01", "to": "1999-01-01"},
    {"from": "0001-01-01", "to": "9999-12-31"},
    {"cursor": "garbage"},
    {"cursor": "%%%"},
    {"q": "\x00"},
    {"q": BIG_TEXT},
    {"lang": "xx", "q": "a"},
    {"id": HUGE_ID, "ticket": "-1", "customer": "abc", "status": "nope", "channel": "carrier-pigeon"},
    {"team": HUGE_ID, "agent": "abc", "channel": "\x00"},
    {"identity": "\x00"},
    {"identity": "+" + "9" * 60},
    {"ordering": "-nonexistent"},
    {"format": "xml"},
    {"next": "//evil.example"},
    {"tab": "x", "sort": "'; drop table", "filter": "[]"},
]


ANYMAIL_SECRETS = {"WEBHOOK_SECRET": "hook:secret", "MAILGUN_WEBHOOK_SIGNING_KEY": "mailgun-key"}


@dataclass
class World:
    """The rows the routes point at, and the callers."""

    ids: dict[str, str]
    clients: dict[str, Client] = field(default_factory=dict)


def _client(user=None) -> Client:
    client = Client(raise_request_exception=False, enforce_csrf_checks=False)
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def world(db, roles, settings) -> World:
    cache.clear()
    settings.HELPDESK_PUBLIC_URL = "http://testserver"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Configured as in production: an ESP webhook without its secret is a deployment error.
    settings.ANYMAIL = {**settings.ANYMAIL, **ANYMAIL_SECRETS}
    from kb.models import Category
    from kb.portal.services import portal_user_ensure
    from kb.services import article_create
    from tickets.inbound import InboundAttachment
    from tickets.models import CannedResponse

    agent = make_user("agent1", roles=[Role.AGENT])
    supervisor = make_user("super1", roles=[Role.SUPERVISOR])
    result = deliver(
        "email",
        "alice@example.com",
        "My parcel is late",
        subject="Parcel",
        sender_name="Alice",
        attachments=[InboundAttachment(filename="a.txt", content_type="text/plain", content=b"hi")],
    )
    customer = result.message.customer
    category = Category.objects.create(slug="general", name_en="General", name_th="ทั่วไป")
    article = article_create(
        title="Pay with PromptPay", body="Scan the **QR**.", lang="en", category=category, published=True
    )
    canned = CannedResponse.objects.create(title="Hi", body="Hello {{customer.name}}")
    ids = {
        "customer": str(customer.pk),
        "ticket": str(result.ticket.pk),
        "message": str(result.message.pk),
        "article": str(article.pk),
        "slug": article.slug,
        "category": category.slug,
        "attachment": str(result.message.attachments.first().pk),
        "canned": str(canned.pk),
    }
    return World(
        ids=ids,
        clients={
            "agent": _client(agent),
            "supervisor": _client(supervisor),
            "customer": _client(portal_user_ensure(customer=customer)),
            "anonymous": _client(),
        },
    )


# Routes with {placeholders} filled from World.ids, or with hostile ids.
ROUTES: list[str] = [
    "/",
    "/api/schema/",
    "/api/docs/",
    "/api/v1/",
    "/api/v1/kpis/",
    "/api/v1/kb/",
    "/api/v1/kb/search/",
    "/api/v1/kb/suggest/",
    "/api/v1/kb/deflection/",
    "/api/v1/kb/articles/",
    "/api/v1/kb/articles/from-message/",
    "/api/v1/kb/articles/{article}/",
    "/api/v1/customers/",
    "/api/v1/customers/{customer}/",
    "/api/v1/customers/{customer}/merge/",
    "/api/v1/customers/{customer}/timeline/",
    "/api/v1/tickets/",
    "/api/v1/tickets/{ticket}/",
    "/api/v1/tickets/{ticket}/messages/",
    "/console/",
    "/console/login/",
    "/console/bulk/",
    "/console/tickets/{ticket}/",
    "/console/tickets/{ticket}/row/",
    "/console/tickets/{ticket}/reply/",
    "/console/tickets/{ticket}/update/",
    "/console/tickets/{ticket}/canned/{canned}/",
    "/console/tickets/{ticket}/macro/",
    "/console/messages/{message}/",
    "/console/approvals/",
    "/console/approvals/{message}/",
    "/console/notifications/read/",
    "/console/attachments/{attachment}/",
    "/console/dashboard/",
    "/console/dashboard/export.csv",
    "/console/rules/",
    "/console/rules/new/",
    "/console/rules/{message}/",
    "/console/rules/{message}/delete/",
    "/survey/{slug}/",
    "/portal/",
    "/portal/signin/",
    "/portal/signin/sent/",
    "/portal/signin/code/",
    "/portal/signin/link/{slug}/",
    "/portal/tickets/",
    "/portal/tickets/status.json",
    "/portal/tickets/{ticket}/",
    "/portal/attachments/{attachment}/",
    "/portal/requests/new/",
    "/portal/requests/sent/",
    "/portal/suggest/",
    "/portal/suggestions/opened/",
    "/portal/surveys/{message}/",
    "/portal/privacy/",
    "/portal/privacy/export.json",
    "/portal/privacy/export.html",
    "/help/",
    "/help/search/",
    "/help/articles/{slug}/",
    "/help/articles/{slug}/feedback/",
    "/help/{category}/",
    "/chat/embed.js",
    "/chat/widget/",
    "/chat/session/",
    "/chat/upload/",
    "/chat/offline/",
    "/webhooks/twilio/sms/",
    "/webhooks/twilio/whatsapp/",
    "/webhooks/twilio/status/",
    "/webhooks/twilio/media/{slug}/",
    "/webhooks/email/inbound/",
    "/webhooks/line/",
    "/webhooks/meta/",
    "/portal/line/",
    "/webhooks/anymail/mailgun/inbound/",
    "/webhooks/anymail/postmark/inbound/",
    "/webhooks/anymail/sendgrid/inbound/",
    "/webhooks/anymail/mailgun/tracking/",
    "/i18n/setlang/",
]

# Path values: the real row, one that does not exist, one that overflows bigint,
# and, for string slots, hostile text.
INT_IDS = ["{real}", "0", "987654", HUGE_ID, "abc", "true"]
STR_IDS = ["{real}", "does-not-exist", "%00", "%FF%FE", "a" * 3000, "..%2F..%2Fetc%2Fpasswd"]


def _paths(route: str, ids: dict[str, str]) -> list[str]:
    """The route with each placeholder in turn set to every hostile value."""
    import re

    slots = re.findall(r"{(\w+)}", route)
    if not slots:
        return [route]
    real = {slot: ids.get(slot, "1") for slot in slots}
    paths = [route.format(**real)]
    for slot in slots:
        choices = STR_IDS if slot in ("slug", "category") else INT_IDS
        for value in choices[1:]:
            paths.append(route.format(**{**real, slot: value}))
    return paths


def _bodies() -> list[tuple[str, dict]]:
    """(label, client kwargs) for the request bodies of the battery."""
    bodies: list[tuple[str, dict]] = [
        ("empty", {}),
        ("malformed json", {"data": b'{"text": "unterminated', "content_type": "application/json"}),
        ("json array", {"data": b"[1, 2, 3]", "content_type": "application/json"}),
        ("json scalar", {"data": b"42", "content_type": "application/json"}),
        ("json null", {"data": b"null", "content_type": "application/json"}),
        ("deep json", {"data": ("[" * 5000 + "]" * 5000).encode(), "content_type": "application/json"}),
        ("not utf-8 json", {"data": b'{"text": "' + NOT_UTF8 + b'"}', "content_type": "application/json"}),
        ("not utf-8 text", {"data": NOT_UTF8, "content_type": "text/plain"}),
        ("not utf-8 form", {"data": b"text=" + NOT_UTF8 + b"&q=%FF%FE", "content_type": "application/x-www-form-urlencoded"}),
        ("nul in form", {"data": urlencode({"text": "a\x00b", "body": "\x00", "email": "a\x00@x.com"}), "content_type": "application/x-www-form-urlencoded"}),
        ("json as text/plain", {"data": b'{"text": "hi"}', "content_type": "text/plain"}),
        ("unknown content type", {"data": b"<xml/>", "content_type": "application/xml"}),
        ("broken multipart", {"data": b"--xx\r\nContent-Disposition: form-data\r\n\r\n", "content_type": "multipart/form-data; boundary=xx"}),
        ("multipart no boundary", {"data": b"abc", "content_type": "multipart/form-data"}),
        ("multipart with file", {"data": {"file": SimpleUploadedFile("<b>x</b>.exe", b"MZ" * 10), "text": "hi"}}),
    ]
    keys = [
        "text", "body", "title", "subject", "lang", "category", "published", "status", "priority", "assignee",
        "team", "tags", "channel", "kind", "customer", "ticket", "into", "other", "message", "q", "email", "phone",
        "name", "score", "comment", "id", "ids", "action", "tickets", "conditions", "actions", "code", "identity",
        "helpful", "slug", "article", "query", "visitor", "token", "From", "To", "Body", "MessageSid",
        "MessageStatus", "NumMedia",
    ]
    for value in ODD_VALUES:
        payload = {key: value for key in keys}
        label = f"json fields = {str(value)[:30]!r}"
        bodies.append((label, {"data": json.dumps(payload), "content_type": "application/json"}))
        if not isinstance(value, dict | list) and value is not None:
            bodies.append((f"form fields = {str(value)[:30]!r}", {"data": {key: str(value) for key in keys}}))
    bodies.append(("form lists", {"data": {key: ["1", "x", "", HUGE_ID] for key in keys}}))
    return bodies


PLAIN_JSON = json.dumps({"text": "hello", "title": "t", "body": "b", "email": "a@example.com"})


def _is_api(path: str) -> bool:
    return path.startswith("/api/v1/")


def _check(response, label: str, failures: list[str]) -> None:
    if response.status_code >= 500:
        failures.append(f"{label} -> {response.status_code}")
        return
    method, path = label.split(" ", 2)[:2]
    if (
        _is_api(path)
        and method != "HEAD"
        and 400 <= response.status_code < 500
        and response.get("Content-Type", "").startswith("application/json")
    ):
        data = response.json()
        if not (isinstance(data, dict) and data.get("detail")):
            failures.append(f"{label} -> {response.status_code} without a detail: {str(data)[:200]}")


def _battery(client: Client, route: str, ids: dict[str, str]) -> list[str]:
    """Every body and query on the real row; the odd ids get the plain methods and a JSON body."""
    failures: list[str] = []
    paths = _paths(route, ids)
    for path in paths:
        for method in ("get", "head", "options", "delete"):
            _check(getattr(client, method)(path), f"{method.upper()} {path}", failures)
        _check(client.post(path, PLAIN_JSON, content_type="application/json"), f"POST {path} [plain json]", failures)
    real = paths[0]
    bodies = _bodies()  # fresh upload files for each caller
    for query in ODD_QUERIES:
        _check(client.get(real, query), f"GET {real} ?{str(query)[:80]}", failures)
    for label, kwargs in bodies:
        _check(client.post(real, **kwargs), f"POST {real} [{label}]", failures)
    for label, kwargs in bodies[:6]:
        for method in ("put", "patch"):
            _check(getattr(client, method)(real, **kwargs), f"{method.upper()} {real} [{label}]", failures)
    return failures


CALLERS = ["agent", "supervisor", "customer", "anonymous"]


@pytest.mark.parametrize("route", ROUTES)
def test_no_route_answers_hostile_input_with_a_server_error(world, route, caplog):
    failures: list[str] = []
    for caller in CALLERS:
        cache.clear()  # rate limits would hide the later callers' answers
        failures += [f"{caller}: {f}" for f in _battery(world.clients[caller], route, world.ids)]
    assert not failures, "\n".join(failures[:60])


# --- Regressions found by the battery above, each pinned with its exact input. ---


def test_json_nested_deeper_than_the_recursion_limit_is_a_400(world):
    deep = ("[" * 5000 + "]" * 5000).encode()
    response = world.clients["agent"].post("/api/v1/tickets/", deep, content_type="application/json")
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]


def test_deflection_dates_at_the_ends_of_the_calendar_are_a_400(world):
    response = world.clients["supervisor"].get("/api/v1/kb/deflection/", {"from": "0001-01-01", "to": "9999-12-31"})
    assert response.status_code == 400
    assert "must be between 1900-01-01 and 2999-12-31" in response.json()["detail"]


def test_a_100kb_customer_search_is_answered(world):
    response = world.clients["agent"].get("/api/v1/customers/", {"q": BIG_TEXT})
    assert response.status_code == 200
    assert response.json()["results"] == []


@pytest.mark.parametrize(
    "path, query",
    [
        ("/api/v1/tickets/", {"q": "\x00"}),
        ("/api/v1/customers/", {"q": "a\x00b"}),
        ("/api/v1/kb/articles/", {"q": "\x00"}),
        ("/api/v1/customers/{customer}/", {"identity": "\x00"}),
        ("/help/articles/%00/", {}),
        ("/help/search/", {"q\x00": "x"}),
    ],
)
def test_a_nul_character_in_the_address_is_a_400(world, path, query):
    response = world.clients["agent"].get(path.format(**world.ids), query)
    assert response.status_code == 400
    message = response.json()["detail"] if path.startswith("/api/") else response.content.decode()
    assert "NUL character" in message


def test_a_nul_character_in_a_looked_up_api_field_is_a_400(world):
    body = {"title": "T", "body": "b", "lang": "en", "category": "\x00general", "related": []}
    response = world.clients["agent"].post("/api/v1/kb/articles/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"]


@pytest.mark.parametrize("method", ["get", "post", "patch"])
@pytest.mark.parametrize("suffix", ["", "timeline/", "merge/", "messages/"])
@pytest.mark.parametrize("kind", ["customers", "tickets"])
def test_a_path_id_that_is_not_a_number_is_a_404(world, kind, suffix, method):
    # Found by schemathesis: the detail actions looked the id up with get_object_or_404 and int() failed.
    response = getattr(world.clients["agent"], method)(f"/api/v1/{kind}/g/{suffix}", {}, content_type="application/json")
    assert response.status_code == 404


def test_options_on_the_api_docs_page_is_refused_cleanly(world):
    assert world.clients["anonymous"].options("/api/docs/").status_code == 405


# --- Webhooks: hostile but correctly signed posts, and replays. ---


def _twilio_post(client: Client, path: str, params: dict):
    signature = RequestValidator(settings.TWILIO_AUTH_TOKEN).compute_signature(
        settings.HELPDESK_PUBLIC_URL + path, params
    )
    return client.post(
        path, urlencode(params), content_type="application/x-www-form-urlencoded", HTTP_X_TWILIO_SIGNATURE=signature
    )


TWILIO_HOSTILE_PARAMS: list[dict] = [
    {},
    {"MessageSid": "SM1"},
    {"MessageSid": "SM2", "From": "\x00", "Body": "x"},
    {"MessageSid": "SM3", "From": "+" + "9" * 60, "Body": "x"},
    {"MessageSid": "SM4", "From": "not a phone", "Body": "x"},
    {"MessageSid": "SM5", "From": "+66812345678", "Body": BIG_TEXT, "NumMedia": "abc"},
    {"MessageSid": "SM6", "From": "+66812345678", "Body": "x", "NumMedia": HUGE_ID},
    {"MessageSid": "SM7", "From": "+66812345678", "Body": "x", "NumMedia": "-3"},
    {"MessageSid": "SM8", "From": "+66812345678", "Body": "x", "NumMedia": "1", "MediaUrl0": "file:///etc/passwd"},
    {"MessageSid": "S" * 5000, "From": "+66812345678", "Body": "x\x00y"},
    {"MessageSid": "SM9", "MessageStatus": "delivered\x00", "ErrorCode": "abc"},
    {"MessageSid": "SM10", "MessageStatus": "not-a-status", "ErrorCode": HUGE_ID},
]


@pytest.mark.parametrize("path", ["/webhooks/twilio/sms/", "/webhooks/twilio/whatsapp/", "/webhooks/twilio/status/"])
def test_signed_but_hostile_twilio_posts_are_never_a_server_error(world, path, settings):
    settings.TWILIO_MEDIA_DOWNLOAD = False
    client = world.clients["anonymous"]
    for params in TWILIO_HOSTILE_PARAMS:
        response = _twilio_post(client, path, params)
        assert response.status_code < 500, (params, response.status_code)


def test_a_replayed_twilio_message_sid_is_stored_once(world):
    from tickets.models import Message

    params = {"MessageSid": "SMreplay1", "From": "+66812345679", "To": settings.TWILIO_SMS_FROM, "Body": "hi"}
    for _ in range(3):
        assert _twilio_post(world.clients["anonymous"], "/webhooks/twilio/sms/", params).status_code == 200
    assert Message.objects.filter(external_id__contains="SMreplay1").count() == 1


EMAIL_HOSTILE_BODIES: list[bytes] = [
    b"",
    b"\x00\x00\x00",
    NOT_UTF8,
    b"From: \r\nSubject: \xff\xfe\r\n\r\nbody",
    b"From: a@example.com\r\nMessage-ID: <" + b"x" * 5000 + b">\r\n\r\nhi",
    b"From: =?utf-8?b?!!!notbase64?= <a@example.com>\r\nSubject: =?x-unknown?q?hi?=\r\n\r\nhi",
    b"From: a@example.com\r\nContent-Type: multipart/mixed; boundary=\r\n\r\n--\r\n",
    b"From: a@example.com\r\nContent-Type: text/html; charset=no-such-charset\r\n\r\n<b>hi</b>\x00",
    b"From: a@example.com\r\nDate: Thu, 45 Foo 99999 99:99:99 +9999\r\n\r\nhi",
    b"From: " + b"a" * 100_000 + b"@example.com\r\n\r\nhi",
]


def test_hostile_raw_emails_are_never_a_server_error(world):
    client = world.clients["anonymous"]
    for body in EMAIL_HOSTILE_BODIES:
        response = client.post(
            "/webhooks/email/inbound/",
            body,
            content_type="message/rfc822",
            HTTP_X_HELPDESK_TOKEN=settings.HELPDESK_INBOUND_TOKEN,
        )
        assert response.status_code < 500, (body[:80], response.status_code)


def test_a_replayed_email_message_id_is_stored_once(world):
    from tickets.models import Message

    raw = b"From: bob@example.com\r\nSubject: Hello\r\nMessage-ID: <replay-1@example.com>\r\n\r\nHi there"
    for _ in range(3):
        response = world.clients["anonymous"].post(
            "/webhooks/email/inbound/", raw, content_type="message/rfc822",
            HTTP_X_HELPDESK_TOKEN=settings.HELPDESK_INBOUND_TOKEN,
        )
        assert response.status_code < 300
    assert Message.objects.filter(external_id__contains="replay-1@example.com").count() == 1


ANYMAIL_INBOUND = [
    "/webhooks/anymail/mailgun/inbound/",
    "/webhooks/anymail/mailgun/inbound_mime/",
    "/webhooks/anymail/postmark/inbound/",
    "/webhooks/anymail/sendgrid/inbound/",
    "/webhooks/anymail/amazon_ses/inbound/",
]


def test_authenticated_but_hostile_esp_posts_are_never_a_server_error(world):
    """Wrong shapes (a JSON array, a number for the signature) and bodies that are no
    email at all are 400s from the strict views of channels_app.email.anymail_urls."""
    import base64

    auth = "Basic " + base64.b64encode(ANYMAIL_SECRETS["WEBHOOK_SECRET"].encode()).decode()
    client = world.clients["anonymous"]
    for path in ANYMAIL_INBOUND:
        for label, kwargs in _bodies()[:16]:
            response = client.post(path, HTTP_AUTHORIZATION=auth, **kwargs)
            assert response.status_code < 500, (path, label, response.status_code)


# --- The chat widget's HTTP side, with a valid session. ---


def _chat_token(name: str = "Somchai") -> str:
    from channels_app.chat.session import session_start

    return session_start(name=name, email="somchai@example.com", phone="")[1]


def test_hostile_chat_uploads_are_answered_with_a_4xx(world):
    client = world.clients["anonymous"]
    token = _chat_token()
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 20
    cases = [
        {"id": str(uuid.uuid4()), "ticket": HUGE_ID, "file": SimpleUploadedFile("a.png", png, "image/png")},
        {"id": str(uuid.uuid4()), "ticket": "-1", "file": SimpleUploadedFile("a.png", png, "image/png")},
        {"id": str(uuid.uuid4()), "text": "a\x00b", "file": SimpleUploadedFile("a\x00b.png", png, "image/png")},
        {"id": str(uuid.uuid4()), "file": SimpleUploadedFile("x" * 500 + ".png", png, "image/png")},
        {"id": "not-a-uuid", "file": SimpleUploadedFile("a.png", png, "image/png")},
        {"id": str(uuid.uuid4()), "file": SimpleUploadedFile("a.html", b"<script>", "text/html")},
        {"id": str(uuid.uuid4()), "file": SimpleUploadedFile("a.png", b"<script>", "image/png")},
    ]
    for data in cases:
        cache.clear()
        response = client.post("/chat/upload/", data, HTTP_X_CHAT_TOKEN=token)
        assert response.status_code < 500, (data, response.status_code, response.content[:300])


def test_a_replayed_chat_upload_id_is_stored_once(world):
    from tickets.models import Message

    client = world.clients["anonymous"]
    token = _chat_token()
    client_id = str(uuid.uuid4())
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 20
    statuses = [
        client.post(
            "/chat/upload/", {"id": client_id, "file": SimpleUploadedFile("a.png", png, "image/png")},
            HTTP_X_CHAT_TOKEN=token,
        ).status_code
        for _ in range(2)
    ]
    assert statuses == [201, 200]
    assert Message.objects.filter(external_id__contains=client_id).count() == 1


def test_a_replayed_offline_chat_message_is_stored_once(world):
    from tickets.models import Message

    client = world.clients["anonymous"]
    client_id = str(uuid.uuid4())
    data = {"id": client_id, "name": "Nok", "email": "nok@example.com", "message": "Are you open on Sunday?"}
    for _ in range(2):
        assert client.post("/chat/offline/", data).status_code == 201
    assert Message.objects.filter(text="Are you open on Sunday?").count() == 1


def test_a_replayed_portal_reply_uuid_is_stored_once(world):
    from tickets.models import Message

    client = Client()
    client.cookies = world.clients["customer"].cookies
    data = {"request_uuid": str(uuid.uuid4()), "text": "Any news on my parcel?"}
    for _ in range(2):
        assert client.post(f"/portal/tickets/{world.ids['ticket']}/", data).status_code < 400
    assert Message.objects.filter(text="Any news on my parcel?").count() == 1


# --- Websockets: binary, non-JSON, huge and wrongly shaped frames. ---

WS_HOSTILE_TEXT: list[str] = [
    " ",
    "not json",
    "{",
    "null",
    "[]",
    "42",
    '"type"',
    "[" * 2000 + "]" * 2000,  # under the frame limits, over the decoder's recursion limit
    json.dumps({"type": None}),
    json.dumps({"type": ["message"]}),
    json.dumps({"type": "nope"}),
    json.dumps({"type": "message"}),
    json.dumps({"type": "message", "id": 5, "text": {"a": 1}}),
    json.dumps({"type": "message", "id": "not-a-uuid", "text": "hi"}),
    json.dumps({"type": "message", "id": str(uuid.uuid4()), "text": BIG_TEXT}),
    json.dumps({"type": "message", "id": str(uuid.uuid4()), "text": "nul \x00 inside"}),
    json.dumps({"type": "message", "id": str(uuid.uuid4()), "text": "\ud800 lone surrogate"}),
    json.dumps({"type": "read", "up_to": int(HUGE_ID)}),
    json.dumps({"type": "read", "up_to": "abc"}),
    json.dumps({"type": "read", "up_to": -1}),
    json.dumps({"type": "typing", "active": {"x": 1}}),
    json.dumps({"type": "transcript", "request_id": None}),
    json.dumps({"type": "ticket.view", "ticket": HUGE_ID}),
    json.dumps({"type": "ticket.view", "ticket": int(HUGE_ID)}),
    json.dumps({"type": "ticket.view", "ticket": -1}),
    json.dumps({"type": "ticket.view", "ticket": True}),
    json.dumps({"type": "ticket.view", "ticket": "٣"}),
    json.dumps({"type": "ticket.leave", "ticket": [1]}),
    json.dumps({"type": "typing", "ticket": "1"}),
    json.dumps({"type": "presence", "presence": {"x": 1}}),
    json.dumps({"type": "heartbeat", "extra": "x" * 60_000}),
    "x" * 1_100_000,
]


async def _drain(communicator: WebsocketCommunicator) -> list[dict]:
    frames = []
    while not await communicator.receive_nothing(timeout=0.3):
        output = await communicator.receive_output(timeout=1)
        if output["type"] == "websocket.close":
            frames.append({"type": "closed", "code": output.get("code")})
            break
        frames.append(json.loads(output["text"]))
    return frames


async def _ws_battery(path: str, headers: list) -> list[str]:
    """Sends every hostile frame; none may produce a 'server_error' frame or drop the connection."""
    from helpdesk.asgi import application

    failures: list[str] = []
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    await _drain(communicator)
    frames = [("binary", b"\x00\xff" * 10), ("binary", b"{}")] + [("text", text) for text in WS_HOSTILE_TEXT]
    for kind, payload in frames:
        await cache_clear()
        if kind == "binary":
            await communicator.send_to(bytes_data=payload)
        else:
            await communicator.send_to(text_data=payload)
        answers = await _drain(communicator)
        label = f"{path} {kind} {payload[:60]!r}"
        if any(frame.get("type") == "closed" for frame in answers):
            failures.append(f"{label} -> connection closed: {answers}")
            await communicator.disconnect()
            communicator = WebsocketCommunicator(application, path, headers=headers)
            await communicator.connect()
            await _drain(communicator)
        if any(frame.get("code") == "server_error" for frame in answers):
            failures.append(f"{label} -> {answers}")
    await communicator.disconnect()
    return failures


cache_clear = sync_to_async(cache.clear)


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_hostile_frames_on_the_chat_websocket_get_an_error_frame(monkeypatch):
    from channels_app.chat import consumers

    # The battery is not a flood: the per-connection rate limit would answer for the handlers.
    monkeypatch.setattr(consumers, "BUCKET_CAPACITY", 10_000)
    token = await sync_to_async(_chat_token)()
    failures = await _ws_battery(
        f"/ws/chat/?token={token}", [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    )
    assert not failures, "\n".join(failures)


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_hostile_frames_on_the_console_websocket_get_an_error_frame(roles):
    agent = await sync_to_async(make_user)("agent-ws", roles=[Role.AGENT])
    client = Client()
    await sync_to_async(client.force_login)(agent)
    headers = [(b"origin", b"http://testserver"), (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())]
    failures = await _ws_battery("/ws/console/", headers)
    assert not failures, "\n".join(failures)


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_odd_chat_tokens_are_refused_with_a_reason():
    from helpdesk.asgi import application

    for query in ("token=garbage", "token=%00%FF", "token=" + "a" * 10_000, "token=&token=x", ""):
        communicator = WebsocketCommunicator(application, f"/ws/chat/?{query}", headers=[(b"origin", b"http://testserver")])
        connected, _ = await communicator.connect()
        assert connected
        frame = await communicator.receive_json_from(timeout=5)
        assert frame["code"] == "unauthorized"
        await communicator.disconnect()


# --- Customer-supplied markup is escaped or sanitized on every page that shows it. ---

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _assert_inert(html: str, where: str) -> None:
    assert "<script>alert" not in html, where
    assert "<img src=x onerror" not in html and "onerror=alert" not in html.replace("onerror=alert(1)&gt;", ""), where
    assert 'href="javascript:' not in html, where


def test_customer_markup_is_inert_on_every_page(world, roles):
    from kb.models import Category
    from kb.services import article_create
    from tickets.inbound import InboundAttachment
    from tickets.models import Customer

    result = deliver(
        "email",
        "mallory@example.com",
        f"text {XSS}",
        subject=f"subject {XSS}",
        sender_name=f"Mallory {XSS}",
        html=f'<p>hi</p>{XSS}<a href="javascript:alert(1)">click</a>',
        attachments=[InboundAttachment(filename=f"{XSS}.txt", content_type="text/html", content=b"<script>")],
    )
    Customer.objects.filter(pk=result.message.customer_id).update(name=f"Mallory {XSS}")
    article = article_create(
        title=f"Title {XSS}",
        body=f'Body {XSS}\n\n[link](javascript:alert(1))\n\n<a href="javascript:alert(1)">raw</a>',
        lang="en",
        category=Category.objects.get(slug="general"),
        published=True,
    )
    pages = {
        "supervisor": ["/console/", f"/console/tickets/{result.ticket.pk}/", "/console/dashboard/"],
        "agent": [f"/console/messages/{result.message.pk}/", f"/console/tickets/{result.ticket.pk}/row/"],
        "anonymous": [article.get_absolute_url(), "/help/", f"/help/search/?q={XSS}", "/chat/widget/"],
    }
    from kb.portal.services import portal_user_ensure

    mallory = _client(portal_user_ensure(customer=result.message.customer))
    for path in ["/portal/tickets/", f"/portal/tickets/{result.ticket.pk}/", "/portal/privacy/export.html"]:
        response = mallory.get(path)
        assert response.status_code == 200, path
        _assert_inert(response.content.decode(), path)
    for caller, paths in pages.items():
        for path in paths:
            response = world.clients[caller].get(path)
            assert response.status_code == 200, path
            _assert_inert(response.content.decode(), path)
    # The escaped text is still there for people to read.
    page = world.clients["supervisor"].get(f"/console/tickets/{result.ticket.pk}/").content.decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    attachment = result.message.attachments.get()
    download = world.clients["agent"].get(f"/console/attachments/{attachment.pk}/")
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"


def test_an_esp_webhook_without_its_secrets_is_not_served(db, settings):
    settings.ANYMAIL = {}
    response = Client(raise_request_exception=False).post("/webhooks/anymail/mailgun/inbound/", {"token": "x"})
    assert response.status_code == 404
    assert "not configured" in response.content.decode()
