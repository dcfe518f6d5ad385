"""A local fake of Twilio's REST API over real HTTP, for tests and benchmarks.

It implements what the helpdesk uses: creating a message
(POST /2010-04-01/Accounts/{AccountSid}/Messages.json, with HTTP basic auth) and
fetching media (GET, basic auth, with redirects). Every request is recorded; sends
can be scripted to fail with a status and a Twilio error code.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

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
class FakeTwilio:
    account_sid: str
    auth_token: str
    requests: list[RecordedRequest] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    media: dict[str, Media] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)
    base_url: str = ""
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- scripting ------------------------------------------------------------
    def fail_next(self, status: int, code: int | None = None, message: str = "", *, times: int = 1) -> None:
        self.failures.extend(Failure(status, code, message) for _ in range(times))

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
        fake = self

        class Handler(_Handler):
            twilio = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        host, port = self._server.server_address[:2]
        self.base_url = f"http://{host}:{port}"
        threading.Thread(target=self._server.serve_forever, name="fake-twilio", daemon=True).start()
        return self

    def stop(self) -> None:
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
        self._json(
            201,
            {
                "account_sid": self.twilio.account_sid,
                "api_version": "2010-04-01",
                "body": form.get("Body", [""])[0],
                "date_created": "Thu, 01 Jan 2026 00:00:00 +0000",
                "date_sent": None,
                "date_updated": "Thu, 01 Jan 2026 00:00:00 +0000",
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
                "subresource_uris": {
                    "media": f"/2010-04-01/Accounts/{self.twilio.account_sid}/Messages/{sid}/Media.json"
                },
                "to": form["To"][0],
                "uri": f"/2010-04-01/Accounts/{self.twilio.account_sid}/Messages/{sid}.json",
            },
        )

    def do_GET(self) -> None:
        auth = self._record({})
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
