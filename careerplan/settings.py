"""careerplan settings: one file, driven by environment variables.

The defaults are the embedded, local ones (SQLite in WAL mode and a filesystem broker under
var/, emails written to var/mail/). Production only sets variables; the README lists them.
"""

import os
from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name, default=""):
    """Return a variable, or the contents of the file named by NAME_FILE (Docker secrets)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return os.environ.get(name, default)


def env_bool(name, default=False):
    value = env(name, "")
    if value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name, default):
    value = env(name, "")
    return int(value) if value else default


def env_list(name, default=""):
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


VAR_DIR = Path(env("VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)
(VAR_DIR / "staticfiles").mkdir(exist_ok=True)

DEFAULT_SECRET_KEY = "insecure-careerplan-development-key-change-me"  # noqa: S105
DEBUG = env_bool("DEBUG", default=True)
SECRET_KEY = env("SECRET_KEY", DEFAULT_SECRET_KEY)
if not DEBUG and SECRET_KEY == DEFAULT_SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY must be set when DEBUG is off: the default key is public. "
        "Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", SITE_URL)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "careerplan",
    "accounts",
    "plans",
    "journals",
    "buddies",
    "reminders",
    "personaldata",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "careerplan.htmx.SignInAgainMiddleware",
    "accounts.middleware.TimezoneMiddleware",
    "accounts.middleware.InvalidFormStatusMiddleware",
]

ROOT_URLCONF = "careerplan.urls"
WSGI_APPLICATION = "careerplan.wsgi.application"

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
                "django.template.context_processors.csp",
            ],
        },
    },
]

# Database: SQLite in WAL mode under var/ unless DATABASE_URL names PostgreSQL.
DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=env_int("CONN_MAX_AGE", 60),
            conn_health_checks=True,
        )
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "careerplan.sqlite3",
            # Reusing the connection saves re-running the PRAGMAs on every request
            # (bench/: the bare view serves 1.6x the requests).
            "CONN_MAX_AGE": env_int("CONN_MAX_AGE", 60),
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {
                # WAL lets the web server, the worker and beat read while one writes;
                # IMMEDIATE takes the write lock at BEGIN so two writers queue on the
                # busy timeout instead of failing with "database is locked" mid-transaction.
                # A 16 MB page cache and 128 MB read through mmap, not SQLite's 2 MB:
                # the check-up sweep of a large table reads and writes pages all over it.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA cache_size=-16384; PRAGMA mmap_size=134217728;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "careerplan.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "careerplan",
            # Copies of each signed-in request's session, version and row kept in the
            # process while Redis says they are unchanged (careerplan.nearcache).
            "OPTIONS": {"near": env_bool("NEAR_CACHE", default=True)},
        }
    }
else:
    # Login and sign-up throttling counts attempts in the cache; the embedded mode runs
    # one web process, so a process-local cache is enough there.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Sessions, signed-in users and pages are read from the cache only when every process
# shares it (careerplan.versions): with a cache per process, a sign-out or a change made
# in one process would not reach the others. The embedded mode runs a worker beside the
# web server, so it reads them from the database.
SHARED_CACHE = bool(REDIS_URL)
if SHARED_CACHE:
    # Django's cached_db (read from Redis, written through to the database, so a session
    # outlives a Redis restart), read with the signed-in person and the page asked for.
    SESSION_ENGINE = "accounts.sessions"
# Signed-in pages kept under their viewer's and owner's versions (careerplan.pagecache);
# only with a shared cache. Off: every page is rendered on every request.
PAGE_CACHE = env_bool("PAGE_CACHE", default=True)
# Tests only: render every page served from the cache again and fail if it differs.
PAGE_CACHE_VERIFY = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Django's and allauth's backends, reading the signed-in person from the shared cache.
AUTHENTICATION_BACKENDS = [
    "accounts.backends.ModelBackend",
    "accounts.backends.AuthenticationBackend",
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
# The site's own words for allauth's pages (locale/en/LC_MESSAGES/django.po, compiled
# to django.mo beside it: `msgfmt -o django.mo django.po`).
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Accounts (django-allauth): email login, mandatory verification, no usernames.
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "plans-dashboard"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupForm"
# Account emails in the site's style, and a buddy's invitation kept through sign-up.
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
# Confirming the address (in the browser that signed up) signs the person in: no second
# typing of the password they chose a minute ago.
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
# For the few allauth emails that keep allauth's text (accounts.adapter.ACCOUNT_EMAILS).
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[careerplan] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https") else "http"
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "10/h/ip",
    # An address gets at most three reset emails an hour, whoever asks for them.
    "reset_password": "20/h/ip,3/h/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    # Restoring an archive is the heaviest request there is (personaldata.importing).
    "import_archive": "5/h/user",
}
ACCOUNT_SESSION_REMEMBER = None
# Throttling counts by the client's address. Behind a reverse proxy every request comes
# from the proxy, so one person's failed logins would lock everyone out: name how many
# proxies append to X-Forwarded-For (or the header a single proxy sets the client's
# address in), and allauth reads the client from there.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = os.environ.get("TRUSTED_CLIENT_IP_HEADER") or None
# Two-factor sign-in (allauth.mfa): an authenticator app's codes with recovery codes, and
# passkeys or security keys where the browser has WebAuthn. Browsers allow WebAuthn only
# on HTTPS or localhost; the embedded mode serves http://127.0.0.1, so only DEBUG
# accepts an insecure origin.
MFA_ADAPTER = "accounts.adapter.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG
MFA_TOTP_ISSUER = "careerplan"

# Every form's first refused field opens focused (careerplan.forms.BoundField).
FORM_RENDERER = "careerplan.forms.FormRenderer"
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Mail: Django 6.1 MAILERS. Embedded default writes every message to var/mail/ (one .log
# file per connection, readable as text) and echoes it on the console.
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "careerplan <careerplan@localhost>")
SERVER_EMAIL = env("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
EMAIL_URL = env("EMAIL_URL", "file://" + str(VAR_DIR / "mail"))
MAILERS = {"default": {}}
if EMAIL_URL.startswith(("smtp://", "smtps://", "submission://")):
    from urllib.parse import parse_qs, unquote, urlsplit

    _mail = urlsplit(EMAIL_URL)
    _query = parse_qs(_mail.query)
    MAILERS["default"] = {
        # Django's SMTP backend, writing the app's own emails without the email package's
        # header objects (careerplan.mail.SMTPBackend).
        "BACKEND": "careerplan.mail.SMTPBackend",
        "OPTIONS": {
            "host": _mail.hostname or "localhost",
            "port": _mail.port or (465 if _mail.scheme == "smtps" else 587),
            "username": unquote(_mail.username or ""),
            "password": unquote(_mail.password or ""),
            "use_ssl": _mail.scheme == "smtps",
            "use_tls": _mail.scheme == "submission" or _query.get("tls") == ["1"],
            "timeout": 20,
        },
    }
elif EMAIL_URL.startswith("anymail://"):
    # anymail://postmark uses anymail.backends.postmark.EmailBackend with ANYMAIL_API_KEY.
    _esp = EMAIL_URL.removeprefix("anymail://").strip("/")
    MAILERS["default"] = {
        "BACKEND": f"anymail.backends.{_esp}.EmailBackend",
        "OPTIONS": {"api_key": env("ANYMAIL_API_KEY")},
    }
elif EMAIL_URL.startswith("console://"):
    MAILERS["default"] = {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
elif EMAIL_URL.startswith("file://"):
    MAILERS["default"] = {
        "BACKEND": "careerplan.mail.FileAndConsoleBackend",
        "OPTIONS": {"file_path": EMAIL_URL.removeprefix("file://")},
    }
else:
    raise ImproperlyConfigured(
        f"EMAIL_URL must start with smtp://, smtps://, submission://, anymail://, "
        f"console:// or file://, not {EMAIL_URL.split(':')[0]!r}."
    )

# Celery: a filesystem broker under var/ unless REDIS_URL is set.
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    # kombu's filesystem transport, writing each message whole before a worker can see
    # it (careerplan.broker: a worker could read one half-written, crash and lose it).
    # The URL's scheme names it, so every connection made from the URL uses it.
    from careerplan import broker as _broker

    CELERY_BROKER_URL, CELERY_BROKER_TRANSPORT_OPTIONS = _broker.configure(VAR_DIR / "broker")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# Each worker also consumes a queue of its own, where its watchdog's probes go.
CELERY_WORKER_DIRECT = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Celery's shelve scheduler, telling beat's watchdog of every tick (careerplan.beat).
CELERY_BEAT_SCHEDULER = "careerplan.beat:Scheduler"
# The whole schedule, on fixed UTC intervals (no per-step ETA tasks: beat plus the outbox
# is the schedule, so a broker restart or a second beat cannot lose or double a reminder).
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {"task": "careerplan.tasks.heartbeat", "schedule": timedelta(minutes=1)},
    # The check-up sweep; it also sends rows whose enqueue was lost. The fault tests
    # shorten the interval through CHECKUP_SWEEP_SECONDS.
    "buddies-sweep-checkups": {
        "task": "buddies.tasks.sweep_checkups",
        "schedule": timedelta(seconds=env_int("CHECKUP_SWEEP_SECONDS", 60)),
    },
    # Hourly, so each planner's Monday 08:00 is met in their own zone; the ISO week in
    # the row's key makes every later run that week write nothing.
    "buddies-queue-digests": {
        "task": "buddies.tasks.queue_digests",
        "schedule": timedelta(hours=1),
    },
    # The planner's own reminders: those whose moment has come, once per local day.
    "reminders-pass": {
        "task": "reminders.tasks.reminder_pass",
        "schedule": timedelta(seconds=env_int("REMINDER_PASS_SECONDS", 60)),
    },
    # Expire downloads of people's data, recover lost builds, and purge deleted
    # accounts once their buddies have been told (personaldata.jobs.tidy).
    "personaldata-tidy": {"task": "personaldata.tasks.tidy", "schedule": timedelta(minutes=10)},
}
# An account with more rows than this gets its archive built by a worker, with a
# progress page and an email when it is ready; a smaller one downloads at once.
DATA_EXPORT_INLINE_ROWS = env_int("DATA_EXPORT_INLINE_ROWS", 5000)
# The outbox sender's lease on a claimed row, and how long a pending row may wait for its
# send task before the sweep sends it (docs/decisions.md, "Delivery semantics"). The
# fault tests shorten both so that recovery happens within the test.
OUTBOX_SEND_LEASE = timedelta(seconds=env_int("OUTBOX_SEND_LEASE_SECONDS", 300))
OUTBOX_LOST_ENQUEUE_AFTER = timedelta(seconds=env_int("OUTBOX_LOST_ENQUEUE_SECONDS", 60))
# A celebration, or the answer "done" or "dropped" to a check-up, waits this long before
# it goes, so that an Undo straight after takes it back (buddies.receivers).
OUTBOX_CHANGE_OF_MIND = timedelta(seconds=env_int("OUTBOX_CHANGE_OF_MIND_SECONDS", 120))
# The first back-off after a failed attempt (then doubled each time, at most an hour).
OUTBOX_RETRY_AFTER = timedelta(seconds=env_int("OUTBOX_RETRY_SECONDS", 60))
# A worker that has consumed nothing for this long while idle exits with status 1, for its
# supervisor (docker-compose's restart policy, `make run`) to start it again
# (careerplan.watchdog). 0 turns the watchdog off.
WORKER_WATCHDOG_SECONDS = env_int("WORKER_WATCHDOG_SECONDS", 90)
# Touched by the watchdog whenever the worker has shown it consumes (docker-compose's
# health check reads its age); empty: no file.
WORKER_ALIVE_FILE = env("WORKER_ALIVE_FILE")
# A beat that has completed no tick for this long after one was due (its publish hangs on
# a dead broker connection) exits with status 1, to be started again (careerplan.beat).
# 0 turns the watchdog off.
BEAT_WATCHDOG_SECONDS = env_int("BEAT_WATCHDOG_SECONDS", 90)
# Touched by beat's watchdog while beat ticks (docker-compose's health check reads its
# age); empty: no file.
BEAT_ALIVE_FILE = env("BEAT_ALIVE_FILE")

# Prometheus metrics at /metrics: for staff signed in, or for a scraper sending
# `Authorization: Bearer <METRICS_TOKEN>` (no token set: staff only).
METRICS_TOKEN = env("METRICS_TOKEN")

# Web Push for the planner's reminders: the server's VAPID private key (base64url, the raw
# 32 bytes or DER) and the contact push services may use. Push is offered only when set.
VAPID_PRIVATE_KEY = env("VAPID_PRIVATE_KEY")
VAPID_SUBJECT = env("VAPID_SUBJECT", "mailto:" + parseaddr(DEFAULT_FROM_EMAIL)[1])

# Security headers. The CSP has no 'unsafe-inline' or 'unsafe-eval': every script and style
# is a file under static/, and the few inline <script> tags carry the request's nonce.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# A form sent from a page that is out of date gets the site's own page (careerplan.views).
CSRF_FAILURE_VIEW = "careerplan.views.csrf_failure"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Orchestrators and scrapers call these inside the deployment, over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_PRELOAD:
        # Preloading binds the whole domain to HTTPS for months and is hard to undo, so it
        # is the operator's choice, not a default: check --deploy need not warn about it.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
# Only for load tests of a production build on plain HTTP (bench/): never in a deployment.
if env_bool("INSECURE_HTTP", default=False):
    SECURE_SSL_REDIRECT = SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False

ADMINS = [("Admin", a) for a in env_list("ADMINS")]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "filters": {"client_errors": {"()": "careerplan.logs.ClientErrorsInOneLine"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["client_errors"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
