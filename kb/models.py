"""The knowledge base: categories and sections, articles in Thai and English linked as
translations, feedback, views and deflection facts.

Articles are written through kb.services only: the services render the Markdown, build
the segmented search documents and keep the search index in sync."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Language(models.TextChoices):
    THAI = "th", _("Thai")
    ENGLISH = "en", _("English")


class Category(models.Model):
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=120)
    name_th = models.CharField(_("name (Thai)"), max_length=120, blank=True)
    description_en = models.CharField(_("description (English)"), max_length=300, blank=True)
    description_th = models.CharField(_("description (Thai)"), max_length=300, blank=True)
    icon = models.CharField(
        _("icon"),
        max_length=8,
        blank=True,
        # Drawn from static/icons.svg: an emoji would need an emoji font.
        help_text=_("Shown on the help center: box, card, return, lock, tools, chat or question."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("category")
        ordering = ["position", "slug"]
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name_en

    def get_absolute_url(self) -> str:
        return reverse("kb:category", args=[self.slug])

    def name_for(self, lang: str) -> str:
        return (self.name_th if lang == Language.THAI else self.name_en) or self.name_en

    def description_for(self, lang: str) -> str:
        return (self.description_th if lang == Language.THAI else self.description_en) or self.description_en


class Section(models.Model):
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.CASCADE, related_name="sections"
    )
    slug = models.SlugField(_("slug"), max_length=80)
    name_en = models.CharField(_("name (English)"), max_length=120)
    name_th = models.CharField(_("name (Thai)"), max_length=120, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("section")
        verbose_name_plural = _("sections")
        ordering = ["category", "position", "slug"]
        constraints = [models.UniqueConstraint(fields=["category", "slug"], name="kb_section_category_slug_uniq")]

    def __str__(self) -> str:
        return f"{self.category.slug} / {self.name_en}"

    def name_for(self, lang: str) -> str:
        return (self.name_th if lang == Language.THAI else self.name_en) or self.name_en


class Article(models.Model):
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=220, unique=True, allow_unicode=True)
    lang = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.ENGLISH)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="articles"
    )
    section = models.ForeignKey(
        Section, verbose_name=_("section"), null=True, blank=True, on_delete=models.SET_NULL, related_name="articles"
    )
    body = models.TextField(_("body (Markdown)"), blank=True)
    # Rendered once when saved: Markdown -> HTML -> nh3. Pages never render Markdown per view.
    body_html = models.TextField(_("body (HTML)"), editable=False, blank=True)
    body_text = models.TextField(_("body (plain text)"), editable=False, blank=True)
    # The Thai and English versions of one article share a group id.
    translation_group = models.UUIDField(_("translation group"), default=uuid.uuid4, db_index=True)
    published = models.BooleanField(_("published"), default=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    internal = models.BooleanField(
        _("internal"), default=False, help_text=_("Only agents see internal articles, in pages, search and API.")
    )
    tags = models.ManyToManyField("tickets.Tag", verbose_name=_("tags"), blank=True, related_name="kb_articles")
    related = models.ManyToManyField("self", verbose_name=_("related"), blank=True, symmetrical=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="kb_articles",
    )
    source_message = models.ForeignKey(
        "tickets.Message",
        verbose_name=_("source message"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="kb_articles",
    )
    view_count = models.PositiveIntegerField(_("view count"), default=0)
    helpful_yes = models.PositiveIntegerField(_("found helpful"), default=0)
    helpful_no = models.PositiveIntegerField(_("found not helpful"), default=0)
    # Segmented, space-joined, lower-cased search documents (kb.search.document).
    search_title = models.TextField(_("search index of the title"), editable=False, blank=True)
    search_body = models.TextField(_("search index of the body"), editable=False, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        ordering = ["category__position", "title"]
        indexes = [
            models.Index(fields=["published", "internal", "lang"], name="kb_article_visible_idx"),
            models.Index(fields=["category", "published"], name="kb_article_category_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["translation_group", "lang"], name="kb_article_one_per_lang"),
        ]

    def __str__(self) -> str:
        return f"[{self.lang}] {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("kb:article", args=[self.slug])

    @property
    def helpful_ratio(self) -> float | None:
        votes = self.helpful_yes + self.helpful_no
        return round(self.helpful_yes / votes, 3) if votes else None


class ArticleFeedback(models.Model):
    article = models.ForeignKey(Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="feedback")
    helpful = models.BooleanField(_("helpful"))
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    session_key = models.CharField(_("session key"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("article feedback")
        verbose_name_plural = _("article feedback")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        answer = _("helpful") if self.helpful else _("not helpful")
        return _("%(answer)s on #%(article)s") % {"answer": answer, "article": self.article_id}


class ArticleView(models.Model):
    """One reader's first view of an article, per session: how agents learn whether a
    customer who read it opened a ticket anyway."""

    article = models.ForeignKey(Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="views")
    session_key = models.CharField(_("session key"), max_length=64)
    # The request the reader sent afterwards anyway (kb.services.deflection_submitted).
    ticket = models.ForeignKey(
        "tickets.Ticket", verbose_name=_("ticket"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("article view")
        verbose_name_plural = _("article views")
        constraints = [models.UniqueConstraint(fields=["article", "session_key"], name="kb_view_once_per_session")]
        indexes = [models.Index(fields=["session_key", "created_at"], name="kb_view_session_idx")]

    def __str__(self) -> str:
        return _("#%(article)s read in %(session)s") % {"article": self.article_id, "session": self.session_key[:8]}


class DeflectionEvent(models.Model):
    """A suggested article that a customer opened while writing a request, and what came
    of it: still `viewed` while undecided, `submitted` when they sent the request
    anyway, `deflected` when they left without sending (kb.tasks sweeps)."""

    class Outcome(models.TextChoices):
        VIEWED = "viewed", _("viewed")
        DEFLECTED = "deflected", _("deflected")
        SUBMITTED = "submitted", _("submitted")

    session_key = models.CharField(_("session key"), max_length=64)
    article = models.ForeignKey(
        Article, verbose_name=_("article"), null=True, on_delete=models.SET_NULL, related_name="deflection_events"
    )
    query = models.CharField(_("query"), max_length=300, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.VIEWED)
    ticket = models.ForeignKey(
        "tickets.Ticket", verbose_name=_("ticket"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("deflection event")
        verbose_name_plural = _("deflection events")
        indexes = [
            models.Index(fields=["outcome", "created_at"], name="kb_deflection_outcome_idx"),
            models.Index(fields=["session_key", "outcome"], name="kb_deflection_session_idx"),
        ]

    def __str__(self) -> str:
        return _("%(outcome)s: #%(article)s in %(session)s") % {
            "outcome": self.get_outcome_display(),
            "article": self.article_id,
            "session": self.session_key[:8],
        }


class SearchLog(models.Model):
    """One search a reader ran on the help center or through the API, and what came of it:
    the result they opened, and the request they sent afterwards anyway (the content gaps
    of kb.analytics, and the "still need help" signal of kb.usage)."""

    query = models.CharField(_("query"), max_length=200)
    # The query's words as the index holds them, sorted: "Refunds?" and "refund" are one search.
    normalized = models.CharField(_("normalized query"), max_length=200, db_index=True)
    lang = models.CharField(_("language"), max_length=2, blank=True)
    results = models.PositiveSmallIntegerField(_("results"), default=0)
    session_key = models.CharField(_("session key"), max_length=64, blank=True)
    clicked = models.ForeignKey(
        Article, verbose_name=_("opened article"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", verbose_name=_("ticket"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("search")
        verbose_name_plural = _("searches")
        indexes = [
            models.Index(fields=["created_at"], name="kb_searchlog_created_idx"),
            models.Index(fields=["session_key", "created_at"], name="kb_searchlog_session_idx"),
        ]

    def __str__(self) -> str:
        return self.query


class SearchSignal(models.Model):
    """What readers did after one search with one article (both versions of a translation
    pair count together), each reader counted once: kb.usage turns it into a damped
    adjustment of the ranking."""

    normalized = models.CharField(_("normalized query"), max_length=200)
    translation_group = models.UUIDField(_("translation group"))
    clicks = models.PositiveIntegerField(_("opened"), default=0)
    helpful = models.PositiveIntegerField(_("found helpful"), default=0)
    unhelpful = models.PositiveIntegerField(_("found not helpful"), default=0)
    still_need_help = models.PositiveIntegerField(_("sent a request anyway"), default=0)

    class Meta:
        verbose_name = _("search signal")
        verbose_name_plural = _("search signals")
        constraints = [
            models.UniqueConstraint(fields=["normalized", "translation_group"], name="kb_searchsignal_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.normalized} -> {self.translation_group}"
