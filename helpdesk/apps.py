from django.apps import AppConfig


class HelpdeskConfig(AppConfig):
    """The project's own wiring: its system checks."""

    name = "helpdesk"
    verbose_name = "Helpdesk"

    def ready(self) -> None:
        from helpdesk import secrets  # noqa: F401  (registers the secrets checks)
