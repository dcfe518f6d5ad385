from django.apps import AppConfig


class KbConfig(AppConfig):
    name = "kb"
    verbose_name = "Knowledge base"

    def ready(self) -> None:
        # newmm's dictionary and the synonym rings load in about a second: at process
        # start, not on a reader's first Thai search.
        from kb import search
        from kb.synonyms import thesaurus

        search.warm_up()
        thesaurus()
