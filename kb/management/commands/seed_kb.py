from django.core.management.base import BaseCommand

from kb.seed import seed_articles


class Command(BaseCommand):
    help = "Creates the help-center categories and articles (Thai and English) of kb/fixtures/articles.json."

    def handle(self, *args, **options):
        created = seed_articles()
        count = sum(len(versions) for versions in created.values())
        self.stdout.write(self.style.SUCCESS(f"Knowledge base: {count} articles in {len(created)} topics."))
