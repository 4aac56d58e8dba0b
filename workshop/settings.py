"""One settings module, driven by environment variables.

Defaults suit the embedded run (`make run`): SQLite in WAL mode and the in-memory channel
layer in one daphne process. `DATABASE_URL` and `REDIS_URL` switch to PostgreSQL and
channels-redis for the scale-out setup.
"""

import datetime
import os
import secrets
import socket
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from workshop.lan import public_url_allowed

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("WORKSHOP_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [v.strip() for v in os.environ.get(name, default).split(",") if v.strip()]


def _secret_key() -> str:
    """DJANGO_SECRET_KEY, else a key generated once and kept in var/ (never committed)."""
    if key := os.environ.get("DJANGO_SECRET_KEY"):
        return key
    path = VAR_DIR / "secret_key"
    # var/ holds the database, sessions and this key: others may pass through it (nginx's
    # workers read var/static) but not list it; the files in it are owner only.
    VAR_DIR.mkdir(mode=0o711, parents=True, exist_ok=True)
    try:  # created 0600 in one step: no moment where another local user can read it
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

# The address phones use to join (printed under the QR code). Defaults to the host the request
# came in on; set it when the projector is opened on a different name than phones will use.
WORKSHOP_PUBLIC_URL = os.environ.get("WORKSHOP_PUBLIC_URL", "").rstrip("/")
# The app answers on that address: its host is allowed and its origin trusted for forms
# (`make run` sets it to the laptop's address on the room's network, workshop/lan.py).
ALLOWED_HOSTS, CSRF_TRUSTED_ORIGINS = public_url_allowed(
    WORKSHOP_PUBLIC_URL, ALLOWED_HOSTS, CSRF_TRUSTED_ORIGINS
)

# Attendees (anonymous phones) older than this many days are deleted by `manage.py
# purge_attendees`, which `make run` runs at start; what they sent stays, unlinked
# (docs/data.md). 30 = the attendee cookie's lifetime; 0 = never purge.
try:
    WORKSHOP_PURGE_ATTENDEES_DAYS = int(os.environ.get("WORKSHOP_PURGE_ATTENDEES_DAYS", "30"))
except ValueError:
    WORKSHOP_PURGE_ATTENDEES_DAYS = -1
if WORKSHOP_PURGE_ATTENDEES_DAYS < 0:
    raise ImproperlyConfigured(
        "WORKSHOP_PURGE_ATTENDEES_DAYS must be a whole number of days, 0 or more (0: never)."
    )

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "django_htmx",
    "axes",
    "workshop",
    "evidence",
    "panel",
    "voting",
    "workshop.live",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "workshop.headers.ContentSecurityPolicyMiddleware",
    "workshop.headers.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "workshop.urls"
ASGI_APPLICATION = "workshop.asgi.application"

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
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# SQLite: WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at BEGIN so
# concurrent writers queue instead of failing with "database is locked" on upgrade. Connections
# are kept open: reopening one per ballot makes the live path about three times slower.
SQLITE_PATH = Path(os.environ.get("WORKSHOP_SQLITE_PATH", VAR_DIR / "db.sqlite3"))
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{SQLITE_PATH}", conn_max_age=None, conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The page path's performance changes (docs/performance.md, "Doors open"), each on by default
# and off with its variable set to 0, as the live layer's below: pages on a pool of long-lived
# threads with the middleware run in one go (workshop/handler.py), static files answered ahead
# of Django (workshop/statics.py), the phone's home page kept by live version
# (workshop/pages.py).
TUNE_REQUEST_THREADS = env_bool("WORKSHOP_TUNE_REQUEST_THREADS", True)
TUNE_STATIC = env_bool("WORKSHOP_TUNE_STATIC", True)
TUNE_PAGE_CACHE = env_bool("WORKSHOP_TUNE_PAGE_CACHE", True)
# Threads that serve pages (workshop/handler.py): each keeps its database connection for the
# life of the process, so this is also the most database connections pages hold open.
try:
    REQUEST_THREADS = int(os.environ.get("WORKSHOP_REQUEST_THREADS", "8"))
except ValueError:
    REQUEST_THREADS = 0
if REQUEST_THREADS < 1:
    raise ImproperlyConfigured("WORKSHOP_REQUEST_THREADS must be a whole number, 1 or more.")

# --- Channels -------------------------------------------------------------------------------
# Performance patches of the live layer, each on by default and off with its variable set to
# 0 (workshop/live/tuning/__init__.py lists them; `make bench` measures them).
TUNE_MESSAGE_LOOP = env_bool("WORKSHOP_TUNE_MESSAGE_LOOP", True)
TUNE_EAGER_WRITES = env_bool("WORKSHOP_EAGER_WRITES", True)
TUNE_AUTOBAHN_LOG = env_bool("WORKSHOP_TUNE_AUTOBAHN_LOG", True)
TUNE_LAYERS = env_bool("WORKSHOP_TUNE_LAYERS", True)
TUNE_GC = env_bool("WORKSHOP_TUNE_GC", True)
TUNE_SOCKET_MEMORY = env_bool("WORKSHOP_TUNE_SOCKET_MEMORY", True)
REDIS_URL = os.environ.get("REDIS_URL", "")
# channels-redis has two layers: "core" (a list per channel, group sends fanned out by Redis)
# and "pubsub" (Redis PUBLISH; each worker fans out to its own sockets, through
# workshop.live.tuning.layers, which unpacks each message once per worker). Chosen by measurement
# (docs/performance.md, "Which Redis layer"): pub/sub carries a stage change to 5,000 phones
# in about 0.4-0.6 s against 0.7-1.1 s on core, for half the CPU, with the same memory and
# the same recovery from a Redis restart. Both pass the whole test suite.
REDIS_LAYER = os.environ.get("WORKSHOP_REDIS_LAYER", "pubsub")
if REDIS_LAYER not in ("core", "pubsub"):
    raise ImproperlyConfigured("WORKSHOP_REDIS_LAYER must be core or pubsub.")
# Workers even out their phones after one restarts (workshop/live/balance.py). Needs a
# balancer that gives a new connection to the least loaded worker (deploy/nginx.conf's
# least_conn): scripts/serve.py turns it on for its workers.
REBALANCE = env_bool("WORKSHOP_REBALANCE", False)
# This process in logs, presence counts and Redis client names.
WORKER_ID = f"{socket.gethostname()}-{os.getpid()}"
# The pub/sub layer's connections carry this name, so that workshop/live/watch.py can see
# from outside when this worker's subscriber connection has been replaced.
REDIS_CLIENT_NAME = f"workshop-live:{WORKER_ID}"
if REDIS_URL and REDIS_LAYER == "pubsub":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": (
                "workshop.live.tuning.layers.RedisPubSubChannelLayer"
                if TUNE_LAYERS
                else "channels_redis.pubsub.RedisPubSubChannelLayer"
            ),
            "CONFIG": {"hosts": [{"address": REDIS_URL, "client_name": REDIS_CLIENT_NAME}]},
        }
    }
elif REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "capacity": 1500, "expiry": 30},
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": (
                "workshop.live.tuning.layers.InMemoryChannelLayer"
                if TUNE_LAYERS
                else "channels.layers.InMemoryChannelLayer"
            ),
            "CONFIG": {"capacity": 1500},
        }
    }

# --- Limits on attendees (workshop/limits.py, docs/security.md) -------------------------------
# Each is "COUNT/SECONDS". New attendees per client address and workshop: a hall of phones
# behind one NAT address shares one address, so this admits 200 every 20 s (a 1,000-seat hall
# arriving at once is in within 100 s; each refused phone retries by itself) while one
# address can add no more than 600 voters a minute. For a vote that must not be stuffed at
# all, the console's "only phones that joined before the vote opened" switch closes the door.
WORKSHOP_LIMITS = {
    "joins_per_address": os.environ.get("WORKSHOP_JOINS_PER_ADDRESS", "200/20"),
    "vote_per_attendee": "10/10",
    "vote_per_address": os.environ.get("WORKSHOP_VOTES_PER_ADDRESS", "2000/10"),
    "question_ask_per_address": "100/60",
    "board_post_per_address": "100/60",
    "upvote_per_attendee": "30/60",
    "upvote_per_address": "1000/60",
}
# Sockets one attendee may hold open in one worker (tabs of the same phone); phones
# connected counts attendees, not sockets.
WORKSHOP_SOCKETS_PER_ATTENDEE = int(os.environ.get("WORKSHOP_SOCKETS_PER_ATTENDEE", "5"))
# The join counters are shared by all workers: in Redis when there is one, else in memory.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "workshop-live",
        }
    }

# --- Auth, sessions, security ---------------------------------------------------------------
LOGIN_URL = "admin:login"

# Staff log in through admin's form (the console sends them there). django-axes counts failed
# logins per username *and* client address together: after AXES_FAILURE_LIMIT failures that
# pair is refused (429, templates/lockout.html) for the cool-off, even with the right password.
# Keyed on the pair so that a guesser cannot lock the facilitator out from another address,
# and one guesser behind the venue's NAT does not lock out every other account. Attempts are
# kept in the database (axes' default handler), which every worker shares.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("WORKSHOP_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = datetime.timedelta(
    minutes=int(os.environ.get("WORKSHOP_LOGIN_COOLOFF_MINUTES", "15"))
)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The address Django sees (daphne's peer, or what a trusted proxy set): never a header the
# client chose, such as its own X-Forwarded-For.
AXES_CLIENT_IP_CALLABLE = "workshop.http.client_address"
AXES_LOCKOUT_CALLABLE = "workshop.http.login_lockout_response"
AXES_VERBOSE = False
# Keep failed attempts only (expired ones are deleted as new ones come): no record of every
# successful login with its address (docs/data.md).
AXES_DISABLE_ACCESS_LOG = True
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    # Not a rule: deletes var/<username>-password once that password is changed.
    {"NAME": "workshop.passwords.ForgetKeptPassword"},
]
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# DJANGO_HTTPS=1: the app is reached over HTTPS only (TLS at nginx or another proxy that sets
# X-Forwarded-Proto). Plain-HTTP requests are redirected, browsers are told to use HTTPS for
# DJANGO_HSTS_SECONDS (a year; HSTS is sent on HTTPS responses only), and cookies are
# HTTPS-only. Off by default: `make run` serves plain HTTP on the room's network.
HTTPS = env_bool("DJANGO_HTTPS", False)
SECURE_SSL_REDIRECT = HTTPS
try:
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000")) if HTTPS else 0
except ValueError:
    SECURE_HSTS_SECONDS = -1
if SECURE_HSTS_SECONDS < 0:
    raise ImproperlyConfigured("DJANGO_HSTS_SECONDS must be a whole number of seconds, 0 or more.")
# Sub-domains and the browsers' preload list commit hosts other than this app (a trust's or a
# university's whole domain) to HTTPS for good: only when asked. The deploy checks that ask
# for them (W005, W021) are silenced for that reason, not because they were overlooked.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Content-Security-Policy: scripts, styles, images and connections from this site only; no
# inline script or style (bars are SVG rects sized by attribute; htmx's own inline indicator
# style is turned off in its meta config), no plugins, no framing, forms post here only.
# workshop.headers.ContentSecurityPolicyMiddleware adds the page's own ws:/wss: origin to
# connect-src (browsers that predate CSP3 do not count it as 'self').
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
CSRF_FAILURE_VIEW = "workshop.views.csrf_failure"
# Flash messages travel in a cookie: attendees get no server-side session.
MESSAGE_STORAGE = "django.contrib.messages.storage.cookie.CookieStorage"
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

# --- I18N -----------------------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("WORKSHOP_TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", VAR_DIR / "static"))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", VAR_DIR / "media"))
# Uploads are the app's to serve, not the web server's: owner only, whatever the umask.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Static files are public (nginx's workers read them under scripts/serve.py): they keep
    # the usual modes, not FILE_UPLOAD_PERMISSIONS' private ones.
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage",
        "OPTIONS": {"file_permissions_mode": 0o644, "directory_permissions_mode": 0o755},
    },
}

# Projector secrets never reach the logs (workshop/redact.py): the filter rewrites the records
# of the loggers that name request paths (so every handler, the test suite's too, sees them
# redacted) and guards the console handler against any other.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["screen_secret"]},
    },
    "filters": {
        "subscriber_errors": {"()": "workshop.live.watch.SubscriberErrors"},
        "screen_secret": {"()": "workshop.redact.ScreenSecretFilter"},
    },
    "loggers": {
        "channels_redis.pubsub": {"filters": ["subscriber_errors"]},
        "django.request": {"filters": ["screen_secret"]},
        "django.security.csrf": {"filters": ["screen_secret"]},
        "django.server": {"filters": ["screen_secret"]},
        "django.channels.server": {"filters": ["screen_secret"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
}
