"""Walks the helpdesk on the embedded defaults (SQLite, the in-memory channel layer,
eager Celery) as its first users would. Run as a script on an empty database, it
migrates and seeds the demo as `make run` does, then prints one JSON line per step,
{"step", "status", "ok"}.

Every page must work there, not only on PostgreSQL: `make run` is how a newcomer
first meets the helpdesk."""

import json
import os
import sys

sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from kb.models import Article  # noqa: E402
from kb.portal.auth import signin_link_create  # noqa: E402
from tickets.models import Customer, Message, Ticket  # noqa: E402

REPLY = "Thanks, the parcel left today ขอบคุณครับ"


def report(step: str, response, ok: bool | None = None) -> None:
    status = response.status_code
    print(json.dumps({"step": step, "status": status, "ok": status < 400 if ok is None else ok}), flush=True)


def walk() -> None:
    print(json.dumps({"step": "database", "status": 0, "ok": connection.vendor == "sqlite"}))
    ticket = (
        Ticket.objects.filter(status__in=[Ticket.Status.NEW, Ticket.Status.OPEN], messages__direction="in")
        .order_by("-id")
        .first()
    )
    customer = ticket.customer
    agent = Client(HTTP_HOST="127.0.0.1")
    agent.force_login(get_user_model().objects.get(username="supervisor"))
    pages = {
        "inbox": reverse("console:inbox"),
        "inbox all": reverse("console:inbox") + "?view=all",
        "inbox search": reverse("console:inbox") + "?view=all&q=คำสั่งซื้อ",
        "ticket page": reverse("console:ticket", args=[ticket.pk]),
        "older messages": reverse("console:timeline", args=[ticket.pk]),
        "inbox row": reverse("console:ticket-row", args=[ticket.pk]),
        "contacts": reverse("console:contacts"),
        "contact": reverse("console:contact", args=[customer.pk]),
        "new conversation": reverse("console:ticket-new"),
        "canned responses": reverse("console:canned-list"),
        "approvals": reverse("console:approvals"),
        "sla settings": reverse("console:sla-settings"),
        "survey settings": reverse("console:survey-settings"),
        "dashboard": reverse("dashboard:index"),
        "dashboard csv": reverse("dashboard:export"),
        "escalation rules": reverse("rules:list"),
        "dev outbox": reverse("outbox:list"),
        "help center search": reverse("kb:analytics"),
        "kpis": reverse("kpis"),
        "kpis with detail": reverse("kpis") + "?detail=1",
    }
    for step, url in pages.items():
        report(step, agent.get(url))

    response = agent.post(
        reverse("console:reply", args=[ticket.pk]), {"kind": "reply", "text": REPLY}, HTTP_X_REQUESTED_WITH="fetch"
    )
    report("reply", response)
    stored = Message.objects.filter(ticket=ticket, direction="out", text__contains="ขอบคุณครับ").exists()
    report("reply stored", response, ok=stored)
    page = agent.get(reverse("console:ticket", args=[ticket.pk]))
    report("reply in the timeline", page, ok=page.status_code == 200 and REPLY in page.content.decode())
    report("resolve", agent.post(reverse("console:ticket-update", args=[ticket.pk]), {"status": "resolved"}))

    token, _ = Token.objects.get_or_create(user=get_user_model().objects.get(username="supervisor"))
    api = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Token {token.key}")
    report("api list", api.get("/api/v1/tickets/"))
    report("api detail", api.get(f"/api/v1/tickets/{ticket.pk}/"))
    created = api.post(
        "/api/v1/tickets/",
        {
            "subject": "Invoice copy",
            "body": "Please send a copy of invoice 42.",
            "customer": customer.pk,
            "channel": "email",
        },
        content_type="application/json",
    )
    report("api create", created, ok=created.status_code == 201)

    visitor = Client(HTTP_HOST="127.0.0.1")
    article = Article.objects.order_by("id").first()
    for step, url in {
        "help center": reverse("kb:home"),
        "help center search": reverse("kb:search") + "?q=รหัสผ่าน",
        "article": reverse("kb:article", args=[article.slug]),
        "portal": reverse("portal:home"),
        "chat widget": reverse("chat:widget"),
    }.items():
        report(step, visitor.get(url))
    customer = Customer.objects.get(pk=customer.pk)
    link = reverse("portal:signin-link", args=[signin_link_create(customer=customer)])
    report("portal sign-in link", visitor.get(link))
    report("portal sign-in", visitor.post(link), ok=visitor.get(reverse("portal:tickets")).status_code == 200)
    report("portal tickets", visitor.get(reverse("portal:tickets")))
    report("portal ticket", visitor.get(reverse("portal:ticket", args=[ticket.pk])))


if __name__ == "__main__":
    call_command("migrate", interactive=False, verbosity=0)
    call_command("seed_kb", verbosity=0)
    call_command("seed_demo", tickets=60, verbosity=0)
    walk()
