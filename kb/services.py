"""Every change to the knowledge base: articles, views, feedback and deflection.

For the help portal and the chat pre-form (deflection), call:

- ``deflection_suggestion_viewed(session_key=..., article_id=..., query=...)`` when a
  customer opens an article that was suggested while they wrote a request;
- ``deflection_submitted(session_key=..., ticket_id=...)`` when they send the request
  anyway (it also ties the articles they read and the searches they ran in that
  session to the ticket, kb.usage);
- or ``deflection_record(session_key=..., outcome="viewed"|"submitted", ...)``, which does
  one of the two.

Sessions that viewed a suggestion and sent nothing within DEFLECTION_AFTER_MINUTES are
marked deflected by the beat task ``kb.tasks.deflection_sweep``.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterable
from datetime import timedelta

import markdown
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext

from kb import search, usage
from kb.models import Article, ArticleFeedback, ArticleView, Category, DeflectionEvent, Language, Section
from kb.slugs import slug_from_text
from tickets.models import Message, Tag
from tickets.services.sanitize import html_to_text, sanitize_html

DEFLECTION_AFTER_MINUTES = 30
# A request sent this long after reading an article is no longer "after reading it".
SUBMITTED_WITHIN = timedelta(hours=24)
MARKDOWN_EXTENSIONS = ["extra", "sane_lists"]

EDITABLE_FIELDS = {"title", "body", "lang", "category", "section", "published", "internal", "slug"}


class ArticleError(ValueError):
    """An article change that cannot be made; the message says why."""


_markdown = threading.local()


def render_markdown(body: str) -> str:
    """Markdown to HTML, then through the same allow-list as every other HTML we show:
    raw HTML in the Markdown (a <script>, an onclick) does not survive."""
    # Building a converter loads its extensions (most of the cost): one per thread, reset per use.
    converter = getattr(_markdown, "converter", None)
    if converter is None:
        converter = _markdown.converter = markdown.Markdown(extensions=MARKDOWN_EXTENSIONS, output_format="html")
    return sanitize_html(converter.reset().convert(body or ""))


def _unique_slug(*, title: str, lang: str, exclude_id: int | None = None) -> str:
    base = slug_from_text(title, max_length=200) or "article"
    if lang == Language.THAI and not re.search(r"[a-z0-9]", base):
        base = f"th-{base}"
    slug, n = base, 1
    taken = Article.objects.exclude(pk=exclude_id).filter(slug__startswith=base).values_list("slug", flat=True)
    taken = set(taken)
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


def _tag_objects(names: Iterable[str]) -> list[Tag]:
    tags = []
    for name in names:
        clean = slugify(name, allow_unicode=True)[:60]
        if clean:
            tags.append(Tag.objects.get_or_create(name=clean)[0])
    return tags


def _prepare(article: Article, *, tag_names: Iterable[str]) -> None:
    """Derived fields: rendered HTML, plain text and the segmented search documents."""
    article.body_html = render_markdown(article.body)
    article.body_text = html_to_text(article.body_html)
    # Tags are keywords chosen by the authors: they weigh like the title.
    article.search_title = search.document(" ".join([article.title, *(t.replace("-", " ") for t in tag_names)]))
    article.search_body = search.document(article.body_text)


def _check_translation(*, article: Article, translation_of: Article | None) -> None:
    if translation_of is None:
        return
    if translation_of.pk == article.pk:
        raise ArticleError(gettext("An article cannot be a translation of itself."))
    clash = Article.objects.filter(translation_group=translation_of.translation_group, lang=article.lang)
    if clash.exclude(pk=article.pk).exists():
        raise ArticleError(
            gettext("That article already has a %(language)s version.") % {"language": article.get_lang_display()}
        )
    article.translation_group = translation_of.translation_group


@transaction.atomic
def article_create(
    *,
    title: str,
    body: str,
    lang: str,
    category: Category,
    section: Section | None = None,
    published: bool = False,
    internal: bool = False,
    tags: Iterable[str] = (),
    translation_of: Article | None = None,
    related: Iterable[Article] = (),
    author=None,
    source_message: Message | None = None,
    slug: str = "",
) -> Article:
    if not (title or "").strip():
        raise ArticleError(gettext("An article needs a title."))
    if lang not in Language.values:
        raise ArticleError(
            gettext("Unknown language %(language)r: use one of %(languages)s.")
            % {"language": lang, "languages": ", ".join(Language.values)}
        )
    tag_names = list(tags)
    now = timezone.now()
    article = Article(
        title=title.strip(),
        body=body or "",
        lang=lang,
        category=category,
        section=section,
        published=published,
        published_at=now if published else None,
        internal=internal,
        author=author,
        source_message=source_message,
        slug=slug or _unique_slug(title=title, lang=lang),
        translation_group=uuid.uuid4(),
        created_at=now,
        updated_at=now,
    )
    _check_translation(article=article, translation_of=translation_of)
    _prepare(article, tag_names=tag_names)
    article.save()
    article.tags.set(_tag_objects(tag_names))
    if related:
        article.related.set(related)
    search.index_articles([article.pk])
    return article


@transaction.atomic
def article_update(
    *,
    article: Article,
    data: dict,
    tags: Iterable[str] | None = None,
    translation_of: Article | None = None,
    related: Iterable[Article] | None = None,
) -> Article:
    """Changes the given fields (a subset of EDITABLE_FIELDS); tags and related articles
    are replaced when given."""
    unknown = set(data) - EDITABLE_FIELDS
    if unknown:
        raise ArticleError(
            gettext("These fields cannot be changed: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    for name, value in data.items():
        setattr(article, name, value)
    if not (article.title or "").strip():
        raise ArticleError(gettext("An article needs a title."))
    if data.get("published") and not article.published_at:
        article.published_at = timezone.now()
    _check_translation(article=article, translation_of=translation_of)
    if "slug" not in data and "title" in data and not article.published:
        # Drafts follow their title; a published address stays stable for links.
        article.slug = _unique_slug(title=article.title, lang=article.lang, exclude_id=article.pk)
    tag_names = list(tags) if tags is not None else list(article.tags.values_list("name", flat=True))
    _prepare(article, tag_names=tag_names)
    article.updated_at = timezone.now()
    article.save()
    if tags is not None:
        article.tags.set(_tag_objects(tag_names))
    if related is not None:
        article.related.set([a for a in related if a.pk != article.pk])
    search.index_articles([article.pk])
    return article


@transaction.atomic
def article_delete(*, article: Article) -> None:
    article_id = article.pk
    article.delete()
    search.unindex_articles([article_id])


def articles_reindex(*, batch_size: int = 500) -> int:
    """Renders and segments every article again, then rebuilds the engine's index: after
    an upgrade of pythainlp's dictionary or of the sanitizer's allow-list, or a restore
    of the table without its FTS5 companion. Returns the number of articles."""
    count = 0
    queryset = Article.objects.prefetch_related("tags").order_by("pk")
    for start in range(0, Article.objects.count(), batch_size):
        batch = list(queryset[start : start + batch_size])
        for article in batch:
            _prepare(article, tag_names=[tag.name for tag in article.tags.all()])
        Article.objects.bulk_update(batch, ["body_html", "body_text", "search_title", "search_body"])
        count += len(batch)
    search.rebuild_index()
    return count


def article_create_from_message(*, message: Message, author) -> Article:
    """A draft article from an agent's answer on a ticket: the ticket's subject as title,
    the message text as the Markdown body, in the customer's language when known."""
    ticket = message.ticket
    text = (message.text or html_to_text(message.html)).strip()
    if not text:
        raise ArticleError(gettext("That message has no text to turn into an article."))
    title = (ticket.subject or message.subject or text.splitlines()[0])[:200]
    lang = Language.THAI if search._THAI_RUN.search(title + text) else Language.ENGLISH
    category = Category.objects.order_by("position", "pk").first()
    if category is None:
        raise ArticleError(gettext("Create a knowledge-base category first."))
    return article_create(
        title=title,
        body=text,
        lang=lang,
        category=category,
        published=False,
        author=author,
        source_message=message,
    )


def article_view_record(*, article: Article, session_key: str = "") -> bool:
    """Counts a reader's view once per session (every view when there is no session).
    The counter moves with F() in the database, so concurrent readers never lose a count."""
    if session_key:
        try:
            with transaction.atomic():
                ArticleView.objects.create(article=article, session_key=session_key[:64])
        except IntegrityError:
            return False
    Article.objects.filter(pk=article.pk).update(view_count=F("view_count") + 1)
    return True


@transaction.atomic
def feedback_submit(*, article: Article, helpful: bool, comment: str = "", session_key: str = "") -> ArticleFeedback:
    feedback = ArticleFeedback.objects.create(
        article=article, helpful=helpful, comment=(comment or "").strip()[:2000], session_key=session_key[:64]
    )
    counter = "helpful_yes" if helpful else "helpful_no"
    Article.objects.filter(pk=article.pk).update(**{counter: F(counter) + 1})
    usage.search_vote_record(article=article, helpful=helpful, session_key=session_key)
    # The caller shows the new counts; F() left the instance with the old ones.
    article.refresh_from_db(fields=["helpful_yes", "helpful_no"])
    return feedback


def deflection_suggestion_viewed(*, session_key: str, article_id: int, query: str = "") -> DeflectionEvent:
    """A customer opened a suggested article while writing a request (portal or chat
    pre-form). One 'viewed' event per session and article."""
    if not session_key:
        raise ArticleError(gettext("A deflection needs the visitor's session key."))
    event, _ = DeflectionEvent.objects.get_or_create(
        session_key=session_key[:64],
        article_id=article_id,
        outcome=DeflectionEvent.Outcome.VIEWED,
        defaults={"query": (query or "")[:300]},
    )
    return event


@transaction.atomic
def deflection_submitted(*, session_key: str, ticket_id: int | None) -> int:
    """The customer sent their request after all: the suggestions they viewed in the last
    24 hours (even ones already swept as deflected) count as submitted, with the ticket,
    and the articles they read in that time are tied to it. Returns the events changed."""
    if not session_key:
        return 0
    since = timezone.now() - SUBMITTED_WITHIN
    changed = DeflectionEvent.objects.filter(
        session_key=session_key,
        created_at__gte=since,
        outcome__in=[DeflectionEvent.Outcome.VIEWED, DeflectionEvent.Outcome.DEFLECTED],
    ).update(outcome=DeflectionEvent.Outcome.SUBMITTED, ticket_id=ticket_id, decided_at=timezone.now())
    if ticket_id:
        ArticleView.objects.filter(session_key=session_key, created_at__gte=since, ticket__isnull=True).update(
            ticket_id=ticket_id
        )
    usage.search_still_need_help(session_key=session_key, ticket_id=ticket_id)
    return changed


def deflection_record(
    *, session_key: str, outcome: str, article_id: int | None = None, query: str = "", ticket_id: int | None = None
) -> int:
    """One entry point for callers that hold the outcome as data: 'viewed' (needs
    article_id) or 'submitted' (ticket_id). Returns the number of events recorded or changed."""
    if outcome == DeflectionEvent.Outcome.VIEWED:
        if article_id is None:
            raise ArticleError(gettext("A viewed suggestion needs its article."))
        deflection_suggestion_viewed(session_key=session_key, article_id=article_id, query=query)
        return 1
    if outcome == DeflectionEvent.Outcome.SUBMITTED:
        return deflection_submitted(session_key=session_key, ticket_id=ticket_id)
    raise ArticleError(
        gettext("Only 'viewed' and 'submitted' are recorded by callers; 'deflected' is decided by the sweep.")
    )


def deflection_sweep(*, older_than_minutes: int = DEFLECTION_AFTER_MINUTES) -> int:
    """Marks suggestions viewed more than N minutes ago, in sessions that sent nothing
    since, as deflected. Idempotent: a second run finds nothing left to mark."""
    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    return DeflectionEvent.objects.filter(outcome=DeflectionEvent.Outcome.VIEWED, created_at__lt=cutoff).update(
        outcome=DeflectionEvent.Outcome.DEFLECTED, decided_at=timezone.now()
    )
