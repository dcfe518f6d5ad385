"""The knowledge-base API under /api/v1/kb/: article management for agents, and search
and suggestions for everyone (internal articles only ever reach agents)."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from kb import search
from kb.models import Article, Category, Language, Section
from kb.selectors import SearchHit, article_list, article_search, article_suggestions, deflection_rate
from kb.services import (
    ArticleError,
    article_create,
    article_create_from_message,
    article_delete,
    article_update,
)
from kb.slugs import SLUG_PATTERN, validate_slug_text
from kb.usage import search_record
from tickets.models import Message
from tickets.permissions import IsStaffAgent, IsSupervisor

SUGGEST_MAX_CHARS = 300


class _SettingsRateThrottle(SimpleRateThrottle):
    """Per client IP (or user), with the rate read from a setting so operators can tune it."""

    setting = ""
    default_rate = "120/min"

    def get_rate(self) -> str:
        return getattr(settings, self.setting, self.default_rate)

    def get_cache_key(self, request, view) -> str:
        ident = request.user.pk if request.user and request.user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class SearchThrottle(_SettingsRateThrottle):
    scope = "kb_search"
    setting = "KB_SEARCH_RATE"
    default_rate = "120/min"


class SuggestThrottle(_SettingsRateThrottle):
    scope = "kb_suggest"
    setting = "KB_SUGGEST_RATE"
    default_rate = "240/min"


@extend_schema_field({"type": "string", "pattern": SLUG_PATTERN, "maxLength": 220})
class ArticleSlugField(serializers.CharField):
    """A slug in any script, Thai marks included (kb/slugs.py)."""


class ArticleSerializer(serializers.ModelSerializer):
    slug = ArticleSlugField(max_length=220, required=False, validators=[validate_slug_text])
    category = serializers.SlugRelatedField(slug_field="slug", queryset=Category.objects.all())
    section = serializers.SlugRelatedField(
        slug_field="slug", queryset=Section.objects.all(), required=False, allow_null=True
    )
    tags = serializers.ListField(
        child=serializers.CharField(max_length=60), required=False, max_length=20, source="tag_names"
    )
    related = serializers.PrimaryKeyRelatedField(many=True, queryset=Article.objects.all(), required=False)
    translation_of = serializers.PrimaryKeyRelatedField(
        queryset=Article.objects.all(), required=False, allow_null=True, write_only=True
    )
    helpful_ratio = serializers.FloatField(read_only=True, allow_null=True)
    tickets_after_reading = serializers.IntegerField(read_only=True, default=0)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Article
        fields = [
            "id", "title", "slug", "body", "body_html", "lang", "category", "section", "published",
            "published_at", "internal", "tags", "related", "translation_of", "translation_group",
            "view_count", "helpful_yes", "helpful_no", "helpful_ratio", "tickets_after_reading",
            "url", "author", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = [
            "body_html", "published_at", "translation_group", "view_count", "helpful_yes", "helpful_no",
            "author", "created_at", "updated_at",
        ]  # fmt: skip
        extra_kwargs = {"body": {"max_length": 100_000}}

    def to_representation(self, instance: Article) -> dict:
        # Tags come from the prefetch of article_list: no query per article.
        instance.tag_names = [tag.name for tag in instance.tags.all()]
        return super().to_representation(instance)

    def get_url(self, obj: Article) -> str:
        return reverse("kb:article", args=[obj.slug])

    def validate(self, attrs: dict) -> dict:
        section, category = attrs.get("section"), attrs.get("category") or getattr(self.instance, "category", None)
        if section and category and section.category_id != category.pk:
            raise ValidationError({"section": _("That section belongs to another category.")})
        return attrs


class FromMessageSerializer(serializers.Serializer):
    message = serializers.PrimaryKeyRelatedField(queryset=Message.objects.select_related("ticket"))


class ArticleViewSet(viewsets.ModelViewSet):
    """Agents write articles: drafts, internal ones and translations included. Each
    article carries its health (views, helpful votes, tickets created after reading it)."""

    serializer_class = ArticleSerializer
    permission_classes = [IsStaffAgent]

    def get_queryset(self):
        params = self.request.query_params
        return article_list(
            user=self.request.user,
            lang=params.get("lang", ""),
            category=params.get("category", ""),
            q=params.get("q", "")[:100],
        )

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        try:
            serializer.instance = article_create(
                title=data["title"],
                body=data.get("body", ""),
                lang=data.get("lang", Language.ENGLISH),
                category=data["category"],
                section=data.get("section"),
                published=data.get("published", False),
                internal=data.get("internal", False),
                tags=data.get("tag_names", []),
                translation_of=data.get("translation_of"),
                related=data.get("related", []),
                slug=data.get("slug", ""),
                author=self.request.user,
            )
        except ArticleError as exc:
            raise ValidationError({"detail": str(exc)}) from exc

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        tags = data.pop("tag_names", None)
        related = data.pop("related", None)
        translation_of = data.pop("translation_of", None)
        try:
            serializer.instance = article_update(
                article=serializer.instance, data=data, tags=tags, related=related, translation_of=translation_of
            )
        except ArticleError as exc:
            raise ValidationError({"detail": str(exc)}) from exc

    def perform_destroy(self, instance: Article) -> None:
        article_delete(article=instance)

    def _fresh(self, article: Article) -> Article:
        return self.get_queryset().get(pk=article.pk)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        return Response(self.get_serializer(self._fresh(serializer.instance)).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        serializer = self.get_serializer(self.get_object(), data=request.data, partial=kwargs.pop("partial", False))
        serializer.is_valid(raise_exception=True)
        self.perform_update(serializer)
        return Response(self.get_serializer(self._fresh(serializer.instance)).data)

    @extend_schema(request=FromMessageSerializer, responses=ArticleSerializer)
    @action(detail=False, methods=["post"], url_path="from-message")
    def from_message(self, request):
        """A draft article from an agent's answer: the ticket subject as title, the
        message text as body."""
        payload = FromMessageSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            article = article_create_from_message(message=payload.validated_data["message"], author=request.user)
        except ArticleError as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        return Response(self.get_serializer(self._fresh(article)).data, status=status.HTTP_201_CREATED)


class SearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(max_length=search.QUERY_MAX_CHARS, trim_whitespace=True)
    lang = serializers.ChoiceField(choices=Language.choices, required=False, allow_blank=True, default="")
    limit = serializers.IntegerField(min_value=1, max_value=50, required=False, default=10)


class SuggestQuerySerializer(SearchQuerySerializer):
    q = serializers.CharField(max_length=SUGGEST_MAX_CHARS, trim_whitespace=True)
    limit = serializers.IntegerField(min_value=1, max_value=10, required=False, default=5)


def hit_as_dict(hit: SearchHit, *, suggested_query: str = "", search_id: int | None = None) -> dict:
    article = hit.article
    url = reverse("kb:article", args=[article.slug])
    if suggested_query:
        # The article page records the suggestion as viewed (deflection) from this marker.
        url = f"{url}?{urlencode({'suggested': '1', 'q': suggested_query[:100]})}"
    elif search_id:
        # ...and the open of a search result (kb.usage.search_click_record) from this one.
        url = f"{url}?{urlencode({'sq': search_id})}"
    return {
        "id": article.pk,
        "title": article.title,
        "lang": article.lang,
        "snippet": str(hit.snippet),
        "url": url,
        "category": article.category.slug,
        "score": hit.score,
        "internal": article.internal,
        "translations": [
            {"id": t.pk, "lang": t.lang, "title": t.title, "url": reverse("kb:article", args=[t.slug])}
            for t in hit.translations
        ],
    }


# One class for both responses: the schema names it once.
_RESULTS = inline_serializer(
    "KbSearchResult",
    {
        "id": serializers.IntegerField(), "title": serializers.CharField(), "lang": serializers.CharField(),
        "snippet": serializers.CharField(help_text="Escaped text with <mark> around matched words."),
        "url": serializers.CharField(), "category": serializers.CharField(), "score": serializers.FloatField(),
        "internal": serializers.BooleanField(),
        "translations": inline_serializer(
            "KbTranslation",
            {"id": serializers.IntegerField(), "lang": serializers.CharField(),
             "title": serializers.CharField(), "url": serializers.CharField()},
            many=True,
        ),
    },
    many=True,
)  # fmt: skip

_SEARCH_RESPONSE = inline_serializer(
    "KbSearchResponse",
    {"query": serializers.CharField(), "lang": serializers.CharField(), "count": serializers.IntegerField(),
     "search_id": serializers.IntegerField(), "results": _RESULTS},
)  # fmt: skip
_SUGGEST_RESPONSE = inline_serializer("KbSuggestResponse", {"results": _RESULTS})
_DEFLECTION_RESPONSE = inline_serializer(
    "KbDeflectionRate",
    {"from": serializers.DateField(), "to": serializers.DateField(), "deflected": serializers.IntegerField(),
     "submitted": serializers.IntegerField(), "pending": serializers.IntegerField(),
     "rate": serializers.FloatField(allow_null=True)},
)  # fmt: skip

_SEARCH_PARAMS = [
    OpenApiParameter("q", str, required=True, description="What the reader looks for, in Thai or English."),
    OpenApiParameter("lang", str, enum=Language.values, description="The reader's language: a preference."),
    OpenApiParameter("limit", int),
]


class SearchView(APIView):
    """Published articles that answer `q`, best first. `lang` is a preference, not a
    filter. Open to everyone; internal articles only for agents."""

    permission_classes = [AllowAny]
    throttle_classes = [SearchThrottle]

    @extend_schema(parameters=_SEARCH_PARAMS, responses=_SEARCH_RESPONSE)
    def get(self, request):
        params = SearchQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        hits = article_search(query=data["q"], lang=data["lang"], user=request.user, limit=data["limit"])
        logged = search_record(
            query=data["q"], lang=data["lang"], results=len(hits), session_key=request.session.session_key or ""
        )
        return Response(
            {
                "query": data["q"],
                "lang": data["lang"],
                "count": len(hits),
                "search_id": logged.pk,
                "results": [hit_as_dict(hit, search_id=logged.pk) for hit in hits],
            }
        )


class SuggestView(APIView):
    """Articles to suggest while a customer types a request (portal form, chat pre-form).
    Short text, rate-limited per client; result links record the view for deflection."""

    permission_classes = [AllowAny]
    throttle_classes = [SuggestThrottle]

    @extend_schema(parameters=_SEARCH_PARAMS, responses=_SUGGEST_RESPONSE)
    def get(self, request):
        params = SuggestQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        hits = article_suggestions(text=data["q"], lang=data["lang"], limit=data["limit"], user=request.user)
        return Response({"results": [hit_as_dict(hit, suggested_query=data["q"]) for hit in hits]})


EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2999, 12, 31)


class DateRangeSerializer(serializers.Serializer):
    def get_fields(self) -> dict:
        # 'from' is a Python keyword: the fields are declared here rather than as attributes.
        return {"from": serializers.DateField(), "to": serializers.DateField()}

    def validate(self, attrs: dict) -> dict:
        if attrs["from"] > attrs["to"]:
            raise ValidationError({"from": _("'from' must not be after 'to'.")})
        # The day bounds become datetimes in the local zone: the far ends of the calendar overflow.
        for name in ("from", "to"):
            if not EARLIEST_DAY <= attrs[name] <= LATEST_DAY:
                message = _("The date must be between %(earliest)s and %(latest)s.")
                raise ValidationError({name: message % {"earliest": EARLIEST_DAY, "latest": LATEST_DAY}})
        return attrs


class DeflectionRateView(APIView):
    """`GET /api/v1/kb/deflection/?from=YYYY-MM-DD&to=YYYY-MM-DD` for supervisors."""

    permission_classes = [IsSupervisor]

    @extend_schema(
        parameters=[OpenApiParameter("from", str, required=True), OpenApiParameter("to", str, required=True)],
        responses=_DEFLECTION_RESPONSE,
    )
    def get(self, request):
        params = DateRangeSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        start, end = params.validated_data["from"], params.validated_data["to"]
        return Response({"from": start, "to": end, **deflection_rate(start=start, end=end)})
