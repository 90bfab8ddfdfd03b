"""Django settings for opsdesk. Every knob is an OPSDESK_* environment variable (see README)."""

import dj_database_url

from opsdesk import config

DATA_DIR = config.data_dir()
SECRET_KEY = config.secret_key(DATA_DIR)
# The key sealing audit entries and the signed checkpoint of the trail's end live outside the
# data directory, so a copy of the data (or of its backups) can forge neither (docs/audit.md).
AUDIT_KEY = config.env_str("OPSDESK_AUDIT_KEY")
AUDIT_KEY_FILE, AUDIT_KEY_GENERATE = config.audit_key_file(DATA_DIR)
AUDIT_CHECKPOINT_FILE = config.audit_checkpoint_file(DATA_DIR)
DEBUG = config.env_bool("OPSDESK_DEBUG", False)
# Plain HTTP on loopback (make run) turns this off; behind TLS it stays on.
HTTPS = config.env_bool("OPSDESK_HTTPS", not DEBUG)
ALLOWED_HOSTS = config.env_list("OPSDESK_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = config.env_list("OPSDESK_CSRF_TRUSTED_ORIGINS", [])
PORT = config.env_int("OPSDESK_PORT", 8000)
BASE_URL = config.env_str("OPSDESK_BASE_URL", f"http://127.0.0.1:{PORT}")

# Domain apps in layer order, lowest first (DESIGN.md section 3).
OPSDESK_APPS = [
    "opsdesk.core",
    "opsdesk.cmdb",
    "opsdesk.sla",
    "opsdesk.oncall",
    "opsdesk.approvals",
    "opsdesk.access",
    "opsdesk.events",
    "opsdesk.service_requests",
    "opsdesk.incidents",
    "opsdesk.problems",
    "opsdesk.flows",
    "opsdesk.notifications",
    "opsdesk.servicedesk",
    "opsdesk.reporting",
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "huey.contrib.djhuey",
    *OPSDESK_APPS,
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Below WhiteNoise, which sends static files precompressed; above everything that writes
    # the body, so pages are compressed last.
    "opsdesk.core.middleware.CompressionMiddleware",
    "opsdesk.core.middleware.RequestIdMiddleware",
    "opsdesk.core.middleware.BodySizeLimitMiddleware",
    "opsdesk.core.middleware.NullCharacterMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "opsdesk.core.middleware.UserTimezoneMiddleware",
    "opsdesk.core.middleware.AuditContextMiddleware",
    # Last, so a lockout answers before any view runs.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "opsdesk.urls"
WSGI_APPLICATION = "opsdesk.wsgi.application"
AUTH_USER_MODEL = "core.User"
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "opsdesk.core.context_processors.navigation",
                "opsdesk.core.context_processors.theme",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
_default_sqlite = f"sqlite:///{DATA_DIR / 'opsdesk.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        config.env_str("OPSDESK_DATABASE_URL") or _default_sqlite, conn_max_age=60
    )
}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # Kept open between requests like PostgreSQL's: opening a SQLite connection and running
    # its pragmas cost 4 to 5 ms a request. An idle connection in autocommit holds no lock.
    _db["OPTIONS"] = {
        # IMMEDIATE: every transaction takes the write lock up front, so two writers queue
        # behind the busy timeout instead of failing on a lock upgrade.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
    }
# Parallel test runs name their own test database (pytest-xdist adds its own suffix too).
_test_db_name = config.env_str("OPSDESK_TEST_DB_NAME")
if _test_db_name:
    _db["TEST"] = {"NAME": _test_db_name}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and worker queue -------------------------------------------------------------------
REDIS_URL = config.env_str("OPSDESK_REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "opsdesk",
        "url": REDIS_URL,
        "immediate": False,
        "consumer": {"workers": 2, "worker_type": "thread"},
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "opsdesk",
        "filename": str(DATA_DIR / "queue.sqlite3"),
        "immediate": False,
        "consumer": {"workers": 2, "worker_type": "thread"},
    }

# --- Auth and security ------------------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = config.env_int("OPSDESK_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = config.env_int("OPSDESK_LOGIN_LOCKOUT_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "core/locked_out.html"
AXES_VERBOSE = False

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and config.env_bool("OPSDESK_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if config.env_bool("OPSDESK_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SILENCED_SYSTEM_CHECKS = [
    # HSTS preload is a one-way door; operators opt in at their proxy.
    "security.W021",
    # Reporting's covering indexes carry extra columns on PostgreSQL (INCLUDE) for index-only
    # reads of a period; SQLite keeps them as plain indexes, which is all it needs.
    "models.W040",
]

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- Limits -----------------------------------------------------------------------------------
MAX_BODY_BYTES = config.env_int("OPSDESK_MAX_BODY_BYTES", 10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_BODY_BYTES
ATTACHMENT_MAX_BYTES = config.env_int("OPSDESK_ATTACHMENT_MAX_BYTES", 25 * 1024 * 1024)
# Uploads (multipart) may carry one attachment at its size limit plus form fields.
MAX_UPLOAD_BODY_BYTES = ATTACHMENT_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- Files ------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_ROOT = DATA_DIR / "attachments"
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT)},
    },
    # Content-hashed names with gzip copies once collectstatic has run (opsdesk
    # serve runs it on start); plain names before that (opsdesk/core/staticstorage.py).
    "staticfiles": {"BACKEND": "opsdesk.core.staticstorage.StaticFilesStorage"},
}
# Served from the installed packages when collectstatic has not run (tests, first start).
WHITENOISE_USE_FINDERS = True

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
# The organisation's zone: reporting's periods are its days (a day of incidents in London
# starts at midnight in London, whatever zone the server runs in).
OPSDESK_TIME_ZONE = config.env_str("OPSDESK_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Email ------------------------------------------------------------------------------------
# No host configured: outgoing mail goes to the development sink ("Sent mail" in the admin
# pages) through the same delivery queue; set OPSDESK_EMAIL_HOST to send over SMTP.
EMAIL_HOST = config.env_str("OPSDESK_EMAIL_HOST", "")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "opsdesk.notifications.sink.SinkBackend"
)
EMAIL_PORT = config.env_int("OPSDESK_EMAIL_PORT", 25)
EMAIL_HOST_USER = config.env_str("OPSDESK_EMAIL_USER")
EMAIL_HOST_PASSWORD = config.env_str("OPSDESK_EMAIL_PASSWORD")
EMAIL_USE_TLS = config.env_bool("OPSDESK_EMAIL_STARTTLS", False)
EMAIL_USE_SSL = config.env_bool("OPSDESK_EMAIL_SSL", False)
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = config.env_str("OPSDESK_EMAIL_FROM", "opsdesk@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- API --------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "opsdesk.core.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
    ],
    "DEFAULT_PAGINATION_CLASS": "opsdesk.core.api.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
        "rest_framework.filters.SearchFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "opsdesk.core.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "opsdesk API",
    "DESCRIPTION": "IT Service Management for ITIL Service Operation.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Request bodies are documented as JSON only. Listing the form encodings DRF also parses
    # gave every body three identical content types, which client generators cannot use (the
    # generated client would not even import); raw uploads declare their own media types.
    "PARSER_WHITELIST": ["rest_framework.parsers.JSONParser"],
    # Stable enum names in the schema where two domains use the same field name.
    "ENUM_NAME_OVERRIDES": {
        "ImpactUrgencyEnum": "opsdesk.incidents.models.Impact",
        "IncidentStateEnum": "opsdesk.incidents.models.State",
        "TimerStateEnum": "opsdesk.sla.models.timers.TimerState",
        "IncidentChannelEnum": "opsdesk.incidents.models.Channel",
        "NotificationChannelEnum": "opsdesk.notifications.models.Channel",
        "DeliveryStateEnum": "opsdesk.notifications.models.DeliveryState",
        "ArticleStateEnum": "opsdesk.servicedesk.models.ArticleState",
        "AlertSeverityEnum": "opsdesk.events.models.Severity",
        "EventActionEnum": "opsdesk.events.models.Action",
        "PriorityEnum": "opsdesk.incidents.models.Priority",
        "TaskPriorityEnum": "opsdesk.core.models.tickets.TASK_PRIORITY_CHOICES",
        "AccessRequestStateEnum": "opsdesk.access.models.AccessRequestState",
        "GrantStateEnum": "opsdesk.access.models.GrantState",
        "GrantSourceEnum": "opsdesk.access.models.GrantSource",
        "ReviewerSourceEnum": "opsdesk.access.models.ReviewerSource",
        "SodActionEnum": "opsdesk.access.models.SodAction",
    },
}

# --- Domain tunables (each is documented in the README) -------------------------------------
OPSDESK_INCIDENT_REOPEN_DAYS = config.env_int("OPSDESK_INCIDENT_REOPEN_DAYS", 10)
OPSDESK_INCIDENT_AUTO_CLOSE_DAYS = config.env_int("OPSDESK_INCIDENT_AUTO_CLOSE_DAYS", 3)
# Trend detection looks for recurring failures among the incidents of the last N days.
OPSDESK_TREND_WINDOW_DAYS = config.env_int("OPSDESK_TREND_WINDOW_DAYS", 30)
OPSDESK_INCIDENT_RESOLVE_CHILDREN = config.env_bool("OPSDESK_INCIDENT_RESOLVE_CHILDREN", True)
OPSDESK_INCIDENT_LEAD_NOTICE_AT = config.env_int("OPSDESK_INCIDENT_LEAD_NOTICE_AT", 75)
OPSDESK_INCIDENT_AUTO_ESCALATE_AT = (
    config.env_int("OPSDESK_INCIDENT_AUTO_ESCALATE_AT", 0) or None  # unset: only by hand
)
OPSDESK_EVENTS_RETENTION_DAYS = config.env_int("OPSDESK_EVENTS_RETENTION_DAYS", 14)
OPSDESK_REPLY_TO = config.env_str("OPSDESK_REPLY_TO")
OPSDESK_NOTIFY_DIGEST_SECONDS = config.env_int("OPSDESK_NOTIFY_DIGEST_SECONDS", 60)
# The bearer token Prometheus scrapes /metrics with (empty: only administrators' API tokens).
OPSDESK_METRICS_TOKEN = config.env_str("OPSDESK_METRICS_TOKEN")
OPSDESK_NOTIFY_MAX_ATTEMPTS = config.env_int("OPSDESK_NOTIFY_MAX_ATTEMPTS", 20)
OPSDESK_WEBHOOK_MAX_ATTEMPTS = config.env_int("OPSDESK_WEBHOOK_MAX_ATTEMPTS", 12)
OPSDESK_WEBHOOK_ALLOW_LOOPBACK = config.env_bool("OPSDESK_WEBHOOK_ALLOW_LOOPBACK", False)
OPSDESK_MAIL_MAX_FILES = config.env_int("OPSDESK_MAIL_MAX_FILES", 20)
OPSDESK_SURVEY_DAYS = config.env_int("OPSDESK_SURVEY_DAYS", 14)

# --- Outbox -----------------------------------------------------------------------------------
OUTBOX_MAX_ATTEMPTS = config.env_int("OPSDESK_OUTBOX_MAX_ATTEMPTS", 8)
OUTBOX_LEASE_SECONDS = config.env_int("OPSDESK_OUTBOX_LEASE_SECONDS", 300)

# Every task the worker runs is an INFO line; ``make run`` turns that off for a calm console.
WORKER_LOG_TASKS = config.env_bool("OPSDESK_WORKER_LOG_TASKS", True)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": config.env_str("OPSDESK_LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # The Huey consumer installs its own console handler; do not print every line twice.
        "huey": {"level": "INFO", "propagate": False},
    },
}
