"""Settings for every environment, read from environment variables only.

With none set you get the embedded default: SQLite, the in-memory channel
layer, a local-memory cache, tasks run inline and push messages logged.
Every variable is listed, with its default, in README.md ("Configuration").
"""

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean, got {value!r}")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def envhosts(name: str) -> list[tuple[str, int]]:
    """``"h1:26379,h2:26379"`` -> ``[("h1", 26379), ("h2", 26379)]``."""
    hosts = []
    for item in envlist(name, ""):
        host, sep, port = item.rpartition(":")
        if not sep or not host or not port.isdigit():
            raise ImproperlyConfigured(f"{name}: {item!r} is not host:port")
        hosts.append((host.strip("[]"), int(port)))
    return hosts


DEBUG = envbool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and os.environ.get("DATABASE_URL"):
        raise ImproperlyConfigured("SECRET_KEY must be set when DATABASE_URL is (production)")
    SECRET_KEY = "embedded-default-insecure-key-change-me-for-anything-real"
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "daphne",  # first, so runserver serves WebSockets too
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    # simplejwt's own app only for its message catalogues (no models): its token errors in Korean too.
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "django_prometheus",
    "axes",
    "pedometer_site",
    "accounts",
    "steps",
    "rankings",
    "notifications",
    "imports",
    "challenges",
]

MIDDLEWARE = [
    # First and last, so the request metrics time everything in between.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "infrastructure.api.errors.api_error_shape_middleware",
    "infrastructure.http.content_security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication: a page speaks its session user's language (the API's
    # user is known only inside DRF: accounts.authentication).
    "infrastructure.i18n.LanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # After authentication: turns an attempt the sign-in guard refused into a 429.
    "axes.middleware.AxesMiddleware",
    "infrastructure.db.middleware.primary_pin_middleware",
    "infrastructure.db.middleware.DatabaseOutageMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "pedometer_site.urls"
ASGI_APPLICATION = "pedometer_site.asgi.application"
WSGI_APPLICATION = "pedometer_site.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                # LANGUAGE_CODE and LANGUAGES for <html lang> and a language picker.
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------

DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
DB_CONNECT_TIMEOUT = envint("DB_CONNECT_TIMEOUT", 3)
# Longer than innodb_lock_wait_timeout (10 s below), so a query waiting on a
# lock fails as a lock timeout, not as a lost connection.
DB_READ_TIMEOUT = envint("DB_READ_TIMEOUT", 15)
DB_WRITE_TIMEOUT = envint("DB_WRITE_TIMEOUT", 15)
DB_REPLICA_CONNECT_TIMEOUT = envint("DB_REPLICA_CONNECT_TIMEOUT", 1)
# After a failed probe the replica is left alone this long; reads use the primary.
DB_REPLICA_RETRY_SECONDS = envint("DB_REPLICA_RETRY_SECONDS", 5)
# Open connections each process keeps per database between requests
# (mysql_backend); beyond that, a finished request's connection is closed.
DB_POOL_SIZE = envint("DB_POOL_SIZE", 10)
# Idle request threads an ASGI process keeps for the next requests (infrastructure/http/handler.py).
ASGI_IDLE_REQUEST_THREADS = envint("ASGI_IDLE_REQUEST_THREADS", 32)
# Seconds a client is told to wait (Retry-After) when the database is unreachable.
DB_UNAVAILABLE_RETRY_AFTER = envint("DB_UNAVAILABLE_RETRY_AFTER", 5)


def database_from_url(url: str, *, connect_timeout: int = DB_CONNECT_TIMEOUT) -> dict[str, Any]:
    config: dict[str, Any] = dj_database_url.parse(  # type: ignore[assignment]  # we add keys its TypedDict lacks
        url,
        conn_max_age=envint("DB_CONN_MAX_AGE", 0),
        # A kept connection is pinged before reuse, so a node recovers by
        # itself after the database restarts instead of failing once per thread.
        conn_health_checks=True,
    )
    if config["ENGINE"] == "django.db.backends.mysql":
        # Django's backend, reading the server's version once per process
        # instead of on a second connection per request (see the module).
        config["ENGINE"] = "infrastructure.db.mysql_backend"
        config["OPTIONS"] = {
            "charset": "utf8mb4",
            # Strict mode turns silent truncation into an error; READ COMMITTED
            # keeps max-wins upserts from taking gap locks on hot rows.
            "init_command": "SET sql_mode='STRICT_TRANS_TABLES', innodb_lock_wait_timeout=10",
            "isolation_level": "read committed",
            # Bounded waits: an unreachable or silent server becomes a 503, never a hang.
            "connect_timeout": connect_timeout,
            "read_timeout": DB_READ_TIMEOUT,
            "write_timeout": DB_WRITE_TIMEOUT,
        }
        config["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
    return config


DATABASES = {"default": database_from_url(DATABASE_URL)}
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = database_from_url(DATABASE_REPLICA_URL, connect_timeout=DB_REPLICA_CONNECT_TIMEOUT)
    # Under test the replica is the test database itself (tests that need a
    # real second database build one: pedometer_site/tests/test_replica.py).
    DATABASES["replica"].setdefault("TEST", {})["MIRROR"] = "default"
# Lag-tolerant reads go to "replica" only inside reading_from_replica();
# everything else, and every read after a write, goes to the primary.
DATABASE_ROUTERS = ["infrastructure.db.router.PrimaryReplicaRouter"]

# --- Redis: cache, channel layer, task broker, board index -----------------

REDIS_URL = os.environ.get("REDIS_URL", "")
# A Sentinel group instead of one address: every client asks the Sentinels
# where the master is, so a failover needs no one to repoint anything.
REDIS_SENTINELS = envhosts("REDIS_SENTINELS")
REDIS_SENTINEL_MASTER = os.environ.get("REDIS_SENTINEL_MASTER", "mymaster")
REDIS_SENTINEL_DB = envint("REDIS_SENTINEL_DB", 0)
REDIS_KEY_PREFIX = os.environ.get("REDIS_KEY_PREFIX", "pedometer")
# The leaderboard index gives up on Redis this fast and answers from SQL.
RANKINGS_REDIS_TIMEOUT_MS = envint("RANKINGS_REDIS_TIMEOUT_MS", 250)
_SENTINEL_TIMEOUTS = {"socket_timeout": 1, "socket_connect_timeout": 1}

if REDIS_URL or REDIS_SENTINELS:
    _cache_options: dict[str, Any] = {
        "SOCKET_CONNECT_TIMEOUT": 1,
        "SOCKET_TIMEOUT": 1,
        # Redis only holds what can be rebuilt: when it is down the
        # cache misses and throttles fail open (logged), never a 500.
        "IGNORE_EXCEPTIONS": True,
    }
    if REDIS_SENTINELS:
        # LOCATION as a list of one: the master only. As a plain string
        # django-redis also reads from replicas, which were stale for seconds
        # after a replica restarted (RECIPES).
        _cache_location: str | list[str] = [f"redis://{REDIS_SENTINEL_MASTER}/{REDIS_SENTINEL_DB}"]
        _cache_options |= {
            "CLIENT_CLASS": "django_redis.client.SentinelClient",
            "CONNECTION_FACTORY": "django_redis.pool.SentinelConnectionFactory",
            "SENTINELS": REDIS_SENTINELS,
            "SENTINEL_KWARGS": _SENTINEL_TIMEOUTS,
        }
    else:
        _cache_location = REDIS_URL
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": _cache_location,
            "KEY_PREFIX": REDIS_KEY_PREFIX,
            "OPTIONS": _cache_options,
        }
    }
    _channel_host: dict = (
        {"sentinels": REDIS_SENTINELS, "master_name": REDIS_SENTINEL_MASTER, "db": REDIS_SENTINEL_DB}
        | {"sentinel_kwargs": _SENTINEL_TIMEOUTS}
        if REDIS_SENTINELS
        else {"address": REDIS_URL}
    )
    # Pub/sub: a group_send is one PUBLISH, and each process fans it out to its own
    # sockets, where the list-based layer pushes and pops once per member socket
    # (bench/live.py: p99 358 -> 226 ms, server CPU -25 %, at 1,000 sockets). Delivery
    # is at most once, which live updates can afford: the database holds the truth and
    # every (re)connect starts from a snapshot of it.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        **_channel_host,
                        # redis-py 8 gives up on any read after 5 s by default; that killed
                        # idle sockets (1011) under channels-redis's 5 s blocking reads. Explicit,
                        # and short enough to notice a dead Redis.
                        "socket_timeout": 10,
                        "socket_connect_timeout": 2,
                    }
                ],
                "prefix": f"{REDIS_KEY_PREFIX}:asgi",
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True

# --- Background tasks (Celery) ---------------------------------------------

_SENTINEL_BROKER = ";".join(f"sentinel://{host}:{port}/{REDIS_SENTINEL_DB}" for host, port in REDIS_SENTINELS)
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", _SENTINEL_BROKER or REDIS_URL or "memory://localhost/")
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", not (REDIS_URL or REDIS_SENTINELS))
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing gives up in a fraction of a second when the broker is down, instead
# of kombu's default of retrying for seconds inside the request that queued the
# task; the notification sweep re-queues what could not be queued. (Workers'
# own reconnects pass their own limits and are unaffected.)
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
if CELERY_BROKER_URL.startswith("sentinel://"):
    # kombu asks the Sentinels for this master on every (re)connect.
    CELERY_BROKER_TRANSPORT_OPTIONS |= {"master_name": REDIS_SENTINEL_MASTER, "sentinel_kwargs": _SENTINEL_TIMEOUTS}
# `celery beat` (or `manage.py challenges_sweep --every 60`): challenges freeze
# on time, and their pushes fall due. The embedded default needs neither (README, "Challenges").
CELERY_BEAT_SCHEDULE = {
    "challenges-sweep": {"task": "challenges.tasks.sweep", "schedule": envint("CHALLENGE_SWEEP_SECONDS", 60)},
}

# --- Challenges ------------------------------------------------------------

# Hours after a challenge's last day during which late syncs for its days still count.
CHALLENGE_GRACE_HOURS = envint("CHALLENGE_GRACE_HOURS", 72)

# --- Firebase --------------------------------------------------------------

FIREBASE_CREDENTIALS = os.environ.get("FIREBASE_CREDENTIALS", "")
# Days a sent, failed or skipped push stays in the outbox (the admin's history);
# the sweep deletes older ones. Never less than 7 (notifications/services.py).
NOTIFICATION_RETENTION_DAYS = envint("NOTIFICATION_RETENTION_DAYS", 90)

# --- Auth ------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The sign-in guard (accounts/sign_in_guard.py, on django-axes) sees every
# password check first and refuses an attempt that must wait.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Failed attempts, counted in the shared cache (the README's "Threat model").
SIGN_IN_FAILURES_PER_ACCOUNT_AND_IP = envint("SIGN_IN_FAILURES_PER_ACCOUNT_AND_IP", 5)
SIGN_IN_FAILURES_PER_IP = envint("SIGN_IN_FAILURES_PER_IP", 30)
SIGN_IN_FAILURES_PER_ACCOUNT = envint("SIGN_IN_FAILURES_PER_ACCOUNT", 20)
SIGN_IN_ACCOUNT_DELAY_MAX = envint("SIGN_IN_ACCOUNT_DELAY_MAX", 300)
SIGN_IN_COOLOFF_SECONDS = envint("SIGN_IN_COOLOFF_SECONDS", 900)
AXES_HANDLER = "accounts.sign_in_guard.SignInGuardHandler"
AXES_CACHE = "default"
AXES_CLIENT_IP_CALLABLE = "accounts.sign_in_guard.client_ip"
AXES_USERNAME_CALLABLE = "accounts.sign_in_guard.account_of"
# The key axes files the typed name under (its default, the model's "email", is
# not what the login forms post).
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_CALLABLE = "accounts.sign_in_guard.lockout_response"
# What the handler counts (it gives each its own rule; axes' stock handlers would not).
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address", "username"]
AXES_FAILURE_LIMIT = SIGN_IN_FAILURES_PER_ACCOUNT_AND_IP
AXES_COOLOFF_TIME = timedelta(seconds=SIGN_IN_COOLOFF_SECONDS)
# A refused attempt checks no password: it must not extend the wait.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ADMIN = False  # its pages list database records; our counts live in the cache
AXES_VERBOSE = False

# `make test` sets a fast hasher here (in the environment, so the server
# processes tests start agree with the test process); production keeps Django's.
if os.environ.get("PASSWORD_HASHERS"):
    PASSWORD_HASHERS = envlist("PASSWORD_HASHERS", "")

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=envint("ACCESS_TOKEN_MINUTES", 15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=envint("REFRESH_TOKEN_DAYS", 30)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    # The public UUID goes into tokens; the integer key never leaves the server.
    "USER_ID_FIELD": "uuid",
    "USER_ID_CLAIM": "user_id",
    "AUTH_HEADER_TYPES": ("Bearer",),
    # Tokens carry a digest of the password hash: a password change ends every
    # access token at once, not when it expires.
    "CHECK_REVOKE_TOKEN": True,
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.SessionJWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["infrastructure.api.parsers.JSONBodyParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "infrastructure.api.errors.api_exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "register_ip": os.environ.get("THROTTLE_REGISTER_IP", "10/hour"),
        "password_reset_ip": os.environ.get("THROTTLE_PASSWORD_RESET_IP", "10/hour"),
        "password_reset_address": os.environ.get("THROTTLE_PASSWORD_RESET_ADDRESS", "3/hour"),
        "sync_user": os.environ.get("THROTTLE_SYNC_USER", "120/min"),
        "read_user": os.environ.get("THROTTLE_READ_USER", "600/min"),
        "friend_request_user": os.environ.get("THROTTLE_FRIEND_REQUEST_USER", "30/hour"),
        "import_user": os.environ.get("THROTTLE_IMPORT_USER", "20/hour"),
        "export_user": os.environ.get("THROTTLE_EXPORT_USER", "3/day"),
    },
    # How many proxies stand in front (for the client IP that throttles key on).
    # 0, not None: with None DRF trusts any X-Forwarded-For a client sends, so
    # a forged header would dodge the per-IP throttles.
    "NUM_PROXIES": envint("NUM_PROXIES", 0),
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

# The web pages sign people in with a session (the API uses tokens).
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "personal-page"
LOGOUT_REDIRECT_URL = "/"

SPECTACULAR_SETTINGS = {
    "TITLE": "Pedometer API",
    "DESCRIPTION": (
        "Step sync, history, leaderboards and goal notifications for the pedometer apps. "
        'Every error has the shape {"error": {"code", "message", "fields"?}}. '
        "The message is in the user's `language` (see the profile), else the request's Accept-Language "
        "(en, ko), else English; codes and field names are always English."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Swagger UI would otherwise send the schema's URL to validator.swagger.io.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "COMPONENT_SPLIT_REQUEST": True,
    # Two "visibility" fields with different choices: a user's and a group's.
    "ENUM_NAME_OVERRIDES": {
        "VisibilityEnum": "accounts.models.Visibility",
        "GroupVisibilityEnum": "challenges.models.GroupVisibility",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "infrastructure.api.schema.add_error_responses",
    ],
}

# --- E-mail (password reset) -------------------------------------------------

# With no EMAIL_HOST, e-mails are printed on the console (the embedded default).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = envint("EMAIL_PORT", 587)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", True)
# A slow mail server must not hold a request (and its worker) for long.
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 10)
# The file backend's folder (tests read the e-mails a server subprocess sent).
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Pedometer <noreply@localhost>")
# Seconds a password-reset link works (Django's default is three days).
PASSWORD_RESET_TIMEOUT = envint("PASSWORD_RESET_TIMEOUT", 3 * 3600)

# --- Imports (imports/) -----------------------------------------------------

# Where uploads wait for a worker: one folder per job, deleted when it ends.
# With app nodes and workers on separate machines this must be storage they share.
IMPORT_DIR = os.environ.get("IMPORT_DIR", str(BASE_DIR / "var" / "imports"))
IMPORT_MAX_UPLOAD_BYTES = envint("IMPORT_MAX_UPLOAD_BYTES", 1 << 30)  # 1 GiB, one upload
IMPORT_MAX_BYTES_PER_DAY = envint("IMPORT_MAX_BYTES_PER_DAY", 2 << 30)  # 2 GiB per user in 24 hours
# Zip-bomb limits: all members together, and how much one member may inflate
# (Apple's export.xml deflates about 15 to 25 times; a bomb, a thousand).
IMPORT_MAX_UNCOMPRESSED_BYTES = envint("IMPORT_MAX_UNCOMPRESSED_BYTES", 8 << 30)
IMPORT_MAX_RATIO = envint("IMPORT_MAX_RATIO", 200)

# --- Internationalisation, static ------------------------------------------

# The language of whoever has no setting and names none we write (README, "Languages").
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ko", "한국어")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# After `collectstatic`, hashed and compressed names (cached forever by browsers).
# Without it the manifest storage cannot name a single file and every page
# that links a stylesheet (admin, API docs) fails, so fall back to plain names
# served straight from the apps' folders. `collectstatic` itself runs before
# there is a manifest, and only the manifest storage writes one: run it with
# STATIC_MANIFEST=true (the Dockerfile does).
_COLLECTED = envbool("STATIC_MANIFEST", (STATIC_ROOT / "staticfiles.json").is_file())
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if _COLLECTED and not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_MANIFEST_STRICT = False

# --- Security (production defaults whenever DEBUG is off) ------------------

SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
# Load balancers poll over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
if envbool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
# The admin posts its forms with the token in the page; no script needs the cookie.
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"  # and frame-ancestors 'none' in the pages' CSP (content_security.py)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# --- Logging ---------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
