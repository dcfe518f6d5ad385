"""Knowledge-base admin. Saving goes through kb.services so that the Markdown is rendered
and sanitized and the search index stays in sync."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from kb.models import Article, ArticleFeedback, Category, DeflectionEvent, Section
from kb.services import article_create, article_delete, article_update


class SectionInline(admin.TabularInline):
    model = Section
    extra = 0


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name_en", "name_th", "slug", "position"]
    list_editable = ["position"]
    prepopulated_fields = {"slug": ["name_en"]}
    inlines = [SectionInline]


class ArticleAdminForm(forms.ModelForm):
    tag_names = forms.CharField(label=_("tags"), required=False, help_text=_("Comma-separated."))
    translation_of = forms.ModelChoiceField(
        Article.objects.all(),
        required=False,
        label=_("translation of"),
        help_text=_("Link this article to its version in the other language."),
    )

    class Meta:
        model = Article
        fields = ["title", "slug", "lang", "category", "section", "body", "published", "internal", "related"]

    def clean(self):
        cleaned = super().clean()
        other, lang = cleaned.get("translation_of"), cleaned.get("lang")
        if other and lang:
            clash = Article.objects.filter(translation_group=other.translation_group, lang=lang)
            if other.pk == self.instance.pk or clash.exclude(pk=self.instance.pk).exists():
                raise forms.ValidationError(_("That article already has a version in this language."))
        return cleaned

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        if self.instance.pk:
            self.fields["tag_names"].initial = ", ".join(self.instance.tags.values_list("name", flat=True))


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    form = ArticleAdminForm
    list_display = [
        "title", "lang", "category", "published", "internal", "view_count", "helpful_yes", "helpful_no",
        "tickets_after_reading", "updated_at",
    ]  # fmt: skip
    list_filter = ["lang", "published", "internal", "category"]
    search_fields = ["title", "slug"]
    autocomplete_fields = ["related"]
    readonly_fields = ["view_count", "helpful_yes", "helpful_no", "translation_group", "created_at", "updated_at"]
    actions = ["publish", "unpublish"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("category")
            .annotate(_tickets_after_reading=Count("views__ticket", distinct=True))
        )

    @admin.display(description=_("tickets after reading"), ordering="_tickets_after_reading")
    def tickets_after_reading(self, obj: Article) -> int:
        return obj._tickets_after_reading

    def save_model(self, request, obj: Article, form, change: bool) -> None:
        data = form.cleaned_data
        tags = [t.strip() for t in data.get("tag_names", "").split(",") if t.strip()]
        if change:
            fields = {name: data[name] for name in form.changed_data if name in form.Meta.fields}
            fields.pop("related", None)
            form.instance = article_update(
                article=obj, data=fields, tags=tags, translation_of=data.get("translation_of")
            )
        else:
            form.instance = article_create(
                title=data["title"], body=data["body"], lang=data["lang"], category=data["category"],
                section=data.get("section"), published=data["published"], internal=data["internal"],
                tags=tags, translation_of=data.get("translation_of"), slug=data.get("slug") or "",
                author=request.user,
            )  # fmt: skip

    def save_related(self, request, form, formsets, change: bool) -> None:
        # Only the related articles are saved here; tags were set by the service.
        form.instance.related.set(form.cleaned_data.get("related") or [])

    def delete_model(self, request, obj: Article) -> None:
        article_delete(article=obj)

    @admin.action(description=_("Publish the selected articles"))
    def publish(self, request, queryset) -> None:
        for article in queryset:
            article_update(article=article, data={"published": True})

    @admin.action(description=_("Unpublish the selected articles"))
    def unpublish(self, request, queryset) -> None:
        for article in queryset:
            article_update(article=article, data={"published": False})


@admin.register(ArticleFeedback)
class ArticleFeedbackAdmin(admin.ModelAdmin):
    list_display = ["article", "helpful", "comment", "created_at"]
    list_filter = ["helpful"]
    list_select_related = ["article"]
    readonly_fields = ["article", "helpful", "comment", "session_key", "created_at"]


@admin.register(DeflectionEvent)
class DeflectionEventAdmin(admin.ModelAdmin):
    list_display = ["session_key", "article", "query", "outcome", "ticket", "created_at", "decided_at"]
    list_filter = ["outcome"]
    list_select_related = ["article"]
