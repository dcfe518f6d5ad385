"""fetch_email against a real IMAP server on 127.0.0.1 (tests/channels_app/email/imap_server.py),
the Celery poll task and its lock, and ingest_email on files and standard input."""

from __future__ import annotations

import io
import sys
from unittest import mock

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command

from channels_app.email import imap
from channels_app.email.tasks import poll_mailbox
from tests.channels_app.email.conftest import FIXTURES, fixture_bytes
from tickets.models import InboundEvent, Message, Ticket

pytestmark = pytest.mark.django_db


def _fill(server) -> None:
    server.mailbox.add(fixture_bytes("thai_tis620.eml"))
    server.mailbox.add(fixture_bytes("thai_windows874.eml"))
    server.mailbox.add(
        b"From: old@example.com\r\nMessage-ID: <old@x>\r\nSubject: read before\r\n\r\nold\r\n", seen=True
    )


def test_fetch_email_stores_unseen_mail_and_marks_it_seen(imap_server):
    _fill(imap_server)
    out = io.StringIO()

    call_command("fetch_email", stdout=out)

    assert "fetched 2: 2 stored, 0 duplicates" in out.getvalue()
    assert sorted(Message.objects.values_list("subject", flat=True)) == ["ถูกตัดเงินซ้ำ", "สอบถามสถานะการจัดส่ง"]
    assert all("\\Seen" in mail.flags for mail in imap_server.mailbox.mails)
    assert {m.metadata["email"]["source"] for m in Message.objects.all()} == {"imap"}
    # The body is fetched with PEEK, and marked seen only after it is stored.
    log = imap_server.mailbox.log
    assert "UID FETCH 1 (BODY.PEEK[])" in log
    assert log.index("UID FETCH 1 (BODY.PEEK[])") < log.index("UID STORE 1 +FLAGS (\\Seen)")


def test_running_fetch_email_twice_stores_nothing_new(imap_server):
    _fill(imap_server)
    call_command("fetch_email", stdout=io.StringIO())
    out = io.StringIO()

    call_command("fetch_email", stdout=out)

    assert "fetched 0" in out.getvalue()
    assert Message.objects.count() == 2
    assert InboundEvent.objects.count() == 2


def test_a_mail_redelivered_unseen_is_a_duplicate(imap_server):
    imap_server.mailbox.add(fixture_bytes("thai_tis620.eml"))
    call_command("fetch_email", stdout=io.StringIO())
    imap_server.mailbox.add(fixture_bytes("thai_tis620.eml"))  # a second copy, e.g. from a mail rule

    result = imap.mailbox_poll()

    assert (result.fetched, result.stored, result.duplicates) == (1, 0, 1)
    assert Message.objects.count() == 1


def test_a_crash_while_storing_leaves_the_mail_unseen_for_the_next_poll(imap_server):
    imap_server.mailbox.add(fixture_bytes("thai_tis620.eml"))
    with mock.patch.object(imap, "email_ingest", side_effect=RuntimeError("database went away")):
        with pytest.raises(RuntimeError):
            imap.mailbox_poll()
    assert imap_server.mailbox.unseen() == [1]
    assert cache.get(imap.LOCK_KEY) is None, "the lock is released"

    assert imap.mailbox_poll().stored == 1
    assert imap_server.mailbox.unseen() == []


def test_a_poll_while_another_runs_does_nothing(imap_server):
    imap_server.mailbox.add(fixture_bytes("thai_tis620.eml"))
    cache.add(imap.LOCK_KEY, "another-worker", 60)
    try:
        poll_mailbox.delay()
        assert Message.objects.count() == 0
        out = io.StringIO()
        call_command("fetch_email", stdout=out)
        assert "another poll of the mailbox is running" in out.getvalue()
    finally:
        cache.delete(imap.LOCK_KEY)
    poll_mailbox.delay()
    assert Message.objects.count() == 1


def test_wrong_credentials_are_a_clear_command_error(imap_server, settings):
    settings.IMAP_PASSWORD = "wrong"
    with pytest.raises(CommandError, match="could not open 127.0.0.1/INBOX"):
        call_command("fetch_email")


def test_fetch_email_without_a_mailbox_configured(settings):
    settings.IMAP_HOST = ""
    with pytest.raises(CommandError, match="IMAP_HOST is not set"):
        call_command("fetch_email")


def test_beat_polls_the_mailbox_when_imap_is_configured(monkeypatch):
    import importlib

    import helpdesk.settings.celery as celery_settings
    import helpdesk.settings.email as email_settings

    monkeypatch.setenv("IMAP_HOST", "imap.example.com")
    monkeypatch.setenv("IMAP_POLL_SECONDS", "120")
    try:
        importlib.reload(email_settings)
        entry = celery_settings.CELERY_BEAT_SCHEDULE["poll-email-mailbox"]
        assert entry == {"task": "channels_app.email.tasks.poll_mailbox", "schedule": 120.0}
    finally:
        celery_settings.CELERY_BEAT_SCHEDULE.pop("poll-email-mailbox", None)
        monkeypatch.delenv("IMAP_HOST")
        importlib.reload(email_settings)


def test_ingest_email_reads_files_and_standard_input(monkeypatch):
    out = io.StringIO()
    call_command("ingest_email", str(FIXTURES / "thai_tis620.eml"), str(FIXTURES / "thai_windows874.eml"), stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].endswith("thai_tis620.eml: processed ticket " + Ticket.objects.order_by("pk")[0].reference)
    assert lines[1].endswith("thai_windows874.eml: processed ticket " + Ticket.objects.order_by("pk")[1].reference)

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(fixture_bytes("thai_tis620.eml"))))
    out = io.StringIO()
    call_command("ingest_email", "-", stdout=out)
    assert out.getvalue().startswith("-: duplicate")
    assert Message.objects.count() == 2


def test_ingest_email_reports_what_it_could_not_read(tmp_path):
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(b"\x00\x01\x02\x03")
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 of 2 messages were not stored"):
        call_command("ingest_email", str(garbage), str(FIXTURES / "thai_tis620.eml"), stderr=err, stdout=io.StringIO())
    assert "garbage.bin: rejected: the body is not an RFC 5322 message" in err.getvalue()
    assert Message.objects.count() == 1
    with pytest.raises(CommandError, match="No such file"):
        call_command("ingest_email", str(tmp_path / "missing.eml"))


def _poll_twice_at_once() -> list[imap.PollResult]:
    import threading

    from django.db import connection

    barrier = threading.Barrier(2)
    results: list[imap.PollResult] = []

    def poll() -> None:
        try:
            barrier.wait()
            results.append(imap.mailbox_poll())
        finally:
            connection.close()

    threads = [threading.Thread(target=poll) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_polls_at_once_store_each_mail_once(imap_server):
    _fill(imap_server)
    results = _poll_twice_at_once()
    assert len(results) == 2
    assert Message.objects.filter(direction="in").count() == 2
    assert sum(result.stored for result in results) == 2


@pytest.mark.django_db(transaction=True)
def test_without_the_lock_message_id_deduplication_still_stores_each_mail_once(imap_server):
    _fill(imap_server)
    with mock.patch.object(imap.cache, "add", return_value=True):
        results = _poll_twice_at_once()
    assert len(results) == 2
    assert Message.objects.filter(direction="in").count() == 2
    assert sum(result.stored for result in results) == 2
    assert imap_server.mailbox.unseen() == []
