"""Learning from use: what readers do after a search adjusts its ranking, damped, each
reader counted once; and the search analytics article writers read."""

from __future__ import annotations

import pytest
from django.test import Client

from kb import usage
from kb.models import SearchLog, SearchSignal
from kb.selectors import article_search
from kb.services import article_create, deflection_submitted, feedback_submit
from tests.factories import deliver


def test_a_few_readers_barely_move_an_article_and_no_crowd_moves_it_past_the_cap():
    assert usage.adjustment(clicks=0, helpful=0, unhelpful=0, still_need_help=0) == 1.0
    assert 1.0 < usage.adjustment(clicks=3, helpful=0, unhelpful=0, still_need_help=0) < 1.05
    assert usage.adjustment(clicks=10_000, helpful=10_000, unhelpful=0, still_need_help=0) == 1 + usage.MAX_ADJUSTMENT
    assert usage.adjustment(clicks=0, helpful=0, unhelpful=0, still_need_help=10_000) == 1 - usage.MAX_ADJUSTMENT
    # Readers who opened it and still sent a request weigh against it.
    assert usage.adjustment(clicks=20, helpful=0, unhelpful=0, still_need_help=20) < 1.0


def _reader() -> Client:
    client = Client()
    client.get("/help/")  # a session, as a browser has one
    return client


def _open_first_result_of(client: Client, query: str, *, pick: str) -> None:
    page = client.get("/help/search/", {"q": query, "lang": "en"})
    log = SearchLog.objects.filter(session_key=client.session.session_key).latest("pk")
    assert f"?sq={log.pk}" in page.content.decode()
    article_url = next(h.article.get_absolute_url() for h in article_search(query=query, lang="en") if
                       h.article.title == pick)  # fmt: skip
    assert client.get(article_url, {"sq": log.pk}).status_code == 200


@pytest.fixture
def two_answers(category):
    """Two articles that answer "router lights" about as well."""
    lights = article_create(title="Router lights", body="Green means online.", lang="en", category=category,
                            published=True)  # fmt: skip
    setup = article_create(title="Router setup and lights", body="Plug it in.", lang="en", category=category,
                           published=True)  # fmt: skip
    return lights, setup


def test_opening_a_result_counts_once_per_reader(two_answers):
    reader = _reader()
    _open_first_result_of(reader, "router lights", pick="Router setup and lights")
    _open_first_result_of(reader, "Router   LIGHTS", pick="Router setup and lights")  # the same search again
    signal = SearchSignal.objects.get()
    assert (signal.normalized, signal.clicks) == ("light router", 1)
    assert signal.translation_group == two_answers[1].translation_group
    # Someone else's search id opens the article but counts for nobody.
    log = SearchLog.objects.latest("pk")
    other = _reader()
    other.get(two_answers[0].get_absolute_url(), {"sq": log.pk})
    assert SearchSignal.objects.get().clicks == 1


def test_many_readers_reorder_near_ties_and_a_few_do_not(two_answers):
    lights, setup = two_answers
    assert [h.article for h in article_search(query="router lights", lang="en")] == [lights, setup]
    for _ in range(3):
        _open_first_result_of(_reader(), "router lights", pick="Router setup and lights")
    assert [h.article for h in article_search(query="router lights", lang="en")][0] == lights
    for _ in range(40):
        _open_first_result_of(_reader(), "router lights", pick="Router setup and lights")
    assert [h.article for h in article_search(query="router lights", lang="en")][0] == setup


def test_votes_and_requests_after_a_search_become_signals(two_answers):
    lights, _setup = two_answers
    reader = _reader()
    _open_first_result_of(reader, "router lights", pick="Router lights")
    session_key = reader.session.session_key
    feedback_submit(article=lights, helpful=False, session_key=session_key)
    ticket = deliver(text="the lights are still red").message.ticket
    deflection_submitted(session_key=session_key, ticket_id=ticket.pk)
    signal = SearchSignal.objects.get(translation_group=lights.translation_group)
    assert (signal.clicks, signal.helpful, signal.unhelpful, signal.still_need_help) == (1, 0, 1, 1)
    assert SearchLog.objects.get(session_key=session_key).ticket == ticket
    # Sending again changes nothing: the searches are tied to a ticket already.
    deflection_submitted(session_key=session_key, ticket_id=ticket.pk)
    assert SearchSignal.objects.get(translation_group=lights.translation_group).still_need_help == 1


@pytest.fixture
def writer(agent) -> Client:
    client = Client()
    client.force_login(agent)
    return client


def test_writers_see_top_searches_empty_ones_content_gaps_and_deflection(two_answers, writer):
    lights, _setup = two_answers
    reader = _reader()
    _open_first_result_of(reader, "router lights", pick="Router lights")
    reader.get("/help/search/", {"q": "ค่าปรับยกเลิกสัญญา"})
    ticket = deliver(text="cancel my contract").message.ticket
    deflection_submitted(session_key=reader.session.session_key, ticket_id=ticket.pk)

    page = writer.get("/help/analytics/", {"days": 7})
    assert page.status_code == 200
    html = page.content.decode()
    top, empty, gaps, articles = (
        html.split(f'data-testid="{name}"')[1].split("</section>")[0]
        for name in ("top-queries", "no-results", "content-gaps", "article-deflection")
    )
    assert "router lights" in top and "ค่าปรับยกเลิกสัญญา" in top
    assert "ค่าปรับยกเลิกสัญญา" in empty and "router lights" not in empty
    assert "ค่าปรับยกเลิกสัญญา" in gaps and "router lights" in gaps
    assert lights.title in articles

    thai = writer.get("/help/analytics/", HTTP_ACCEPT_LANGUAGE="th").content.decode()
    assert "การค้นหา" in thai


def test_analytics_are_for_agents_only(anon_client, db):
    response = anon_client.get("/help/analytics/")
    assert response.status_code == 302 and "/console/login/" in response["Location"]


def test_analytics_run_a_constant_number_of_queries(two_answers, writer, django_assert_num_queries):
    def page_queries() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert writer.get("/help/analytics/").status_code == 200
        return len(queries)

    _open_first_result_of(_reader(), "router lights", pick="Router lights")
    few = page_queries()
    for query in ("router", "lights", "setup", "plug", "router setup"):
        _open_first_result_of(_reader(), query, pick="Router setup and lights")
    assert page_queries() == few


def test_a_search_without_a_session_is_logged_but_teaches_nothing(two_answers):
    log = usage.search_record(query="router", lang="en", results=2)
    assert usage.search_click_record(search_id=log.pk, article=two_answers[0], session_key="") is False
    assert not SearchSignal.objects.exists()
