"""A local fake of Twilio's REST API over real HTTP, for tests and benchmarks.

It implements what the helpdesk uses, with HTTP basic auth: creating a message
(POST /2010-04-01/Accounts/{AccountSid}/Messages.json), listing messages (GET on the
same path, filtered by To and From, newest first, in pages), and fetching media (GET,
with redirects). Every request is recorded; sends can be scripted to fail with a
status and a Twilio error code, or to be accepted with the answer lost on the way
back (the connection closed, or stalled past the client's timeout).
"""

from __future__ import annotations

import base64
import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

_MESSAGES = re.compile(r"^/2010-04-01/Accounts/(?P<sid>AC\w+)/Messages\.json$")


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, list[str]]
    auth: tuple[str, str] | None


@dataclass
class Media:
    body: bytes
    content_type: str
    requires_auth: bool = True
    # False: no Content-Length, the body streams until the connection closes.
    declare_length: bool = True
    # Answer 503 this many times first.
    fail_times: int = 0


@dataclass
class Failure:
    status: int
    code: int | None = None
    message: str = ""


@dataclass
class LostAnswer:
    # True: hold the answer until the client gave up; False: close the connection.
    stall: bool
    # False: the request was lost before Twilio created the message.
    accepted: bool = True


# How long a stalled answer is held at most; stop() releases it at once.
STALL_S = 30


@dataclass
class FakeTwilio:
    account_sid: str
    auth_token: str
    requests: list[RecordedRequest] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    lost_answers: list[LostAnswer] = field(default_factory=list)
    # The messages created, oldest first, as the API returns them.
    messages: list[dict] = field(default_factory=list)
    media: dict[str, Media] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)
    base_url: str = ""
    _server: ThreadingHTTPServer | None = None
    _port: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stopping: threading.Event = field(default_factory=threading.Event)

    # -- scripting ------------------------------------------------------------
    def fail_next(self, status: int, code: int | None = None, message: str = "", *, times: int = 1) -> None:
        self.failures.extend(Failure(status, code, message) for _ in range(times))

    def lose_next_answer(self, *, stall: bool = False, accepted: bool = True, times: int = 1) -> None:
        """The next sends create their message (unless accepted=False), but the client
        never reads the answer: the connection is closed without one, or (stall=True)
        the answer comes too late."""
        self.lost_answers.extend(LostAnswer(stall, accepted) for _ in range(times))

    def add_media(self, path: str, body: bytes, content_type: str, **options) -> str:
        self.media[path] = Media(body, content_type, **options)
        return self.base_url + path

    def add_redirect(self, path: str, location: str) -> str:
        self.redirects[path] = location
        return self.base_url + path

    @property
    def sent(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == "POST" and _MESSAGES.match(r.path)]

    # -- lifecycle ------------------------------------------------------------
    def start(self) -> FakeTwilio:
        """Starts serving; started again after stop(), on the same port, as a server
        that was down and came back."""
        fake = self

        class Handler(_Handler):
            twilio = fake

        self._stopping.clear()
        self._server = ThreadingHTTPServer(("127.0.0.1", self._port), Handler)
        self._server.daemon_threads = True
        host, self._port = self._server.server_address[:2]
        self.base_url = f"http://{host}:{self._port}"
        threading.Thread(target=self._server.serve_forever, name="fake-twilio", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def netloc(self) -> str:
        return self.base_url.removeprefix("http://")


class _Handler(BaseHTTPRequestHandler):
    twilio: FakeTwilio
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args) -> None:  # quiet
        pass

    def _auth(self) -> tuple[str, str] | None:
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return None
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return None
        return user, password

    def _record(self, form: dict[str, list[str]]) -> tuple[str, str] | None:
        auth = self._auth()
        with self.twilio._lock:
            self.twilio.requests.append(
                RecordedRequest(self.command, self.path, dict(self.headers.items()), form, auth)
            )
        return auth

    def _json(self, status: int, payload: dict) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status: int, code: int | None, message: str) -> None:
        self._json(
            status,
            {
                "code": code,
                "message": message,
                "more_info": f"https://www.twilio.com/docs/errors/{code}" if code else None,
                "status": status,
            },
        )

    def _authorized(self, auth: tuple[str, str] | None) -> bool:
        return auth == (self.twilio.account_sid, self.twilio.auth_token)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode(), keep_blank_values=True)
        auth = self._record(form)
        match = _MESSAGES.match(self.path)
        if not match:
            return self._error(404, 20404, "The requested resource was not found")
        if not self._authorized(auth) or match["sid"] != self.twilio.account_sid:
            return self._error(401, 20003, "Authenticate")
        with self.twilio._lock:
            failure = self.twilio.failures.pop(0) if self.twilio.failures else None
        if failure is not None:
            return self._error(failure.status, failure.code, failure.message or "Scripted failure")
        if not form.get("To") or not (form.get("Body") or form.get("MediaUrl") or form.get("ContentSid")):
            return self._error(400, 21602, "Message body is required.")
        sid = "SM" + uuid.uuid4().hex
        now = format_datetime(datetime.now(UTC))
        resource = {
            "account_sid": self.twilio.account_sid,
            "api_version": "2010-04-01",
            "body": form.get("Body", [""])[0],
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": form.get("From", [""])[0],
            "messaging_service_sid": None,
            "num_media": str(len(form.get("MediaUrl", []))),
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued",
            "subresource_uris": {"media": f"/2010-04-01/Accounts/{self.twilio.account_sid}/Messages/{sid}/Media.json"},
            "to": form["To"][0],
            "uri": f"/2010-04-01/Accounts/{self.twilio.account_sid}/Messages/{sid}.json",
        }
        with self.twilio._lock:
            lost = self.twilio.lost_answers.pop(0) if self.twilio.lost_answers else None
            if lost is None or lost.accepted:
                self.twilio.messages.append(resource)
        if lost is None:
            return self._json(201, resource)
        if lost.stall:
            self.twilio._stopping.wait(STALL_S)
        # No answer at all: the client sees the connection end before a status line.
        self.close_connection = True

    def _message_list(self, query: dict[str, list[str]]) -> None:
        """Twilio's Messages list: filtered by To and From, newest first, in pages.
        https://www.twilio.com/docs/messaging/api/message-resource#read-multiple-message-resources"""
        to, from_ = query.get("To", [""])[0], query.get("From", [""])[0]
        page_size = int(query.get("PageSize", ["50"])[0])
        page = int(query.get("Page", ["0"])[0])
        with self.twilio._lock:
            matching = [
                message
                for message in reversed(self.twilio.messages)
                if (not to or message["to"] == to) and (not from_ or message["from"] == from_)
            ]
        start = page * page_size
        records = matching[start : start + page_size]
        path = f"/2010-04-01/Accounts/{self.twilio.account_sid}/Messages.json"
        filters = {key: value for key, value in (("To", to), ("From", from_)) if value}

        def page_uri(number: int) -> str:
            return f"{path}?{urlencode({**filters, 'PageSize': page_size, 'Page': number})}"

        self._json(
            200,
            {
                "end": start + max(len(records) - 1, 0),
                "first_page_uri": page_uri(0),
                "messages": records,
                "next_page_uri": page_uri(page + 1) if start + page_size < len(matching) else None,
                "page": page,
                "page_size": page_size,
                "previous_page_uri": page_uri(page - 1) if page > 0 else None,
                "start": start,
                "uri": page_uri(page),
            },
        )

    def do_GET(self) -> None:
        auth = self._record({})
        url = urlsplit(self.path)
        match = _MESSAGES.match(url.path)
        if match:
            if not self._authorized(auth) or match["sid"] != self.twilio.account_sid:
                return self._error(401, 20003, "Authenticate")
            return self._message_list(parse_qs(url.query))
        if self.path in self.twilio.redirects:
            self.send_response(302)
            self.send_header("Location", self.twilio.redirects[self.path])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        media = self.twilio.media.get(self.path)
        if media is None:
            return self._error(404, 20404, "The requested resource was not found")
        if media.requires_auth and not self._authorized(auth):
            return self._error(401, 20003, "Authenticate")
        with self.twilio._lock:
            failing = media.fail_times > 0
            media.fail_times -= failing
        if failing:
            return self._error(503, None, "Service Unavailable")
        self.send_response(200)
        self.send_header("Content-Type", media.content_type)
        if media.declare_length:
            self.send_header("Content-Length", str(len(media.body)))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        for start in range(0, len(media.body), 16 * 1024):
            self.wfile.write(media.body[start : start + 16 * 1024])
