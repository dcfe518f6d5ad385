"""Base settings. Everything comes from the environment, with defaults that need
nothing installed: SQLite, the in-memory channel layer and eager Celery."""

from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from .env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent

DEBUG = env_bool("DEBUG", False)
# The development defaults of the secrets below are refused with DEBUG off unless this
# is set (`make run` and the test servers do): see helpdesk/secrets.py.
HELPDESK_ALLOW_DEV_SECRETS = env_bool("HELPDESK_ALLOW_DEV_SECRETS", False)
SECRET_KEY = env_str("SECRET_KEY", "insecure-dev-key-change-me-in-production-0123456789")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

HELPDESK_PUBLIC_URL = env_str("HELPDESK_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
HELPDESK_INBOUND_TOKEN = env_str("HELPDESK_INBOUND_TOKEN", "dev-inbound-token")
# The live chat's identity validation: a site that embeds the widget for its signed-in
# users signs "<user id>:<email>" with this (HMAC-SHA256); unset, pre-chat addresses
# are only claims until the visitor or an agent verifies them.
HELPDESK_CHAT_IDENTITY_SECRET = env_str("HELPDESK_CHAT_IDENTITY_SECRET", "")
HELPDESK_DEFAULT_REGION = env_str("HELPDESK_DEFAULT_REGION", "TH")
HELPDESK_TICKET_PREFIX = env_str("HELPDESK_TICKET_PREFIX", "HD")
FCR_WINDOW_DAYS = env_int("FCR_WINDOW_DAYS", 7)
# Inbound limits: a message or attachment over these is refused or dropped with a note.
HELPDESK_MAX_ATTACHMENT_BYTES = env_int("HELPDESK_MAX_ATTACHMENT_BYTES", 20 * 1024 * 1024)
HELPDESK_MAX_INBOUND_BYTES = env_int("HELPDESK_MAX_INBOUND_BYTES", 30 * 1024 * 1024)
HELPDESK_MAX_TEXT_CHARS = env_int("HELPDESK_MAX_TEXT_CHARS", 100_000)

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "anymail",
    "channels",
    "tickets",
    "channels_app.apps.ChannelsAppConfig",
    "kb",
    "helpdesk.apps.HelpdeskConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "helpdesk.errors.DatabaseUnavailableMiddleware",
    "helpdesk.security_headers.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "helpdesk.middleware.RejectNulCharactersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "helpdesk.urls"
WSGI_APPLICATION = "helpdesk.wsgi.application"
ASGI_APPLICATION = "helpdesk.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
            # Its `date` filter gives Thai readers the Buddhist year, in every template.
            "builtins": ["tickets.templatetags.thai_dates"],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the dev server, the eager tasks and the shell share the file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
    # The KPI rollups' covering indexes (INCLUDE) are PostgreSQL's; on SQLite the same
    # index simply lacks the extra columns, which is no fault worth a warning at start-up.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and not env_bool("DB_JIT", False):
    # PostgreSQL's JIT compiles the KPI aggregates for 60-80 ms and saves less than that:
    # the web's queries are short. DB_JIT=1 turns it back on.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool("DB_PREPARE", True):
    # Django's cursors bind on the client and never prepare. The inbox's cursor asks
    # for its statements to be prepared (tickets/selectors/inbox_statements.py), which
    # psycopg does only with a threshold set. DB_PREPARE=0 for a pooler in transaction
    # mode (PgBouncer before 1.21), where a prepared statement may not be there.
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 5
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool("DB_POOL", True):
    # psycopg's pool: a request or a task borrows a connection instead of opening one
    # (a new PostgreSQL connection costs milliseconds). Persistent connections stay
    # off (DB_CONN_MAX_AGE 0), as the pool requires.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env_int("DB_POOL_MIN", 1),
        "max_size": env_int("DB_POOL_MAX", 20),
        # A borrower waits this long for a connection; when PostgreSQL refuses, the 503
        # comes after it.
        "timeout": env_int("DB_POOL_TIMEOUT", 5),
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# The first reads a request's user with their profile and roles in one query; Django's
# own stays for the sessions it signed in.
AUTHENTICATION_BACKENDS = ["helpdesk.auth_backend.StaffBackend", "django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "/console/login/"
LOGIN_REDIRECT_URL = "/console/"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("th", _("Thai"))]
# The helpdesk's own catalogue first, then the Thai it adds to Django and DRF messages
# (locale/framework, kept by hand since makemessages does not write there).
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale" / "framework"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Bangkok")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedStaticFilesStorage"
        )
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = HELPDESK_MAX_INBOUND_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

REDIS_URL = env_str("REDIS_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "helpdesk.redis_cache.SharedClientRedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    ),
    # The {% cache %} tag's fragments (the console's menu and help in each language):
    # kept in each process's memory, as a trip to Redis would cost what they save.
    "template_fragments": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "fragments"},
}

if REDIS_URL:
    # A request's session is read from Redis, not PostgreSQL; every change is written to
    # both, and sessions from before are read from the table once.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tickets.api_auth.TokenWithRolesAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["tickets.permissions.IsStaffAgent"],
    "DEFAULT_PAGINATION_CLASS": "tickets.pagination.DefaultPagination",
    "PAGE_SIZE": 50,
    # drf-spectacular's, with every operation's error answers documented.
    "DEFAULT_SCHEMA_CLASS": "tickets.api_schema.AutoSchema",
    "EXCEPTION_HANDLER": "tickets.api_errors.exception_handler",
    # Per user (token or session) and per address for the anonymous; a 429 says when to retry.
    "DEFAULT_THROTTLE_CLASSES": ["tickets.throttles.ApiAnonThrottle", "tickets.throttles.ApiUserThrottle"],
    "DEFAULT_PARSER_CLASSES": [
        "tickets.api_errors.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
HELPDESK_API_RATE_USER = env_str("HELPDESK_API_RATE_USER", "600/minute")
HELPDESK_API_RATE_ANON = env_str("HELPDESK_API_RATE_ANON", "60/minute")
# Staff sign-in (console and admin): failures allowed per account and per address, in a window.
HELPDESK_SIGNIN_MAX_FAILURES_PER_ACCOUNT = env_int("HELPDESK_SIGNIN_MAX_FAILURES_PER_ACCOUNT", 5)
HELPDESK_SIGNIN_MAX_FAILURES_PER_IP = env_int("HELPDESK_SIGNIN_MAX_FAILURES_PER_IP", 20)
HELPDESK_SIGNIN_LOCKOUT_S = env_int("HELPDESK_SIGNIN_LOCKOUT_S", 15 * 60)
SPECTACULAR_SETTINGS = {
    "TITLE": "Helpdesk API",
    "DESCRIPTION": "Customers, their unified timeline, tickets, the knowledge base and KPIs.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI served from our own static files, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

if not DEBUG and env_bool("HELPDESK_SECURE_COOKIES", HELPDESK_PUBLIC_URL.startswith("https://")):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Django's deployment checklist: plain http is redirected, and browsers remember
    # to use https for a year. Paths exempt from the redirect (a load balancer's
    # health check over http) go in SECURE_REDIRECT_EXEMPT, as regexes.
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = env_list("SECURE_REDIRECT_EXEMPT", [])
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
# helpdesk/security_headers.py: on in production, HELPDESK_CSP=1 to try it elsewhere.
HELPDESK_CSP = env_bool("HELPDESK_CSP", not DEBUG and HELPDESK_PUBLIC_URL.startswith("https://"))
