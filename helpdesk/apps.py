from django.apps import AppConfig


class HelpdeskConfig(AppConfig):
    """The project's own wiring: its system checks and the admin's sign-in form."""

    name = "helpdesk"
    verbose_name = "Helpdesk"

    def ready(self) -> None:
        from django.contrib import admin

        from helpdesk import secrets  # noqa: F401  (registers the secrets checks)
        from tickets.console.signin import AdminSignInForm

        # The admin's sign-in has the console's lockout and audit trail.
        admin.site.login_form = AdminSignInForm
