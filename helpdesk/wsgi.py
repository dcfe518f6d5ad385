import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
application = get_wsgi_application()

from helpdesk.secrets import refuse_default_secrets  # noqa: E402

refuse_default_secrets()
