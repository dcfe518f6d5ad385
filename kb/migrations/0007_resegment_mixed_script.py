"""Segments every article's search documents again: words where Thai and Latin letters
touch ("รหัสwifi", "Wi-Fiที่บ้าน") used to be indexed as one odd word, and now split into
their Thai and Latin words, as queries are (kb.search._WORDS)."""

from django.db import migrations

BATCH = 500


def forwards(apps, schema_editor):
    from kb.search import document

    Article = apps.get_model("kb", "Article")
    articles = Article.objects.prefetch_related("tags").order_by("pk")
    batch = []
    for article in articles.iterator(chunk_size=BATCH):
        tags = [tag.name.replace("-", " ") for tag in article.tags.all()]
        article.search_title = document(" ".join([article.title, *tags]))
        article.search_body = document(article.body_text)
        batch.append(article)
        if len(batch) >= BATCH:
            Article.objects.bulk_update(batch, ["search_title", "search_body"])
            batch = []
    if batch:
        Article.objects.bulk_update(batch, ["search_title", "search_body"])
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DELETE FROM kb_article_fts")
        schema_editor.execute(
            "INSERT INTO kb_article_fts (rowid, title, body) SELECT id, search_title, search_body FROM kb_article"
        )


class Migration(migrations.Migration):
    dependencies = [("kb", "0006_category_icon_names")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
