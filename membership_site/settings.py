"""One settings module, driven by the environment.

The defaults are embedded so that a laptop needs nothing but Python: a SQLite file database, an
embedded Celery broker (kombu's SQLAlchemy transport on a SQLite file) and e-mail written to files.
In production every value comes from the environment and ``manage.py check --deploy`` is clean.
"""

from __future__ import annotations

import warnings
import zoneinfo
from pathlib import Path
from urllib.parse import urlparse

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()


def _fail(name: str, problem: str) -> None:
    """Stop start-up with one line that names the variable (no traceback to read through)."""
    raise SystemExit(f"Configuration error: {name} {problem}")


def _int(name: str, default: int) -> int:
    try:
        return env.int(name, default=default)
    except ValueError:
        _fail(name, f"must be a whole number, not {env.str(name)!r}")
        raise  # unreachable: _fail exits


DEBUG = env.bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        _fail("DJANGO_SECRET_KEY", "must be set when DJANGO_DEBUG is off")
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"  # noqa: S105

SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
_site = urlparse(SITE_URL)
if _site.scheme not in {"http", "https"} or not _site.hostname:
    _fail("SITE_URL", f"is not an absolute http(s) URL: {SITE_URL!r}")

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[_site.hostname, "localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = [f"{_site.scheme}://{_site.netloc}"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "django_prose_editor",  # rich-text editor for lesson bodies and descriptions (static in wheel)
    "allauth",
    "allauth.account",
    "members",
    "products",
    "billing",
    "invoices",
    "drip",
    "outbox",
    "branding",
    "dashboard",
    "leads",
    "magazine",
    "offers",
    "sequences",
    "funnel",
    "privacy",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "membership_site.middleware.RefuseUnusableUrlsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "membership_site.middleware.LocaleMiddleware",  # Django's, without i18n_patterns' path checks
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "members.session_user.SessionUserMiddleware",  # Django's, with the user row read faster
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "membership_site.middleware.StorageUnavailableMiddleware",
]

# Forms render through templates/components/ (_form.html, _form_field.html).
FORM_RENDERER = "membership_site.forms.SiteFormRenderer"

ROOT_URLCONF = "membership_site.urls"
WSGI_APPLICATION = "membership_site.wsgi.application"

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
                "branding.context_processors.branding",
                "branding.context_processors.account_flags",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
try:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # django-environ warns before we can name the variable
        DATABASES = {
            "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        }
except Exception as error:  # noqa: BLE001 - any parse failure is a configuration error
    _fail("DATABASE_URL", f"cannot be parsed: {error}")
if not DATABASES["default"].get("ENGINE"):
    _fail("DATABASE_URL", "names an unknown database scheme")
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", _int("DATABASE_CONN_MAX_AGE", 60))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web, worker, beat) share the file: wait for locks instead of failing.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
    DATABASES["default"].setdefault("TEST", {})["NAME"] = ":memory:"
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend, with timestamps read by psycopg's C loader (issue 20).
    DATABASES["default"]["ENGINE"] = "membership_site.postgresql"
if DATABASES["default"]["ENGINE"] == "membership_site.postgresql" and _int(
    "DATABASE_PREPARED_STATEMENTS", 1
):
    # Prepared statements (issue 20): planning was two thirds of PostgreSQL's CPU per page (a
    # member's dashboard: 4.5 ms of PostgreSQL CPU without, 1.2 ms with). psycopg prepares a
    # statement on its fifth run on a connection; Django turns that off unless asked, for the
    # sake of poolers in transaction mode. DATABASE_PREPARED_STATEMENTS=0 when PgBouncer before
    # 1.21 (or one without max_prepared_statements) stands between the site and PostgreSQL.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("server_side_binding", True)
    DATABASES["default"]["OPTIONS"].setdefault("prepare_threshold", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts (django-allauth, login by e-mail, no usernames) --------------------------------
AUTH_USER_MODEL = "members.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/members/"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_ADAPTER = "members.adapters.AccountAdapter"
# Accounts come from purchases; a creator may open public sign-up (for free lead magnets).
ACCOUNT_SIGNUP_OPEN = env.bool("ACCOUNT_SIGNUP_OPEN", default=False)
# Purchases find their account by address. With public sign-up, anyone could register a buyer's
# address first: then an account must verify its address before it can log in.
ACCOUNT_EMAIL_VERIFICATION = "mandatory" if ACCOUNT_SIGNUP_OPEN else "optional"
# Behind a reverse proxy that appends X-Forwarded-For (nginx, Caddy): how many. Rate limits then
# count each client, not the proxy. Leave 0 without a proxy, or clients could fake their address.
ALLAUTH_TRUSTED_PROXY_COUNT = _int("TRUSTED_PROXY_COUNT", 0)
# Rate limits on login and password reset (allauth keeps the counters in the cache).
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key",
    "signup": "20/m/ip",
}

# --- Cache --------------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    if urlparse(REDIS_URL).scheme not in {"redis", "rediss", "unix"}:
        _fail("REDIS_URL", f"is not a redis:// URL: {REDIS_URL!r}")
    # Fails open: with Redis down, rate limits let requests through and sessions come from the
    # database, each logged as a WARNING; a page never answers 500 for it.
    CACHES = {
        "default": {"BACKEND": "membership_site.cache.FailOpenRedisCache", "LOCATION": REDIS_URL}
    }
    # Sessions read from Redis (written through to the database): one query less on every page.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Celery ---------------------------------------------------------------------------------
EMBEDDED_BROKER = f"sqla+sqlite:///{VAR_DIR / 'celery-broker.sqlite3'}"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or EMBEDDED_BROKER)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fix-up closes every database connection before and after each task unless
# this is set: a new PostgreSQL connection (a server process forked, its catalog caches cold)
# for every webhook, e-mail and PDF, some 10 ms and a good share of a launch burst's CPU. With
# it, a task keeps its connection; membership_site.celery closes one that is broken or older
# than CONN_MAX_AGE around each task, as Django does around each request, and the fix-up still
# closes all of them every this-many tasks.
CELERY_DB_REUSE_MAX = 1000
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
# With acks_late, Redis hands a task that a worker took but never acknowledged (the worker was
# killed) to another worker only after this many seconds; a task still running (or waiting for
# its retry countdown, at most 10 minutes with retry_backoff) when it passes runs a second time.
# The longest tasks (a beat batch, an invoice PDF and its e-mail) take seconds to a few minutes,
# so 30 minutes is safe, and the hard time limit below keeps every task shorter than that.
# Redis' default is one hour. Side effects do not wait for it: the outbox job resends after
# a few minutes, and a second copy of a task finds its rows done.
# Only Redis knows this option; kombu hands the SQLAlchemy transport's options to create_engine,
# which refuses unknown ones (the embedded broker then could not queue anything).
# "priority": a worker consuming several queues takes the next task from the first queue of its
# `-Q` list that has one (celery, then mail, then pdf), instead of taking turns; during a burst
# of purchases, webhook processing (access) goes first and PDFs wait for a quiet moment.
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {"visibility_timeout": 30 * 60, "queue_order_strategy": "priority"}
    if CELERY_BROKER_URL.startswith(("redis", "rediss"))
    else {}
)
CELERY_TASK_TIME_LIMIT = 20 * 60
# Queues: webhook processing (access) and the periodic jobs stay on Celery's default queue
# ("celery", the name tasks queued before this split sit in); e-mails have their own queue and
# invoice PDFs theirs, so neither ever delays a buyer's access. One worker must consume all
# three (`celery worker -Q celery,mail,pdf`, as `make run` and docker-compose.yml do); README
# "Celery queues" shows how to run a worker per queue. tests/test_celery_queues.py checks that
# every queue named here is consumed by those commands.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {
    "outbox.tasks.send_outbox_messages": {"queue": "mail"},
    "outbox.tasks.render_outbox_documents": {"queue": "pdf"},
    # Legacy tasks, no longer queued by the code, routed as what they do.
    "billing.tasks.send_order_email": {"queue": "mail"},
    "billing.tasks.send_payment_failed_email": {"queue": "mail"},
    "drip.tasks.send_lesson_notices": {"queue": "mail"},
    "drip.tasks.send_lapse_emails": {"queue": "mail"},
    "invoices.tasks.deliver_document": {"queue": "pdf"},
    "invoices.tasks.resend_document": {"queue": "pdf"},
}
CELERY_BEAT_SCHEDULE: dict[str, dict] = {}
for _schedule_module in (
    "billing.schedule",
    "drip.schedule",
    "outbox.schedule",
    "leads.schedule",
    "sequences.schedule",
    "invoices.schedule",
):
    CELERY_BEAT_SCHEDULE.update(__import__(_schedule_module, fromlist=["x"]).BEAT_SCHEDULE)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- E-mail -----------------------------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend")
if EMAIL_BACKEND in {"smtp", "django.core.mail.backends.smtp.EmailBackend"}:
    # Django's SMTP backend plus SMTPUTF8 for addresses with non-ASCII characters before the @.
    EMAIL_BACKEND = "membership_site.email_backend.EmailBackend"
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = _int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
# Seconds; without a timeout a silent mail server would hold a worker (and an outbox row's lock).
EMAIL_TIMEOUT = _int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Membership <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where members write when billing cannot be managed online (shown on the member pages).
SUPPORT_EMAIL = env.str("SUPPORT_EMAIL", default="")

# --- Payment providers --------------------------------------------------------------------
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
# A Connect account (acct_…) whose events this site applies. Unset: events that name an
# account (a connected account's events on a Connect endpoint) are stored and ignored.
STRIPE_ACCOUNT_ID = env.str("STRIPE_ACCOUNT_ID", default="").strip()
# Offline test mode (DJANGO_DEBUG on, no STRIPE_SECRET_KEY): the local test checkout signs its
# Stripe-shaped events with this development secret, so `make run` sells without a Stripe
# account. With a real key, or with DEBUG off, an unset secret refuses every delivery.
# Blank secrets (" ", ",") are never replaced by this one: they are refused and reported
# (billing/providers/secrets.py; /healthz, check --deploy).
STRIPE_OFFLINE_WEBHOOK_SECRET = "whsec_offline_test_mode"  # noqa: S105 - local test mode only
if DEBUG and not STRIPE_SECRET_KEY and not STRIPE_WEBHOOK_SECRET:
    STRIPE_WEBHOOK_SECRET = STRIPE_OFFLINE_WEBHOOK_SECRET
LOGIN_LINK_MAX_AGE_SECONDS = _int("LOGIN_LINK_MAX_AGE_SECONDS", 3 * 24 * 60 * 60)
DIGISTORE24_IPN_PASSPHRASE = env.str("DIGISTORE24_IPN_PASSPHRASE", default="")
# The EU's VIES service (checks business buyers' VAT ids); a slow answer counts as "down" and
# the check is retried by the beat job, so a webhook's worker never waits longer than this.
VIES_TIMEOUT_SECONDS = _int("VIES_TIMEOUT_SECONDS", 10)
# A request header with the buyer's country from the IP address, set by the proxy in front of
# the site (Cloudflare: CF-IPCountry); recorded as OSS location evidence. Unset: not recorded.
IP_COUNTRY_HEADER = env.str("IP_COUNTRY_HEADER", default="")

# --- Membership rules -------------------------------------------------------------------------
MEMBERSHIP_CURRENCY = env.str("MEMBERSHIP_CURRENCY", default="EUR").upper()
if len(MEMBERSHIP_CURRENCY) != 3 or not MEMBERSHIP_CURRENCY.isalpha():
    _fail("MEMBERSHIP_CURRENCY", f"is not an ISO 4217 code such as EUR: {MEMBERSHIP_CURRENCY!r}")
MEMBERSHIP_GRACE_DAYS = _int("MEMBERSHIP_GRACE_DAYS", 3)

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en")
LANGUAGES = [("en", _("English")), ("de", _("German")), ("nl", _("Dutch"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["membership_site.formats"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Berlin")
if TIME_ZONE not in zoneinfo.available_timezones():
    _fail("TIME_ZONE", f"is not a known time zone: {TIME_ZONE!r}")
USE_I18N = True
USE_TZ = True

# --- Files ----------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Paid downloads live outside the web root and are served only through signed links.
PRIVATE_MEDIA_ROOT = Path(env.str("PRIVATE_MEDIA_ROOT", default=str(VAR_DIR / "private")))
# Signed download links expire after this many seconds. With a prefix set (e.g. "/protected/",
# an nginx `internal` location aliased to PRIVATE_MEDIA_ROOT) nginx streams the file.
DOWNLOAD_LINK_MAX_AGE_SECONDS = _int("DOWNLOAD_LINK_MAX_AGE_SECONDS", 60 * 60)
DOWNLOAD_X_ACCEL_REDIRECT_PREFIX = env.str("DOWNLOAD_X_ACCEL_REDIRECT_PREFIX", default="")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {"BACKEND": "products.storage.PrivateStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Private files on any S3-compatible store (AWS S3, Cloudflare R2, MinIO, Hetzner) through
# django-storages, under its own variable names; unset means local disk (PRIVATE_MEDIA_ROOT).
# A member who passes the access check is redirected to a presigned URL that expires after
# PRIVATE_FILE_URL_SECONDS. Without keys, boto3's own chain applies (e.g. an instance role).
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="").strip()
PRIVATE_FILE_URL_SECONDS = _int("PRIVATE_FILE_URL_SECONDS", 60)
if AWS_STORAGE_BUCKET_NAME:
    from membership_site.s3 import private_s3_options

    AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default="")
    if AWS_S3_ENDPOINT_URL and urlparse(AWS_S3_ENDPOINT_URL).scheme not in {"http", "https"}:
        _fail("AWS_S3_ENDPOINT_URL", f"is not an http(s) URL: {AWS_S3_ENDPOINT_URL!r}")
    _bucket = {
        "bucket_name": AWS_STORAGE_BUCKET_NAME,
        "endpoint_url": AWS_S3_ENDPOINT_URL,
        "region_name": env.str("AWS_S3_REGION_NAME", default=""),
        "access_key": env.str("AWS_ACCESS_KEY_ID", default=""),
        "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default=""),
        "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default=""),
        "url_seconds": PRIVATE_FILE_URL_SECONDS,
    }
    _location = env.str("AWS_LOCATION", default="").strip("/")
    STORAGES["private"] = {
        "BACKEND": "products.s3.PrivateS3Storage",
        "OPTIONS": private_s3_options(**_bucket, location=_location),
    }
    # Covers, lesson images and the logo: the same bucket, under public/, still served at /media/.
    STORAGES["default"] = {
        "BACKEND": "products.s3.PublicMediaS3Storage",
        "OPTIONS": private_s3_options(**_bucket, location=f"{_location}/public".lstrip("/")),
    }
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

# --- Security ---------------------------------------------------------------------------------
# Flash messages ("Successfully signed in as <e-mail>") stay on the server, not in a cookie.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = _int("DJANGO_SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
# /healthz answers plain HTTP to the load balancer's probe.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},  # its INFO lines log every step of every PDF
    },
}

VAR_DIR.mkdir(parents=True, exist_ok=True)
