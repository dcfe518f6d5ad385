"""Screenshots of the console, the portal, the help center and the chat widget, on a
desktop and a phone, in Thai and English, written to docs/screenshots/.

    .venv/bin/python docs/screenshots.py [--out docs/screenshots] [--chromium /usr/bin/chromium]

It seeds a throwaway SQLite database with the demo data, serves it with uvicorn on a
free port (the embedded defaults: no Redis, the dev outbox), signs in as the demo
agent and drives Debian's chromium through Playwright. Nothing outside the output
folder and a temporary folder is touched."""

from __future__ import annotations

import argparse
import os
import struct
import subprocess
import sys
import tempfile
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.e2e.servers import AsgiServer, start_asgi_server  # noqa: E402

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]  # fmt: skip
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# Settings the environment may carry that would make this something other than the demo.
_NOT_INHERITED = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "EMAIL_BACKEND", "EMAIL_HOST", "TWILIO_ACCOUNT_SID",
                  "TWILIO_API_BASE_URL", "HELPDESK_PUBLIC_URL", "DEBUG", "DJANGO_SETTINGS_MODULE")  # fmt: skip


@dataclass(frozen=True)
class Shot:
    name: str
    path: str
    language: str
    viewport: dict
    agent: bool = False
    ticket: bool = False  # open the first ticket of the inbox
    widget: bool = False  # open the chat widget


SHOTS = [
    Shot("console-inbox-en-desktop", "/console/?view=all", "en", DESKTOP, agent=True),
    Shot("console-inbox-th-phone", "/console/?view=all", "th", PHONE, agent=True),
    Shot("console-ticket-th-desktop", "/console/?view=all", "th", DESKTOP, agent=True, ticket=True),
    Shot("console-ticket-en-phone", "/console/?view=all", "en", PHONE, agent=True, ticket=True),
    Shot("dev-outbox-en-desktop", "/console/outbox/", "en", DESKTOP, agent=True),
    Shot("portal-home-th-desktop", "/portal/", "th", DESKTOP),
    Shot("portal-home-en-phone", "/portal/", "en", PHONE),
    Shot("help-center-en-desktop", "/help/", "en", DESKTOP),
    Shot("help-center-th-phone", "/help/", "th", PHONE),
    Shot("widget-en-desktop", "/portal/", "en", DESKTOP, widget=True),
    Shot("widget-th-phone", "/portal/", "th", PHONE, widget=True),
    Shot("not-found-th-phone", "/help/no-such-page/", "th", PHONE),
]


def demo_env(workdir: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in _NOT_INHERITED}
    env.update(
        {
            # The real settings, with static files served from the source tree.
            "DJANGO_SETTINGS_MODULE": "tests.e2e.server_settings",
            "DATABASE_URL": f"sqlite:///{workdir / 'screenshots.sqlite3'}",
            "MEDIA_ROOT": str(workdir / "media"),
            "HELPDESK_ALLOW_DEV_SECRETS": "1",
            "HELPDESK_CHAT_WITHOUT_ONLINE_AGENT": "1",
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(REPO),
        }
    )
    return env


def seed(env: dict[str, str]) -> None:
    manage = [sys.executable, str(REPO / "manage.py")]
    for command in (["migrate", "--noinput", "-v0"], ["seed_kb"], ["seed_demo", "--tickets", "60", "-v0"]):
        subprocess.run(manage + command, cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL)


def _png_chunks(data: bytes):
    position = 8
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        yield data[position + 4 : position + 8], data[position + 8 : position + 8 + length]
        position += 12 + length


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_rows(data: bytes) -> tuple[int, int, int, list[bytes]]:
    """Width, height, bytes per pixel and the unfiltered rows of an 8-bit RGB(A) PNG."""
    header = next(body for kind, body in _png_chunks(data) if kind == b"IHDR")
    width, height, depth, color_type = struct.unpack(">IIBB", header[:10])
    if depth != 8 or color_type not in (2, 6):
        raise ValueError("an 8-bit RGB or RGBA PNG was expected")
    bpp = 3 if color_type == 2 else 4
    raw = zlib.decompress(b"".join(body for kind, body in _png_chunks(data) if kind == b"IDAT"))
    stride, rows, previous, position = width * bpp, [], bytearray(width * bpp), 0
    for _ in range(height):
        kind, line = raw[position], bytearray(raw[position + 1 : position + 1 + stride])
        position += 1 + stride
        for i in range(stride) if kind else ():  # PNG filters: 1 Sub, 2 Up, 3 Average, 4 Paeth
            left = line[i - bpp] if i >= bpp else 0
            up, corner = previous[i], previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                predicted = left
            elif kind == 2:
                predicted = up
            elif kind == 3:
                predicted = (left + up) // 2
            else:
                estimate = left + up - corner
                distances = abs(estimate - left), abs(estimate - up), abs(estimate - corner)
                predicted = left if distances[0] <= min(distances[1:]) else up if distances[1] <= distances[2] else corner
            line[i] = (line[i] + predicted) & 255
        rows.append(bytes(line))
        previous = line
    return width, height, bpp, rows


def png_optimize(data: bytes) -> bytes:
    """The screenshot with a palette of its 256 most used colours (a page is mostly flat
    colours; the rarer anti-aliasing shades take the nearest), about a third the size."""
    width, height, bpp, rows = _png_rows(data)
    counts = Counter(row[i : i + 3] for row in rows for i in range(0, len(row), bpp))
    palette = [colour for colour, _ in counts.most_common(256)]
    index = {colour: number for number, colour in enumerate(palette)}
    for colour in counts:
        if colour not in index:  # weighted for the eye: green counts most, blue least
            index[colour] = min(
                range(len(palette)),
                key=lambda n: 3 * (palette[n][0] - colour[0]) ** 2
                + 4 * (palette[n][1] - colour[1]) ** 2
                + 2 * (palette[n][2] - colour[2]) ** 2,
            )
    pixels = b"".join(b"\0" + bytes(index[row[i : i + 3]] for i in range(0, len(row), bpp)) for row in rows)
    return b"".join(
        [
            data[:8],
            _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0)),
            _png_chunk(b"PLTE", b"".join(palette)),
            _png_chunk(b"IDAT", zlib.compress(pixels, 9)),
            _png_chunk(b"IEND", b""),
        ]
    )


def sign_in(page, server: AsgiServer) -> None:
    page.goto(server.url + "/console/login/")
    page.locator("input[name=username]").fill("agent")
    page.locator("input[name=password]").fill("agent")
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/console/**")


def take(browser, server: AsgiServer, shot: Shot, out: Path) -> Path:
    locale = "th-TH" if shot.language == "th" else "en-US"
    context = browser.new_context(
        viewport=shot.viewport, locale=locale, timezone_id="Asia/Bangkok",
        is_mobile=shot.viewport is PHONE, has_touch=shot.viewport is PHONE,
        extra_http_headers={"Accept-Language": shot.language},
    )  # fmt: skip
    context.set_default_timeout(20_000)
    page = context.new_page()
    if shot.agent:
        sign_in(page, server)
    page.goto(server.url + shot.path)
    if shot.ticket:
        page.locator("[data-testid=ticket-row] a.cn-row-link").first.click()
        page.wait_for_url("**/console/tickets/*/")
    if shot.widget:
        page.locator(".hd-chat-launcher").click()
        page.frame_locator("iframe.hd-chat-frame").locator("#prechat-form, #chat-input").first.wait_for()
    page.wait_for_load_state("networkidle")
    page.evaluate("document.fonts.ready")
    path = out / f"{shot.name}.png"
    path.write_bytes(png_optimize(page.screenshot()))
    context.close()
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="helpdesk-screenshots-") as tmp:
        workdir = Path(tmp)
        env = demo_env(workdir)
        print("Seeding the demo data…", flush=True)
        seed(env)
        server = start_asgi_server(env=env, log_dir=workdir)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=args.chromium, headless=True, args=CHROMIUM_ARGS)
                for shot in SHOTS:
                    path = take(browser, server, shot, args.out)
                    print(f"{path.relative_to(REPO) if path.is_relative_to(REPO) else path}  {path.stat().st_size // 1024} KB")
                browser.close()
        finally:
            server.stop()


if __name__ == "__main__":
    main()
