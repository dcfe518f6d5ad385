"""End to end, in Thai on a phone (375 px) and a tablet (768 px): the console's menu
collapses behind one button and every link in it is reachable, nothing runs off the
side of the console, the portal, the help centre or the chat widget. Screenshots go
to /tmp/shots/console2/."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.channels_app.chat.conftest import open_around_the_clock
from tests.e2e.servers import session_cookie_for
from tests.e2e.widget import chat_open
from tests.factories import make_user
from tickets.models import Role

pytestmark = pytest.mark.e2e
SHOTS = Path("/tmp/shots/console2")
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
# Elements whose right edge is past the viewport, other than in the strips that scroll sideways
# on purpose (tables, the inbox's views).
CLIPPED = """() => [...document.querySelectorAll('a, button, h1, h2, label, input, select')]
  .filter(el => el.offsetParent !== null && el.getBoundingClientRect().right > innerWidth + 1
          && !el.closest('.cn-table-wrap, .cn-views'))
  .map(el => el.outerHTML.slice(0, 80))"""


def _phone(new_context, width: int, user=None, *, url: str):
    context = new_context(viewport={"width": width, "height": 800}, locale="th-TH")
    if user is not None:
        context.add_cookies([session_cookie_for(user, url=url)])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return page, errors


@pytest.mark.parametrize("width", [375, 768])
def test_the_console_menu_collapses_and_every_link_is_reachable_in_thai(asgi_server, new_context, width):
    SHOTS.mkdir(parents=True, exist_ok=True)
    supervisor = make_user("lek", roles=[Role.SUPERVISOR], first_name="Lek")
    page, errors = _phone(new_context, width, supervisor, url=asgi_server.url)
    for path in ["/console/", "/console/contacts/", "/console/settings/surveys/", "/console/settings/sla/"]:
        page.goto(path)
        assert page.evaluate(OVERFLOW) == 0, path
        assert page.evaluate(CLIPPED) == [], path
    page.goto("/console/")
    menu = page.locator("[data-testid=console-menu]")
    links = page.locator(".cn-nav a")
    assert menu.is_visible() and not links.first.is_visible()
    page.screenshot(path=str(SHOTS / f"console-th-{width}.png"))
    menu.click()
    assert menu.get_attribute("aria-expanded") == "true"
    page.screenshot(path=str(SHOTS / f"console-th-{width}-menu.png"))
    for index in range(links.count()):
        box = links.nth(index).bounding_box()
        assert links.nth(index).is_visible() and box["x"] >= 0 and box["x"] + box["width"] <= width
    page.keyboard.press("Escape")
    assert not links.first.is_visible() and menu.get_attribute("aria-expanded") == "false"
    # The menu leads somewhere: the survey questions, in Thai.
    menu.click()
    page.locator("[data-testid=surveys-link]").click()
    page.wait_for_url("**/console/settings/surveys/")
    assert not links.first.is_visible()
    assert errors == []


def test_on_a_wide_screen_the_links_show_and_wrap_rather_than_run_off_in_thai(asgi_server, new_context):
    supervisor = make_user("lek", roles=[Role.SUPERVISOR], first_name="Lek")
    page, errors = _phone(new_context, 1280, supervisor, url=asgi_server.url)
    page.goto("/console/")
    assert not page.locator("[data-testid=console-menu]").is_visible()
    tops = {round(page.locator(".cn-nav a").nth(i).bounding_box()["y"]) for i in range(page.locator(".cn-nav a").count())}
    assert len(tops) <= 2 and page.evaluate(OVERFLOW) == 0 and page.evaluate(CLIPPED) == []
    page.screenshot(path=str(SHOTS / "console-th-1280.png"))
    assert errors == []


def test_the_portal_help_centre_and_chat_widget_fit_a_phone_in_thai(asgi_server, third_party_site, new_context):
    open_around_the_clock()
    page, errors = _phone(new_context, 375, url=asgi_server.url)
    for path, name in [("/portal/", "portal"), ("/help/", "help"), ("/portal/signin/", "portal-signin"), ("/portal/requests/new/", "portal-request")]:
        answer = page.goto(path)
        assert answer.status < 400, path
        assert page.evaluate(OVERFLOW) == 0, path
        assert page.evaluate(CLIPPED) == [], path
        page.screenshot(path=str(SHOTS / f"{name}-th-375.png"), full_page=True)
    # The widget as a phone shows it (full screen), in Thai, and embedded in a page.
    page.goto("/chat/widget/?lang=th")
    page.locator("form:visible").first.wait_for()
    assert page.evaluate(OVERFLOW) == 0 and page.evaluate(CLIPPED) == []
    assert page.locator("html").get_attribute("lang") == "th"
    page.screenshot(path=str(SHOTS / "widget-th-375.png"))
    page.goto(third_party_site)
    chat = chat_open(page)
    chat.locator("form:visible").first.wait_for()
    frame = page.frame(url=lambda url: "/chat/widget" in url)
    assert frame.evaluate(OVERFLOW) == 0 and frame.evaluate(CLIPPED) == []
    assert errors == []
