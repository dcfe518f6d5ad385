from django.core.management.base import BaseCommand

from kb.services import articles_reindex


class Command(BaseCommand):
    help = "Renders and segments every knowledge-base article again and rebuilds the search index."

    def handle(self, *args, **options):
        count = articles_reindex()
        self.stdout.write(self.style.SUCCESS(f"Knowledge base: {count} articles reindexed."))
