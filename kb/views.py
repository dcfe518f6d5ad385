"""The public help center under /help/: categories, articles, search and feedback.
Thin views: they validate, call a selector or one service, and render."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kb import search
from kb.analytics import search_analytics
from kb.models import Article, Category
from kb.selectors import (
    article_for_reader,
    article_health,
    article_related,
    article_search,
    article_translations,
    categories_with_counts,
    category_articles,
    preferred_language,
    visible_articles,
)
from kb.services import article_view_record, deflection_suggestion_viewed, feedback_submit
from kb.usage import search_click_record, search_record
from tickets.permissions import is_agent

# One vote per article and session a day; at most this many votes per client an hour.
FEEDBACK_PER_ARTICLE_S = 24 * 3600
FEEDBACK_PER_HOUR = 30
FEEDBACK_COMMENT_MAX = 1000


def _reader_language(request: HttpRequest) -> str:
    return preferred_language(request.GET.get("lang") or get_language()) or "en"


def _session_key(request: HttpRequest) -> str:
    if not request.session.session_key:
        request.session.save()
    return request.session.session_key


def _client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _one_per_language(articles: list[Article], lang: str) -> list[Article]:
    """Each translation group once, in the reader's language when it has that version."""
    chosen: dict = {}
    for article in articles:
        current = chosen.get(article.translation_group)
        if current is None or (article.lang == lang and current.lang != lang):
            chosen[article.translation_group] = article
    return list(chosen.values())


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    lang = _reader_language(request)
    popular = visible_articles(user=request.user).filter(lang=lang).order_by("-view_count", "title")[:6]
    return render(
        request,
        "kb/home.html",
        {
            "lang": lang,
            "categories": [
                (category, category.name_for(lang), category.description_for(lang))
                for category in categories_with_counts(user=request.user)
            ],
            "popular": popular,
        },
    )


@require_GET
def category_page(request: HttpRequest, slug: str) -> HttpResponse:
    category = get_object_or_404(Category, slug=slug)
    lang = _reader_language(request)
    articles = _one_per_language(list(category_articles(category=category, user=request.user)), lang)
    sections: dict = {}
    for article in articles:
        sections.setdefault(article.section, []).append(article)
    grouped = [
        (section.name_for(lang) if section else "", items)
        for section, items in sorted(sections.items(), key=lambda kv: (kv[0] is None, kv[0] and kv[0].position))
    ]
    return render(
        request,
        "kb/category.html",
        {
            "lang": lang,
            "category": category,
            "category_name": category.name_for(lang),
            "category_description": category.description_for(lang),
            "sections": grouped,
            "empty": not articles,
        },
    )


@require_GET
def article_page(request: HttpRequest, slug: str) -> HttpResponse:
    article = article_for_reader(slug=slug, user=request.user)
    if article is None:
        raise Http404(_("No such article."))
    session_key = _session_key(request)
    article_view_record(article=article, session_key=session_key)
    if request.GET.get("suggested") == "1":
        # Opened from a suggestion while writing a request (portal or chat pre-form).
        deflection_suggestion_viewed(session_key=session_key, article_id=article.pk, query=request.GET.get("q", ""))
    search_id = request.GET.get("sq", "")
    if search_id.isdigit() and len(search_id) < 19:
        # Opened from the results of a search (kb/search.html links carry its id).
        search_click_record(search_id=int(search_id), article=article, session_key=session_key)
    lang = _reader_language(request)
    voted = cache.get(_vote_key(article.pk, session_key))
    return render(
        request,
        "kb/article.html",
        {
            "lang": lang,
            "article": article,
            "category_name": article.category.name_for(lang),
            "section_name": article.section.name_for(lang) if article.section else "",
            "translations": article_translations(article=article, user=request.user),
            "related": article_related(article=article, user=request.user),
            "voted": voted,
            "votes": votes_text(article),
            "health": article_health(article_ids=[article.pk])[0] if is_agent(request.user) else None,
            "feedback_sent": request.GET.get("feedback") == "sent",
        },
    )


@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    lang = _reader_language(request)
    query = request.GET.get("q", "").strip()
    error = ""
    hits = []
    logged = None
    if len(query) > search.QUERY_MAX_CHARS:
        error = _("Please shorten your search to %(count)d characters.") % {"count": search.QUERY_MAX_CHARS}
    elif query:
        hits = article_search(query=query, lang=lang, user=request.user, limit=20)
        logged = search_record(query=query, lang=lang, results=len(hits), session_key=_session_key(request))
    return render(
        request,
        "kb/search.html",
        {
            "lang": lang,
            "query": query,
            "results": [(hit, hit.article.category.name_for(lang)) for hit in hits],
            "search_id": logged.pk if logged else "",
            "error": error,
        },
        status=400 if error else 200,
    )


def _vote_key(article_id: int, session_key: str) -> str:
    return f"kb:vote:{article_id}:{session_key}"


@require_POST
def feedback(request: HttpRequest, slug: str) -> HttpResponse:
    """'Was this helpful?' (CSRF-protected form; portal JS posts it too and asks for JSON)."""
    article = article_for_reader(slug=slug, user=request.user)
    if article is None:
        raise Http404(_("No such article."))
    wants_json = "application/json" in request.headers.get("Accept", "")
    helpful = request.POST.get("helpful")
    comment = request.POST.get("comment", "").strip()
    if helpful not in ("yes", "no") or len(comment) > FEEDBACK_COMMENT_MAX:
        message = _("Please answer yes or no, with a comment of at most %(count)d characters.") % {
            "count": FEEDBACK_COMMENT_MAX
        }
        return _feedback_answer(request, article, wants_json, message, status=400)
    session_key = _session_key(request)
    hourly_key = f"kb:votes-hour:{_client_ip(request)}"
    cache.add(hourly_key, 0, timeout=3600)
    if cache.incr(hourly_key) > FEEDBACK_PER_HOUR:
        return _feedback_answer(request, article, wants_json, _("Too many answers. Please try later."), status=429)
    # cache.add is atomic: the second vote of a session on this article is refused.
    if not cache.add(_vote_key(article.pk, session_key), helpful, timeout=FEEDBACK_PER_ARTICLE_S):
        return _feedback_answer(request, article, wants_json, _("You already answered. Thank you!"), status=429)
    feedback_submit(article=article, helpful=helpful == "yes", comment=comment, session_key=session_key)
    return _feedback_answer(request, article, wants_json, _("Thank you for your feedback!"), status=200)


def votes_text(article: Article) -> str:
    """"3 of 4 people found this helpful", or nothing before the first vote."""
    total = article.helpful_yes + article.helpful_no
    if not total:
        return ""
    return ngettext(
        "%(yes)d of %(total)d person found this helpful.", "%(yes)d of %(total)d people found this helpful.", total
    ) % {"yes": article.helpful_yes, "total": total}


def _feedback_answer(request, article: Article, wants_json: bool, message: str, *, status: int) -> HttpResponse:
    if wants_json:
        return JsonResponse(
            {
                "message": message,
                "ok": status == 200,
                "helpful_yes": article.helpful_yes,
                "helpful_no": article.helpful_no,
                "votes": votes_text(article),
            },
            status=status,
        )
    if status == 200:
        return redirect(f"{article.get_absolute_url()}?feedback=sent#feedback")
    return render(request, "kb/feedback_error.html", {"article": article, "message": message}, status=status)


ANALYTICS_PERIODS = (7, 30, 90)


@require_GET
def analytics_page(request: HttpRequest) -> HttpResponse:
    """Search analytics for the agents who write the articles (kb.analytics)."""
    if not is_agent(request.user):
        return redirect_to_login(request.get_full_path(), login_url=reverse("console:login"))
    days = request.GET.get("days", "")
    days = int(days) if days.isdigit() and int(days) in ANALYTICS_PERIODS else 30
    until = timezone.now()
    data = search_analytics(since=until - timedelta(days=days), until=until)
    return render(request, "kb/analytics.html", {"days": days, "periods": ANALYTICS_PERIODS, **data})
