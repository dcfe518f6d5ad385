"""A local fake of LINE's Messaging API over real HTTP, for tests and benchmarks.

It serves both hosts (LINE_API_BASE_URL and LINE_API_DATA_BASE_URL point at it) with
bearer-token auth: reply (POST /v2/bot/message/reply, each token once), push (POST
/v2/bot/message/push, with X-Line-Retry-Key: a key seen before is answered 409 with
the accepted request id), profiles (GET /v2/bot/profile/{userId}) and content (GET
/v2/bot/message/{messageId}/content). Every request is recorded; calls can be
scripted to fail with a status and LINE's error message, or to be accepted with the
answer lost (the connection closed without one).
https://developers.line.biz/en/reference/messaging-api/
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_PROFILE = re.compile(r"^/v2/bot/profile/(?P<user>[^/?]+)$")
_CONTENT = re.compile(r"^/v2/bot/message/(?P<id>[^/?]+)/content$")


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: dict


@dataclass
class Content:
    body: bytes
    content_type: str
    # Answer 202 (still preparing) or 503 this many times first.
    not_ready_times: int = 0
    fail_times: int = 0


@dataclass
class Failure:
    status: int
    message: str
    # Only requests whose path starts with this fail ("" for any).
    path: str = ""


@dataclass
class FakeLine:
    access_token: str
    requests: list[RecordedRequest] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    lost_answers: int = 0
    # Reply tokens LINE would accept, each once.
    reply_tokens: set[str] = field(default_factory=set)
    profiles: dict[str, dict] = field(default_factory=dict)
    contents: dict[str, Content] = field(default_factory=dict)
    # retry key -> (request id, sent messages)
    accepted_keys: dict[str, tuple[str, list[dict]]] = field(default_factory=dict)
    # What reached the user: {"to", "messages", "via"} per accepted send.
    delivered: list[dict] = field(default_factory=list)
    base_url: str = ""
    _server: ThreadingHTTPServer | None = None
    _port: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, status: int, message: str, *, path: str = "", times: int = 1) -> None:
        self.failures.extend(Failure(status, message, path) for _ in range(times))

    def lose_next_answer(self, times: int = 1) -> None:
        self.lost_answers += times

    def add_profile(self, user_id: str, display_name: str, **extra) -> None:
        self.profiles[user_id] = {"userId": user_id, "displayName": display_name, **extra}

    def add_content(self, message_id: str, body: bytes, content_type: str, **options) -> None:
        self.contents[message_id] = Content(body, content_type, **options)

    def requests_to(self, path_prefix: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.startswith(path_prefix)]

    def start(self) -> FakeLine:
        fake = self

        class Handler(_Handler):
            line = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", self._port), Handler)
        self._server.daemon_threads = True
        host, self._port = self._server.server_address[:2]
        self.base_url = f"http://{host}:{self._port}"
        threading.Thread(target=self._server.serve_forever, name="fake-line", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


class _Handler(BaseHTTPRequestHandler):
    line: FakeLine
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args) -> None:  # quiet
        pass

    def _json(self, status: int, payload: dict, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _begin(self) -> tuple[dict, bool]:
        """Records the request; returns its JSON body and whether it may go on."""
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = {"_unparsable": raw.decode(errors="replace")}
        with self.line._lock:
            self.line.requests.append(RecordedRequest(self.command, self.path, dict(self.headers.items()), body))
        if self.headers.get("Authorization") != f"Bearer {self.line.access_token}":
            self._json(
                401,
                {
                    "message": "Authentication failed. Confirm that the access token in the authorization header is valid."
                },
            )
            return body, False
        with self.line._lock:
            index = next((i for i, f in enumerate(self.line.failures) if self.path.startswith(f.path)), None)
            failure = self.line.failures.pop(index) if index is not None else None
        if failure is not None:
            self._json(failure.status, {"message": failure.message})
            return body, False
        return body, True

    def _sent(self, to: str, messages: list[dict], via: str) -> list[dict]:
        sent = [{"id": str(uuid.uuid4().int)[:18], "quoteToken": uuid.uuid4().hex} for _ in messages]
        self.line.delivered.append({"to": to, "messages": messages, "via": via, "sent": sent})
        return sent

    def _answer_or_lose(self, payload: dict) -> None:
        with self.line._lock:
            lose = self.line.lost_answers > 0
            self.line.lost_answers -= lose
        if lose:
            self.close_connection = True
            return
        self._json(200, payload, {"x-line-request-id": uuid.uuid4().hex})

    def do_POST(self) -> None:
        body, ok = self._begin()
        if not ok:
            return
        messages = body.get("messages") or []
        if not isinstance(messages, list) or not 1 <= len(messages) <= 5:
            return self._json(
                400,
                {
                    "message": "The request body has 1 error(s)",
                    "details": [{"message": "Size must be between 1 and 5", "property": "messages"}],
                },
            )
        if self.path == "/v2/bot/message/reply":
            with self.line._lock:
                valid = body.get("replyToken") in self.line.reply_tokens
                self.line.reply_tokens.discard(body.get("replyToken"))
                sent = self._sent("", messages, "reply") if valid else []
            if not valid:
                return self._json(400, {"message": "Invalid reply token"})
            return self._answer_or_lose({"sentMessages": sent})
        if self.path == "/v2/bot/message/push":
            key = self.headers.get("X-Line-Retry-Key", "")
            with self.line._lock:
                earlier = self.line.accepted_keys.get(key) if key else None
                if earlier is None:
                    sent = self._sent(body.get("to", ""), messages, "push")
                    if key:
                        self.line.accepted_keys[key] = (uuid.uuid4().hex, sent)
            if earlier is not None:
                request_id, sent = earlier
                return self._json(
                    409,
                    {"message": "The retry key is already accepted", "sentMessages": sent},
                    {"x-line-accepted-request-id": request_id},
                )
            return self._answer_or_lose({"sentMessages": sent})
        self._json(404, {"message": "Not found"})

    def do_GET(self) -> None:
        _, ok = self._begin()
        if not ok:
            return
        profile = _PROFILE.match(self.path)
        if profile:
            found = self.line.profiles.get(profile["user"])
            return self._json(200, found) if found else self._json(404, {"message": "Not found"})
        content = _CONTENT.match(self.path)
        if content:
            item = self.line.contents.get(content["id"])
            if item is None:
                return self._json(404, {"message": "Not found"})
            with self.line._lock:
                not_ready, failing = item.not_ready_times > 0, item.fail_times > 0
                item.not_ready_times -= not_ready
                item.fail_times -= failing and not not_ready
            if not_ready:
                return self._json(202, {})
            if failing:
                return self._json(503, {"message": "Service Unavailable"})
            self.send_response(200)
            self.send_header("Content-Type", item.content_type)
            self.send_header("Content-Length", str(len(item.body)))
            self.end_headers()
            self.wfile.write(item.body)
            return
        self._json(404, {"message": "Not found"})
