from django.apps import AppConfig


class HelpdeskConfig(AppConfig):
    """The project's own wiring: its system checks, the admin's sign-in form and the
    signals that keep the cached staff choices current."""

    name = "helpdesk"
    verbose_name = "Helpdesk"

    def ready(self) -> None:
        from django.contrib import admin

        from helpdesk import secrets  # noqa: F401  (registers the secrets checks)
        from tickets.console.signin import AdminSignInForm
        from tickets.selectors.staff_choices import connect_signals

        connect_signals()

        # The admin's sign-in has the console's lockout and audit trail.
        admin.site.login_form = AdminSignInForm
