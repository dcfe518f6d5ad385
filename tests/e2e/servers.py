"""Starting helpdesk.asgi in uvicorn subprocesses on free ports: for the end-to-end
tests and the benchmarks, which both need real server processes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SERVER_START_TIMEOUT_S = 40


def api_request(url: str, data: dict, *, token: str, method: str = "POST") -> dict:
    """One call to a server's REST API, as an integration would make it."""
    request = urllib.request.Request(
        url,
        data=json.dumps(data).encode(),
        method=method,
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@dataclass
class AsgiServer:
    url: str
    process: subprocess.Popen
    log_path: Path

    @property
    def ws_url(self) -> str:
        return "ws" + self.url[len("http") :]

    @property
    def origin(self) -> str:
        return self.url

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def server_env(
    *, db_url: str, media_root: Path, secret_key: str, extra: dict[str, str] | None = None
) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "tests.e2e.server_settings",
            "DATABASE_URL": db_url,
            "SECRET_KEY": secret_key,
            # The tests sign webhooks with the development Twilio and inbound tokens.
            "HELPDESK_ALLOW_DEV_SECRETS": "1",
            # Tasks run inside the server even when REDIS_URL (the broker) is set.
            "CELERY_TASK_ALWAYS_EAGER": "true",
            "MEDIA_ROOT": str(media_root),
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(REPO),
        }
    )
    env.pop("DEBUG", None)
    env.update(extra or {})
    return env


def start_asgi_server(*, env: dict[str, str], log_dir: Path) -> AsgiServer:
    """Starts uvicorn on a socket bound here to a free port (port 0), so that no
    other process can take the port between choosing and binding it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(512)
    sock.set_inheritable(True)
    port = sock.getsockname()[1]
    # The links the server writes (sign-in, surveys) point at this server, unless the caller says otherwise.
    env = {"HELPDESK_PUBLIC_URL": f"http://127.0.0.1:{port}", **env}
    log_path = log_dir / f"uvicorn-{port}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "helpdesk.asgi:application", "--fd", str(sock.fileno()),
             "--log-level", "warning", "--no-access-log", "--ws-max-size", "65536"],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, pass_fds=(sock.fileno(),),
        )  # fmt: skip
    sock.close()
    server = AsgiServer(url=f"http://127.0.0.1:{port}", process=process, log_path=log_path)
    _wait_until_ready(server)
    return server


def _wait_until_ready(server: AsgiServer) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"the ASGI server exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(server.url + "/chat/embed.js", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"the ASGI server did not answer within {SERVER_START_TIMEOUT_S} s:\n{server.log_tail()}")


def session_cookie_for(user, *, url: str) -> dict:
    """A logged-in Django session for `user`, created server-side in the shared database."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    engine = import_module(settings.SESSION_ENGINE)
    session = engine.SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return {"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": url}
