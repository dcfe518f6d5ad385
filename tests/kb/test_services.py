"""Article services: Markdown rendering and sanitizing, translations, view counts,
feedback and drafts from an agent's answer."""

from __future__ import annotations

import pytest

from kb.models import Article, ArticleView
from kb.services import (
    ArticleError,
    article_create,
    article_create_from_message,
    article_view_record,
    feedback_submit,
)
from tests.factories import deliver
from tickets.services.replies import reply_create


def test_markdown_is_rendered_and_script_does_not_survive(category):
    body = (
        "# Steps\n\n1. Open **My orders**\n2. Tap [track](https://example.com/t)\n\n"
        "<script>alert('x')</script>\n\n<img src=x onerror=alert(1)>\n\n[click](javascript:alert(1))"
    )
    article = article_create(title="Tracking", body=body, lang="en", category=category, published=True)
    assert "<h1>Steps</h1>" in article.body_html and "<strong>My orders</strong>" in article.body_html
    assert '<a href="https://example.com/t" rel="noopener noreferrer nofollow">track</a>' in article.body_html
    for dangerous in ("<script", "onerror", "javascript:", "alert"):
        assert dangerous not in article.body_html


def test_thai_and_english_versions_are_linked_as_translations(category):
    english = article_create(title="Refunds", body="Refunds take 3 days.", lang="en", category=category)
    thai = article_create(
        title="การคืนเงิน", body="คืนเงินภายใน 3 วัน", lang="th", category=category, translation_of=english
    )
    assert thai.translation_group == english.translation_group
    assert thai.slug.startswith("th-")
    with pytest.raises(ArticleError, match="already has a English version"):
        article_create(title="Refunds again", body="", lang="en", category=category, translation_of=thai)


def test_views_count_once_per_session_with_f_expressions(category):
    article = article_create(title="Hours", body="8 to 22.", lang="en", category=category, published=True)
    assert article_view_record(article=article, session_key="s1") is True
    assert article_view_record(article=article, session_key="s1") is False
    assert article_view_record(article=article, session_key="s2") is True
    # A stale instance must not overwrite the database counter (no read-modify-write).
    article.view_count = 0
    article_view_record(article=article, session_key="")
    article.refresh_from_db()
    assert article.view_count == 3
    assert ArticleView.objects.filter(article=article).count() == 2


def test_feedback_counts_votes_and_keeps_the_comment(category):
    article = article_create(title="Hours", body="8 to 22.", lang="en", category=category, published=True)
    feedback_submit(article=article, helpful=True, session_key="a")
    feedback_submit(article=article, helpful=True, session_key="b")
    feedback_submit(article=article, helpful=False, comment="  Which time zone?  ", session_key="c")
    article.refresh_from_db()
    assert (article.helpful_yes, article.helpful_no, article.helpful_ratio) == (2, 1, 0.667)
    assert article.feedback.get(helpful=False).comment == "Which time zone?"


def test_an_agent_answer_becomes_a_draft_article(category, agent):
    ticket = deliver(
        "email", "somchai@example.com", "How do I get a tax invoice?", subject="Tax invoice request"
    ).ticket
    reply = reply_create(
        ticket=ticket, author=agent, text="Tick *full tax invoice* at checkout.\n\n- company name\n- tax ID"
    )
    article = article_create_from_message(message=reply, author=agent)
    assert (article.title, article.published, article.lang, article.author) == (
        "Tax invoice request",
        False,
        "en",
        agent,
    )
    assert "<em>full tax invoice</em>" in article.body_html and "<li>tax ID</li>" in article.body_html
    assert Article.objects.get(pk=article.pk).source_message == reply
