"""Grove's one settings module: every knob comes from the environment (see .env.example)."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)

# A development key exists only when DEBUG is on; production must provide its own.
if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-never-used-in-production")
else:
    SECRET_KEY = env.str("SECRET_KEY")
# Old keys still accepted while a new one rolls out (sessions, reset links, staff recovery codes,
# which are stored as hashes keyed by it: docs/operations.md "Rotating SECRET_KEY").
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_countries",
    "django_tasks",
    "django_tasks_db",
    "anymail",
    "django_otp",  # staff second factor (TOTP, recovery codes)
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_htmx",
    "ninja",  # the REST API's bundled OpenAPI docs page assets
    "grove.core",
    "grove.tenancy",
    "grove.accounts",
    "grove.audit",
    "grove.staff",
    "grove.privacy",
    "grove.practices",
    "grove.notifications",
    "grove.insights",
    "grove.api",
    "grove.onboarding",
    "grove.rights",
    "grove.subprocessors",
    "grove.retention",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "grove.core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Staff reach nothing but the second-factor pages until their session is verified.
    "grove.accounts.second_factor_middleware.StaffSecondFactorMiddleware",
    "grove.tenancy.middleware.TenantMiddleware",
    "grove.staff.middleware.DeniedAccessMiddleware",  # keeps denials past a rollback
    "grove.accounts.middleware.ProfileLanguageMiddleware",  # the profile's language wins
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "grove.urls"
WSGI_APPLICATION = "grove.wsgi.application"
ASGI_APPLICATION = "grove.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "grove" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "grove.notifications.context_processors.unread_notifications",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# SQLite under var/ is the embedded default for a first run; production and CI use PostgreSQL,
# connecting as a role that row-level security applies to (docs/operations.md).
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'grove.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Persistent connections: a new connection per request costs far more than RLS itself.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=300)
    # Checked before each request's first query, by looking at the socket (grove/tenancy/db.py
    # is_usable): no SELECT 1 round trip unless the server has ended the connection.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # No JIT compilation: the ranked search's planner cost is far above jit_above_cost, and
    # PostgreSQL spent 260-360 ms compiling it per request for ~90 ms of work (docs/benchmarks.md);
    # short OLTP queries never repay it. Also set on the role (grove/tenancy/roles.py).
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = f"{_options.get('options', '')} -c jit=off".strip()
    DATABASES["default"].setdefault("TEST", {})["NAME"] = env.str(
        "DATABASE_TEST_NAME", default=f"test_{DATABASES['default']['NAME']}"
    )
else:
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault("init_command", "PRAGMA secure_delete = ON;")

# Role the application switches to on each new connection (SET ROLE) when it logs in as a
# more privileged one, e.g. the test suite; production logs in as the application role directly.
GROVE_DB_APP_ROLE = env.str("GROVE_DB_APP_ROLE", default="")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Users and authentication ---------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["grove.accounts.backends.EmailBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_RESET_TIMEOUT = 60 * 60  # one hour

# --- Cookies: the session and CSRF cookies are the only ones the platform sets ------------------
# Django's database sessions, read with one plain SELECT per request (grove/core/sessions.py):
# nothing cached outside PostgreSQL, so a logout or an erasure takes effect on the next request.
SESSION_ENGINE = "grove.core.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 12)
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_NAME = "django_language"  # never set: the language comes from the browser
# Flash messages ride in the session (Django's default would set a third, "messages" cookie);
# /privacy lists the cookies from these settings, and a test compares them with real responses.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# --- Security headers (manage.py check --deploy passes with DEBUG off) ------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "grove" / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files --------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "static")
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
# Uploaded files are never served from MEDIA_URL: grove/practices/media_views.py streams each
# one through the storage API after checking who asks (no static serving of MEDIA_ROOT).
MEDIA_URL = "media/"
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750
STORAGE_BACKEND = env.str("STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage")
STORAGES = {
    "default": {"BACKEND": STORAGE_BACKEND},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if STORAGE_BACKEND == "storages.backends.azure_storage.AzureStorage":
    # Azure Blob (django-storages): a private container; either the account name and key, or a
    # connection string. Files are streamed by Grove, so signed URLs are rarely made; when they
    # are, they expire after AZURE_URL_EXPIRATION_SECS.
    AZURE_ACCOUNT_NAME = env.str("AZURE_ACCOUNT_NAME", default="") or None
    AZURE_ACCOUNT_KEY = env.str("AZURE_ACCOUNT_KEY", default="") or None
    AZURE_CONNECTION_STRING = env.str("AZURE_CONNECTION_STRING", default="") or None
    AZURE_CONTAINER = env.str("AZURE_CONTAINER", default="media")
    AZURE_URL_EXPIRATION_SECS = env.int("AZURE_URL_EXPIRATION_SECS", default=300)
    AZURE_SSL = True
    AZURE_OVERWRITE_FILES = False
# Attachments of best practices: size limits in bytes (photos, MP4 videos).
GROVE_MAX_IMAGE_BYTES = env.int("GROVE_MAX_IMAGE_BYTES", default=10 * 1024 * 1024)
GROVE_MAX_VIDEO_BYTES = env.int("GROVE_MAX_VIDEO_BYTES", default=50 * 1024 * 1024)

# --- Tasks ----------------------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# --- Mail: Brevo through anymail in production, the console by default ----------------------
BREVO_API_KEY = env.str("BREVO_API_KEY", default="")
# "user:password" that Brevo's tracking webhook presents (HTTP basic auth, checked by anymail);
# while empty, the webhook answers 404 (grove/accounts/webhooks.py).
ANYMAIL = {"WEBHOOK_SECRET": env.str("ANYMAIL_WEBHOOK_SECRET", default="")}
if BREVO_API_KEY:
    EMAIL_BACKEND = "anymail.backends.brevo.EmailBackend"
    ANYMAIL["BREVO_API_KEY"] = BREVO_API_KEY
else:
    EMAIL_BACKEND = env.str(
        "EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
    )
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Grove <no-reply@grove.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The site's absolute address, for links in mails (digests, unsubscribe), without a final /.
GROVE_BASE_URL = env.str("GROVE_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Days an invitation's activation link stays valid.
GROVE_INVITATION_DAYS = env.int("GROVE_INVITATION_DAYS", default=7)
# Password attempts per login email (known or not) before it is refused for the rest of the
# window, and password-reset mails per email per window (grove/accounts/throttle.py).
GROVE_LOGIN_MAX_FAILURES = env.int("GROVE_LOGIN_MAX_FAILURES", default=5)
GROVE_LOGIN_WINDOW_MINUTES = env.int("GROVE_LOGIN_WINDOW_MINUTES", default=15)
GROVE_PASSWORD_RESET_MAX_MAILS = env.int("GROVE_PASSWORD_RESET_MAX_MAILS", default=3)
GROVE_PASSWORD_RESET_WINDOW_MINUTES = env.int("GROVE_PASSWORD_RESET_WINDOW_MINUTES", default=60)

# --- Data region: shown to clients, written on each organization -----------------------------
GROVE_DATA_REGION = env.str(
    "GROVE_DATA_REGION", default="eu-west (Ireland), replica eu-north (Netherlands)"
)

# Who answers privacy questions and data-subject requests (shown on /privacy and in mails).
GROVE_OPERATOR_NAME = env.str("GROVE_OPERATOR_NAME", default="Grove SAS")
GROVE_PRIVACY_CONTACT = env.str("GROVE_PRIVACY_CONTACT", default="privacy@grove.example")
# Where the data is stored, as the policy states it (PostgreSQL, TLS, encrypted at rest).
GROVE_HOSTING_PRIMARY_REGION = env.str(
    "GROVE_HOSTING_PRIMARY_REGION", default="Microsoft Azure, West Europe (Netherlands)"
)
GROVE_HOSTING_REPLICA_REGION = env.str(
    "GROVE_HOSTING_REPLICA_REGION", default="Microsoft Azure, North Europe (Ireland)"
)

# --- Retention (grove/privacy/retention.py reads these; the policy page shows them) ----------
# Days after the contract's end before the organization's personal data is purged (export time).
GROVE_RETENTION_GRACE_DAYS = env.int("GROVE_RETENTION_GRACE_DAYS", default=30)
# Days logs are kept after the contract's end.
GROVE_RETENTION_LOG_DAYS = env.int("GROVE_RETENTION_LOG_DAYS", default=90)
# Days before the purge the client's managers get the last notice (with the export link).
GROVE_RETENTION_WARNING_DAYS = env.int("GROVE_RETENTION_WARNING_DAYS", default=7)
# Rows deleted per transaction by the purge (each batch commits on its own: short locks).
GROVE_RETENTION_BATCH_SIZE = env.int("GROVE_RETENTION_BATCH_SIZE", default=2000)
# Seconds the purge sleeps between batches, to leave the database to the live tenants.
GROVE_RETENTION_BATCH_PAUSE = env.float("GROVE_RETENTION_BATCH_PAUSE", default=0.0)
# Share of the time the purge works (it rests after each batch as long as that keeps it there):
# 0.5 leaves the live tenants most of the machine while an organization is purged; 1: no rest.
GROVE_RETENTION_DUTY_CYCLE = env.float("GROVE_RETENTION_DUTY_CYCLE", default=0.5)
# Key signing the deletion certificates (HMAC-SHA256; default: AUDIT_HASH_KEY). Keep it stable.
GROVE_RETENTION_CERTIFICATE_KEY = env.str("GROVE_RETENTION_CERTIFICATE_KEY", default="")

# --- Data-subject requests (grove/rights) -------------------------------------------------
# Months to answer (GDPR Art. 12(3)), and the most an extension may add.
GROVE_DSR_DEADLINE_MONTHS = env.int("GROVE_DSR_DEADLINE_MONTHS", default=1)
GROVE_DSR_MAX_EXTENSION_MONTHS = env.int("GROVE_DSR_MAX_EXTENSION_MONTHS", default=2)
# Days before the deadline the CSM and the security officer are reminded.
GROVE_DSR_REMINDER_DAYS = env.int("GROVE_DSR_REMINDER_DAYS", default=7)
# Days a personal data export's download link stays valid (single use).
GROVE_DSR_EXPORT_DAYS = env.int("GROVE_DSR_EXPORT_DAYS", default=7)
# Key of the erasure ledger's keyed hashes of erased emails (default: AUDIT_HASH_KEY). Keep it
# stable: replaying erasures after a restore matches emails with it.
GROVE_ERASURE_LEDGER_KEY = env.str("GROVE_ERASURE_LEDGER_KEY", default="")

# --- Subprocessors (grove/subprocessors) --------------------------------------------------
# Minimum days between a change's notice to clients and the change taking effect.
GROVE_SUBPROCESSOR_NOTICE_DAYS = env.int("GROVE_SUBPROCESSOR_NOTICE_DAYS", default=30)

# Key for pseudonymous references in the access log (e.g. the hash of a failed login's email).
AUDIT_HASH_KEY = env.str("AUDIT_HASH_KEY", default=SECRET_KEY)

# --- Logging: JSON lines in production, readable lines in development ------------------------
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_context": {"()": "grove.core.logging.RequestContextFilter"},
        "redact_personal_data": {"()": "grove.core.logging.RedactPersonalDataFilter"},
    },
    "formatters": {
        "json": {
            "()": "grove.core.logging.JsonFormatter",  # python-json-logger, redacted
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "text": {
            "()": "grove.core.logging.TextFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_context", "redact_personal_data"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Configuring "django" drops Django's own handlers, which print unredacted lines (and
        # mail tracebacks to ADMINS): its records reach the console handler above instead.
        "django": {"level": LOG_LEVEL},
        # Django's request logger puts the request (and its URL) into the record: keep it terse.
        "django.request": {"level": "ERROR"},
        # runserver's request lines; the filter drops their query strings.
        "django.server": {"level": "WARNING" if not DEBUG else "INFO", "propagate": True},
    },
}

# --- Sentry: only when a DSN is set, and never with personal data ----------------------------
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    from grove.core.sentry import init_sentry

    init_sentry(SENTRY_DSN, environment=env.str("SENTRY_ENVIRONMENT", default="production"))
