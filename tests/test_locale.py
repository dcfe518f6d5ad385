"""The Thai catalogues: complete, compiled, placeholders intact, and actually used by the
pages that customers and agents see first and by the API's errors.

locale/th holds the helpdesk's own strings (written by makemessages); locale/framework/th
holds the Thai we add to Django's and DRF's messages (kept by hand)."""

from __future__ import annotations

import ast
import gettext
import html
import json
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.test import Client
from django.utils import timezone, translation
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from kb.portal.forms import GuestRequestForm
from kb.portal.services import portal_user_ensure
from tests.factories import deliver, make_user
from tickets.delivery_errors import DELIVERY_ERROR_EXPLANATIONS
from tickets.models import Role, Ticket
from tickets.models.rules import ACTION_TYPES, CONDITION_TYPES
from tickets.services.delivery import delivery_record
from tickets.services.replies import reply_create
from tickets.services.tickets import ticket_set_status

THAI = re.compile("[\u0e00-\u0e7f]")
LOCALE = Path(settings.BASE_DIR) / "locale"
OWN = LOCALE / "th" / "LC_MESSAGES"
FRAMEWORK = LOCALE / "framework" / "th" / "LC_MESSAGES"

# %(name)s and %s style (python-format), {name} and {name:X} (str.format), HTML tags.
PLACEHOLDER = re.compile(r"%\(\w+\)[sdifr]|%[sdifr]|\{\w*(?::\w+)?\}|</?[a-zA-Z][^>]*>")


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0


def _unquote(text: str) -> str:
    # A .po string is a C string literal; Python reads its escapes (\" \\ \n \t) the same way.
    return ast.literal_eval(text)


def parse_po(path: Path) -> list[Entry]:
    """Every active entry of a .po file (obsolete #~ entries skipped), header included."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int | None] | None = None
    pending_flags: set[str] = set()
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            continue
        if line.startswith("#,"):
            pending_flags |= {flag.strip() for flag in line[2:].split(",")}
            continue
        if line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            assert current is not None and target is not None, f"{path}:{number}: stray string"
            kind, index = target
            value = _unquote(line)
            if kind == "msgstr":
                current.msgstr[index] += value
            elif kind == "msgid_plural":
                current.msgid_plural += value
            else:
                setattr(current, kind, getattr(current, kind) + value)
            continue
        if keyword in ("msgctxt", "msgid") and (current is None or current.msgstr):
            current = Entry(flags=pending_flags, line=number)
            pending_flags = set()
            entries.append(current)
        assert current is not None, f"{path}:{number}: {keyword} before msgid"
        if keyword in ("msgctxt", "msgid", "msgid_plural"):
            setattr(current, keyword, _unquote(rest))
            target = (keyword, None)
        elif keyword == "msgstr":
            current.msgstr[0] = _unquote(rest)
            target = ("msgstr", 0)
        elif keyword.startswith("msgstr["):
            index = int(keyword[len("msgstr[") : -1])
            current.msgstr[index] = _unquote(rest)
            target = ("msgstr", index)
        else:
            raise AssertionError(f"{path}:{number}: unexpected line {raw!r}")
    return entries


def _header(entries: list[Entry]) -> dict[str, str]:
    header = next(entry for entry in entries if entry.msgid == "" and entry.msgctxt is None)
    return dict(line.split(": ", 1) for line in header.msgstr[0].splitlines() if ": " in line)


def _messages(entries: list[Entry]) -> list[Entry]:
    return [entry for entry in entries if entry.msgid]


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text.replace("%%", "")))


@pytest.fixture(scope="module", params=[OWN, FRAMEWORK], ids=["own", "framework"])
def lc_messages(request) -> Path:
    return request.param


@pytest.fixture(scope="module")
def catalogue(lc_messages) -> list[Entry]:
    return parse_po(lc_messages / "django.po")


def test_both_catalogues_are_on_the_locale_path_the_helpdesk_one_first():
    assert [Path(path) for path in settings.LOCALE_PATHS] == [LOCALE, LOCALE / "framework"]


def test_catalogue_header_declares_thai_with_one_plural_form(catalogue):
    header = _header(catalogue)
    assert header["Language"] == "th"
    assert header["Plural-Forms"].replace(" ", "") == "nplurals=1;plural=0;"
    assert header["Content-Type"] == "text/plain; charset=UTF-8"
    header_entry = next(entry for entry in catalogue if entry.msgid == "")
    assert "fuzzy" not in header_entry.flags


def test_every_message_is_translated_and_none_is_fuzzy(catalogue):
    messages = _messages(catalogue)
    assert len(messages) > 50
    # Punctuation may become a space in Thai (", " between the parts of a time span).
    untranslated = [
        entry.msgid
        for entry in messages
        if not all(text.strip() or (text and not re.search(r"\w", entry.msgid)) for text in entry.msgstr.values())
    ]
    fuzzy = [entry.msgid for entry in messages if "fuzzy" in entry.flags]
    assert untranslated == []
    assert fuzzy == []


def test_plural_messages_have_exactly_the_one_thai_form(catalogue):
    plurals = [entry for entry in _messages(catalogue) if entry.msgid_plural is not None]
    assert plurals, "the catalogue holds plural messages (counts of articles, minutes, conditions)"
    wrong = [entry.msgid for entry in plurals if sorted(entry.msgstr) != [0]]
    assert wrong == []


def test_translations_keep_every_placeholder(catalogue):
    broken = []
    for entry in _messages(catalogue):
        # With one Thai form, msgstr[0] must carry the placeholders of the plural original.
        source = entry.msgid_plural if entry.msgid_plural is not None else entry.msgid
        for text in entry.msgstr.values():
            if _placeholders(text) != _placeholders(source):
                broken.append((entry.msgid, text))
    assert broken == []


def test_translations_are_thai(catalogue):
    """A msgstr that is still the English original was forgotten, unless it is a name
    that stays as it is (SLA, WhatsApp, CSAT...)."""
    thai = re.compile("[\u0e00-\u0e7f]")
    kept = {"VIP", "SLA", "SMS", "WhatsApp", "WhatsApp ID", "CSAT", "NPS", "FCR", "p90", "LINE", "Messenger", "Instagram"}
    english = [
        entry.msgid
        for entry in _messages(catalogue)
        if entry.msgid not in kept
        and re.search("[A-Za-z]", PLACEHOLDER.sub("", entry.msgid))  # "%(ticket)s: %(error)s" has no words
        and not thai.search(entry.msgstr[0])
    ]
    assert english == []


def test_the_own_catalogue_covers_the_whole_product():
    assert len(_messages(parse_po(OWN / "django.po"))) > 600


def test_compiled_catalogue_matches_the_po_file(lc_messages, catalogue):
    with (lc_messages / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for entry in _messages(catalogue):
        if entry.msgctxt is not None and entry.msgid_plural is not None:
            got = compiled.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, 1)
        elif entry.msgctxt is not None:
            got = compiled.pgettext(entry.msgctxt, entry.msgid)
        elif entry.msgid_plural is not None:
            got = compiled.ngettext(entry.msgid, entry.msgid_plural, 1)
        else:
            got = compiled.gettext(entry.msgid)
        if got != entry.msgstr[0]:
            stale.append(entry.msgid)
    assert stale == [], "run: python manage.py compilemessages -l th --ignore=.venv"


def test_po_parser_reads_continuations_plurals_and_flags(tmp_path):
    po = tmp_path / "x.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: th\\n"\n\n'
        '#, fuzzy, python-format\nmsgid "Hello %(name)s"\nmsgstr ""\n"สวัสดี "\n"%(name)s"\n\n'
        'msgid "%(n)s file"\nmsgid_plural "%(n)s files"\nmsgstr[0] "%(n)s ไฟล์"\n\n'
        '#~ msgid "gone"\n#~ msgstr "หายไป"\n',
        encoding="utf-8",
    )
    header, hello, files = parse_po(po)
    assert _header([header]) == {"Language": "th"}
    assert (hello.msgid, hello.msgstr, hello.flags) == (
        "Hello %(name)s",
        {0: "สวัสดี %(name)s"},
        {"fuzzy", "python-format"},
    )
    assert (files.msgid_plural, files.msgstr) == ("%(n)s files", {0: "%(n)s ไฟล์"})


PAGES = [
    # (url, Thai that must appear, English originals that must not)
    ("/", ["คอนโซลเจ้าหน้าที่", "พอร์ทัลช่วยเหลือ"], ["Agent console", "Help portal", "API documentation"]),
    (
        "/portal/",
        ["เข้าสู่ระบบ", "ส่งคำร้องใหม่", "ค้นหาบทความช่วยเหลือ"],
        ["Sign in", "New request", "Search the help articles"],
    ),
    (
        "/portal/signin/",
        ["เข้าสู่ระบบ", "อีเมลหรือเบอร์โทรศัพท์มือถือ", "ดำเนินการต่อ"],
        ["Sign in", "Email address or mobile number", "Continue", "No password needed"],
    ),
    ("/help/", ["ศูนย์ช่วยเหลือ", "ค้นหาในศูนย์ช่วยเหลือ", "ติดต่อเรา"], ["Help center", "Search the help center", "Contact us"]),
    (
        "/console/login/",
        ["เข้าสู่ระบบ", "คอนโซลเจ้าหน้าที่", "ชื่อผู้ใช้", "รหัสผ่าน"],
        ["Sign in", "Agent console", "Username", "Password"],
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "thai", "english"), PAGES, ids=[page[0] for page in PAGES])
def test_pages_render_in_thai_for_a_thai_browser(client, url, thai, english):
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="th-TH,th;q=0.9,en;q=0.5")
    assert response.status_code == 200
    assert response["Content-Language"] == "th"
    html = response.content.decode()
    for text in thai:
        assert text in html
    for text in english:
        assert text not in html


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "thai", "english"), PAGES, ids=[page[0] for page in PAGES])
def test_the_language_cookie_chooses_thai_and_english_stays_english(client, url, thai, english):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "th"
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert all(text in html for text in thai)

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert all(text in html for text in english)
    assert not any(text in html for text in thai)


@pytest.mark.django_db
def test_form_errors_from_python_code_are_thai(client):
    response = client.post("/portal/signin/", {"address": "not an address"}, HTTP_ACCEPT_LANGUAGE="th")
    assert response.status_code == 200
    html = response.content.decode()
    assert "กรุณากรอกอีเมลหรือเบอร์โทรศัพท์มือถือ" in html
    assert "Enter an email address or a mobile phone number." not in html


def test_model_choices_and_plurals_follow_the_glossary():
    with translation.override("th"):
        assert [str(label) for label in Ticket.Status.labels] == ["ใหม่", "เปิดอยู่", "รอลูกค้าตอบกลับ", "แก้ไขแล้ว", "ปิดแล้ว"]
        assert translation.ngettext("%(n)d minute", "%(n)d minutes", 5) % {"n": 5} == "5 นาที"


@pytest.mark.django_db
def test_api_errors_are_thai_for_a_thai_client(anon_client, agent_client):
    response = anon_client.get("/api/v1/tickets/", HTTP_ACCEPT_LANGUAGE="th", HTTP_AUTHORIZATION="Token wrong")
    assert (response.status_code, response.json()) == (401, {"detail": "โทเค็นไม่ถูกต้อง"})

    response = agent_client.post("/api/v1/tickets/", {}, format="json", HTTP_ACCEPT_LANGUAGE="th")
    assert response.status_code == 400
    assert response.json()["errors"]["subject"] == ["จำเป็นต้องกรอกช่องนี้"]

    response = agent_client.delete("/api/v1/kpis/", HTTP_ACCEPT_LANGUAGE="th")
    assert (response.status_code, response.json()) == (405, {"detail": 'ไม่อนุญาตให้ใช้เมธอด "DELETE"'})

    response = agent_client.post("/api/v1/tickets/", {}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["errors"]["subject"] == ["This field is required."]


@pytest.mark.django_db
def test_django_length_errors_are_thai_in_the_portal(client):
    limit = GuestRequestForm.base_fields["subject"].max_length
    form = {"name": "สมชาย", "email": "somchai@example.com", "subject": "ก" * (limit + 5), "text": "สวัสดีครับ"}
    response = client.post("/portal/requests/new/", form, HTTP_ACCEPT_LANGUAGE="th")
    assert response.status_code == 400
    html = response.content.decode()
    assert f"ต้องมีไม่เกิน {limit} ตัวอักษร (ขณะนี้มี {limit + 5} ตัวอักษร)" in html
    assert "Ensure this value" not in html


@pytest.mark.django_db
def test_the_helpdesks_own_api_errors_are_thai_for_a_thai_client(agent_client, roles):
    not_staff = APIClient()
    not_staff.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=make_user('somchai')).key}")
    response = not_staff.get("/api/v1/tickets/", HTTP_ACCEPT_LANGUAGE="th")
    assert (response.status_code, response.json()) == (
        403,
        {"detail": "เฉพาะเจ้าหน้าที่ หัวหน้างาน และผู้ดูแลระบบเท่านั้นที่ใช้ API นี้ได้"},
    )

    ticket = deliver("email", "somchai@example.com", "ยังไม่ได้รับของครับ", subject="คำสั่งซื้อ").message.ticket
    ticket_set_status(ticket=ticket, status=Ticket.Status.RESOLVED)
    ticket_set_status(ticket=ticket, status=Ticket.Status.CLOSED)
    url = f"/api/v1/tickets/{ticket.pk}/"
    response = agent_client.patch(url, {"status": "open"}, format="json", HTTP_ACCEPT_LANGUAGE="th")
    assert (response.status_code, response.json()) == (400, {"detail": "ทิกเก็ตสถานะ closed เปลี่ยนเป็น open ไม่ได้"})
    response = agent_client.post(f"{url}messages/", {"text": "สวัสดีค่ะ"}, format="json", HTTP_ACCEPT_LANGUAGE="th")
    assert response.json()["detail"] == "ทิกเก็ตนี้ปิดแล้ว กรุณาเปิดทิกเก็ตใหม่เพื่อติดต่อลูกค้า"

    response = agent_client.get("/api/v1/kpis/?from=2026-10-02&to=2026-10-01", HTTP_ACCEPT_LANGUAGE="th")
    assert response.status_code == 400
    assert response.json()["errors"]["from"] == ["ต้องไม่อยู่หลัง `to`"]

    response = agent_client.patch(url, {"status": "open"}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.json() == {"detail": "a closed ticket cannot become open"}


def _our_models():
    return [model for app in ("tickets", "kb", "channels_app") for model in apps.get_app_config(app).get_models()]


def test_every_name_the_admin_shows_for_our_models_is_thai():
    thai = re.compile("[\u0e00-\u0e7f]")
    english = []
    with translation.override("th"):
        for model in _our_models():
            options = model._meta
            names = {"model": options.verbose_name, "plural": options.verbose_name_plural}
            for field in options.get_fields():
                if not field.auto_created and (field.concrete or field.many_to_many):
                    names[field.name] = field.verbose_name
                for value, label in getattr(field, "flatchoices", None) or []:
                    names[f"{field.name}={value}"] = label
            # A choice without words (the blank "—") needs no translation.
            english += [
                f"{options.label}.{key}: {name}"
                for key, name in names.items()
                if re.search("[A-Za-z]", str(name)) and not thai.search(str(name))
            ]
    kept = {"VIP", "SLA", "SMS", "WhatsApp", "WhatsApp ID", "CSAT", "NPS", "FCR", "p90", "LINE", "Messenger", "Instagram"}
    assert [name for name in english if name.rsplit(": ", 1)[1] not in kept] == []


@pytest.mark.django_db
def test_the_admin_ticket_list_speaks_thai(client):
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    deliver("email", "somchai@example.com", "ยังไม่ได้รับของครับ", subject="คำสั่งซื้อ")
    response = client.get("/admin/tickets/ticket/", HTTP_ACCEPT_LANGUAGE="th")
    assert response.status_code == 200
    html = response.content.decode()
    for thai in ("ทิกเก็ต", "ผู้รับผิดชอบ", "อัปเดตเมื่อ", "ลูกค้า", "ความสำคัญ", "ช่องทาง"):
        assert thai in html
    for english in (">Assignee<", ">Updated at<", ">Customer<", ">Priority<"):
        assert english not in html

    response = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="th")
    assert "โปรไฟล์เจ้าหน้าที่" in response.content.decode()
    assert "Agent profiles" not in response.content.decode()


def _json_script(page: str, element_id: str):
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', page, re.S)
    assert match, f"no #{element_id} on the page"
    return json.loads(match.group(1))


def _browser(user, language: str) -> Client:
    browser = Client(HTTP_ACCEPT_LANGUAGE=language)
    browser.force_login(user)
    return browser


@pytest.mark.django_db
def test_the_rule_editor_names_every_condition_and_action_type_in_thai(supervisor):
    page = _browser(supervisor, "th").get("/console/rules/new/").content.decode()
    for element_id, types in (("rule-condition-types", CONDITION_TYPES), ("rule-action-types", ACTION_TYPES)):
        shown = _json_script(page, element_id)
        assert list(shown) == list(types)
        for key, kind in shown.items():
            assert THAI.search(kind["label"]), f"{key}: {kind['label']}"
            assert THAI.search(kind["help"]), f"{key}: {kind['help']}"
    conditions = _json_script(page, "rule-condition-types")
    assert conditions["no_agent_reply_minutes"]["label"] == "จำนวนนาทีที่ยังไม่มีเจ้าหน้าที่ตอบ"

    english = _browser(supervisor, "en").get("/console/rules/new/").content.decode()
    labels = {key: kind["label"] for key, kind in _json_script(english, "rule-condition-types").items()}
    assert labels["no_agent_reply_minutes"] == "Minutes without an agent reply"
    assert labels["priority_at_least"] == "Priority at least"


@pytest.mark.django_db
def test_a_rule_error_names_the_action_as_the_editor_shows_it(supervisor):
    form = {
        "name": "แจ้งหัวหน้า",
        "position": 100,
        "active": "on",
        "conditions": json.dumps([{"type": "sla", "value": "breached"}]),
        "actions": json.dumps([{"type": "notify"}]),
    }
    response = _browser(supervisor, "th").post("/console/rules/new/", form)
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert "แจ้งเตือน: เลือกผู้ที่จะรับการแจ้งเตือน" in page
    assert "notify needs" not in page


def _failed_reply(*, code: str, error: str):
    agent = make_user("nat", roles=[Role.AGENT])
    ticket = deliver("sms", "+66812345678", "ยังไม่ได้รับของครับ").ticket
    reply = reply_create(ticket=ticket, author=agent, text="กำลังตรวจสอบให้ค่ะ", channel="sms")
    delivery_record(message=reply, status="failed", error=error, error_code=code)
    return agent, ticket


@pytest.mark.django_db
def test_a_failed_sms_to_an_unsubscribed_customer_is_explained_in_thai_in_the_console(roles):
    agent, ticket = _failed_reply(code="21610", error="Twilio refused the message: the customer unsubscribed")
    browser = Client()
    browser.force_login(agent)
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "th"
    page = browser.get(f"/console/tickets/{ticket.pk}/").content.decode()
    assert "ลูกค้ายกเลิกรับ SMS แล้ว (ตอบกลับว่า STOP)" in page
    assert "(21610)" in page
    # The provider's own words stay at hand, as the tooltip.
    assert 'title="Twilio refused the message: the customer unsubscribed"' in page
    assert ">Twilio refused the message" not in page


@pytest.mark.django_db
def test_the_api_explains_a_delivery_error_in_the_clients_language_and_keeps_the_raw_text(agent_client):
    _agent, ticket = _failed_reply(code="63016", error="outside WhatsApp's 24-hour customer-service window")
    url = f"/api/v1/tickets/{ticket.pk}/messages/"
    failed = agent_client.get(url, HTTP_ACCEPT_LANGUAGE="th").json()["results"][-1]
    assert failed["delivery_error_code"] == "63016"
    assert failed["delivery_error"] == "outside WhatsApp's 24-hour customer-service window"
    assert failed["delivery_error_explanation"].startswith("ช่วงเวลา 24 ชั่วโมงของ WhatsApp ปิดแล้ว")

    failed = agent_client.get(url, HTTP_ACCEPT_LANGUAGE="en").json()["results"][-1]
    assert failed["delivery_error_explanation"].startswith("WhatsApp's 24-hour window is closed")


def test_every_delivery_error_code_the_senders_raise_has_a_thai_explanation():
    # The codes of channels_app's senders (email, Twilio, chat) and of tickets.registry.
    raised = [
        "no-sender", "no_address", "refused", "not_sent", "connection", "smtp", "esp", "550", "554",
        "no-address", "opted-out", "network", "no-answer", "21211", "21408", "21610", "21614", "21617", "63016",
        "30003", "30007", "no_chat_visitor",
        "line-no-user", "line-unfollowed", "line-quota", "line-rate-limit", "line-unavailable", "line-network",
        "line-auth", "line-400", "line-reply-lost", "meta-no-user", "meta-window", "meta-rate-limit",
        "meta-unavailable", "meta-unavailable-api", "meta-network", "meta-auth",
    ]  # fmt: skip
    assert [code for code in raised if code not in DELIVERY_ERROR_EXPLANATIONS] == []
    with translation.override("th"):
        english = [code for code, text in DELIVERY_ERROR_EXPLANATIONS.items() if not THAI.search(str(text))]
    assert english == []


@pytest.mark.django_db
def test_the_portals_data_export_names_channels_and_statuses_in_thai():
    customer = deliver("email", "somchai@example.com", "ยังไม่ได้รับของครับ", subject="คำสั่งซื้อ").message.customer
    browser = Client(HTTP_ACCEPT_LANGUAGE="th")
    browser.force_login(portal_user_ensure(customer=customer))
    page = html.unescape(browser.get("/portal/privacy/export.html").content.decode())
    assert "อีเมล · ใหม่ ·" in page
    assert "email · new" not in page
    assert "อีเมล: somchai@example.com" in page


def test_relative_times_in_the_console_read_as_thai():
    with translation.override("th"):
        # Django keeps a non-breaking space between a number and its unit.
        assert naturaltime(timezone.now() - timedelta(days=52)).replace("\xa0", " ") == "1 เดือน 3 สัปดาห์ที่แล้ว"
        assert naturaltime(timezone.now() + timedelta(days=2, hours=1)).replace("\xa0", " ") == "อีก 2 วัน"
