"""A local fake of Meta's Graph API over real HTTP, for tests and benchmarks.

It implements the Send API (POST /{version}/me/messages, bearer page token), user
profiles (GET /{version}/{PSID or IGSID}?fields=...), and serves attachment files as
Meta's CDN would (GET on any registered path). Every request is recorded; sends can be scripted to fail with a Graph error (code and
subcode), or to be accepted with the answer lost (the connection closed).
https://developers.facebook.com/docs/messenger-platform/reference/send-api/
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_SEND = re.compile(r"^/v[\d.]+/me/messages$")
_PROFILE = re.compile(r"^/v[\d.]+/(?P<user>\d+)$")


@dataclass
class GraphError:
    status: int
    code: int
    subcode: int | None = None
    message: str = ""


@dataclass
class FakeMeta:
    page_token: str
    requests: list[dict] = field(default_factory=list)
    failures: list[GraphError] = field(default_factory=list)
    lost_answers: int = 0
    # Accepted sends: {"recipient", "message", "messaging_type", "tag", "mid"}.
    sent: list[dict] = field(default_factory=list)
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    profiles: dict[str, dict] = field(default_factory=dict)
    base_url: str = ""
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, status: int, code: int, subcode: int | None = None, message: str = "", *, times: int = 1):
        self.failures.extend(GraphError(status, code, subcode, message) for _ in range(times))

    def lose_next_answer(self, times: int = 1) -> None:
        self.lost_answers += times

    def add_file(self, path: str, body: bytes, content_type: str) -> str:
        self.files[path] = (body, content_type)
        return self.base_url + path

    @property
    def netloc(self) -> str:
        return self.base_url.removeprefix("http://")

    def start(self) -> FakeMeta:
        fake = self

        class Handler(_Handler):
            meta = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        host, port = self._server.server_address[:2]
        self.base_url = f"http://{host}:{port}"
        threading.Thread(target=self._server.serve_forever, name="fake-meta", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


class _Handler(BaseHTTPRequestHandler):
    meta: FakeMeta
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args) -> None:  # quiet
        pass

    def _json(self, status: int, payload: dict) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status: int, code: int, subcode: int | None, message: str) -> None:
        error = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": uuid.uuid4().hex[:11]}
        if subcode is not None:
            error["error_subcode"] = subcode
        self._json(status, {"error": error})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            body = {}
        with self.meta._lock:
            self.meta.requests.append({"path": self.path, "headers": dict(self.headers.items()), "body": body})
        if not _SEND.match(self.path):
            return self._error(404, 803, None, "Unknown path components")
        if self.headers.get("Authorization") != f"Bearer {self.meta.page_token}":
            return self._error(401, 190, None, "Invalid OAuth access token.")
        with self.meta._lock:
            failure = self.meta.failures.pop(0) if self.meta.failures else None
        if failure is not None:
            return self._error(failure.status, failure.code, failure.subcode, failure.message or "Scripted failure")
        recipient = (body.get("recipient") or {}).get("id")
        message = body.get("message") or {}
        if not recipient or not (message.get("text") or message.get("attachment")):
            return self._error(400, 100, None, "(#100) The parameter recipient is required")
        if body.get("messaging_type") == "MESSAGE_TAG" and body.get("tag") != "HUMAN_AGENT":
            return self._error(400, 100, None, "(#100) Invalid tag")
        mid = "m_" + uuid.uuid4().hex
        with self.meta._lock:
            self.meta.sent.append(
                {"recipient": recipient, "message": message, "messaging_type": body.get("messaging_type"),
                 "tag": body.get("tag"), "mid": mid}
            )  # fmt: skip
            lose = self.meta.lost_answers > 0
            self.meta.lost_answers -= lose
        if lose:
            self.close_connection = True
            return
        self._json(200, {"recipient_id": recipient, "message_id": mid})

    def do_GET(self) -> None:
        profile = _PROFILE.match(self.path.split("?", 1)[0])
        if profile:
            if self.headers.get("Authorization") != f"Bearer {self.meta.page_token}":
                return self._error(401, 190, None, "Invalid OAuth access token.")
            found = self.meta.profiles.get(profile["user"])
            if found is None:
                return self._error(400, 100, 33, "Unsupported get request. Object does not exist")
            return self._json(200, {**found, "id": profile["user"]})
        found = self.meta.files.get(self.path)
        if found is None:
            return self._error(404, 100, None, "Not found")
        body, content_type = found
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
