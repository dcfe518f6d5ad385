from django.apps import AppConfig


class ChannelsAppConfig(AppConfig):
    name = "channels_app"
    verbose_name = "Channels"

    def ready(self) -> None:
        # Each adapter registers its sender (and media fetcher) with tickets.registry.
        from channels_app import senders  # noqa: F401
        from channels_app.outbox import checks  # noqa: F401  (warns when production mail would go to the dev outbox)
