"""Settings of the ASGI server processes that the end-to-end tests start: the real
settings, with static files served from the source tree (no collectstatic needed)."""

from helpdesk.settings import *  # noqa: F401,F403
from helpdesk.settings import STORAGES

WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
