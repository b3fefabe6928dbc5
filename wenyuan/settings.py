"""Django settings for Wenyuan, all read from environment variables (see wenyuan.config)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.utils.translation import gettext_lazy as _

from wenyuan import config

BASE_DIR = Path(__file__).resolve().parent
HOME = config.env_path("WENYUAN_HOME")
HOME.mkdir(parents=True, exist_ok=True)
# prometheus_client's multiprocess mode (core/metrics.py), set before it is imported.
os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(HOME / "metrics")
(HOME / "metrics").mkdir(exist_ok=True)

DEBUG = config.env_bool("WENYUAN_DEBUG")

_PLACEHOLDER_SECRETS = {"change-me", "changeme", "secret", "insecure"}


def _secret_key() -> str:
    key = config.env_secret("WENYUAN_SECRET_KEY")
    if key:
        if key.lower() in _PLACEHOLDER_SECRETS or len(key) < 32:
            raise config.ConfigError(
                "WENYUAN_SECRET_KEY is a placeholder or shorter than 32 characters; "
                "set a long random value or leave it empty to have one generated"
            )
        return key
    return config.secret_key_file(HOME / "secret_key")


SECRET_KEY = _secret_key()
SECRET_KEY_FALLBACKS = [
    key.strip()
    for key in config.env_secret("WENYUAN_SECRET_KEY_FALLBACKS").replace("\n", ",").split(",")
    if key.strip()
]
# Django's test runner adds "testserver" itself; a running site answers only to these.
ALLOWED_HOSTS = config.env_list("WENYUAN_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = config.env_list("WENYUAN_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "huey.contrib.djhuey",
    "ninja",  # /api/docs from ninja's own static files, not a CDN
    "captcha",
    "csp",
    "wenyuan.core",
    "wenyuan.accounts",
    "wenyuan.library",
    "wenyuan.conversion",
    "wenyuan.search",
    "wenyuan.trust",
    "wenyuan.commerce",
    "wenyuan.service",
    "wenyuan.api",
    "wenyuan.demo",
    "wenyuan.ops",
    "wenyuan.mail",
]

MIDDLEWARE = [
    "wenyuan.core.metrics.MetricsMiddleware",
    "wenyuan.core.logs.RequestIdMiddleware",
    "wenyuan.accounts.middleware.ForwardedHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "wenyuan.core.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "wenyuan.accounts.middleware.LoginGateMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wenyuan.accounts.middleware.RateLimitedMiddleware",
]

ROOT_URLCONF = "wenyuan.urls"
WSGI_APPLICATION = "wenyuan.wsgi.application"

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
                "django.template.context_processors.i18n",
                "wenyuan.core.context_processors.site",
                "wenyuan.core.pagecache.csrf_placeholder",
            ],
        },
    },
]

# Database: SQLite in WAL mode under WENYUAN_HOME unless DATABASE_URL says otherwise.
SQLITE_OPTIONS = {
    "timeout": 30,
    "transaction_mode": "IMMEDIATE",
    "init_command": (
        "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;"
        "PRAGMA foreign_keys=ON;PRAGMA busy_timeout=30000;PRAGMA cache_size=-16000;"
        # No memory-mapped reads (PRAGMA mmap_size): with several processes writing,
        # each with threads opening and closing connections, SQLite 3.40 corrupted the
        # file with them (core/tests/test_sqlite_concurrency.py).
    ),
}
_database_url = config.env_str("DATABASE_URL")
if _database_url:
    # Connections are kept for 60 s and checked before each request reuses one: after the
    # database restarted, a kept connection is dead, and without the check each thread's
    # next request would fail with it (docs/operations.md, "Faults").
    DATABASES = {
        "default": dj_database_url.parse(_database_url, conn_max_age=60, conn_health_checks=True)
    }
    if DATABASES["default"]["ENGINE"].endswith("postgresql"):
        # A connection to a server that went away fails in bounded time instead of waiting
        # on it: connecting gives up after 10 s, an idle connection is probed by TCP
        # keepalives, and data the server never acknowledges fails it after a minute (the
        # URL's own options win).
        for option, value in {
            "connect_timeout": 10,
            "keepalives": 1,
            "keepalives_idle": 30,
            "keepalives_interval": 10,
            "keepalives_count": 3,
            "tcp_user_timeout": 60000,
        }.items():
            DATABASES["default"].setdefault("OPTIONS", {}).setdefault(option, value)
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": HOME / "wenyuan.sqlite3",
            "OPTIONS": dict(SQLITE_OPTIONS),
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = config.env_str("REDIS_URL")
REDIS_PREFIX = config.env_str("WENYUAN_REDIS_PREFIX")
if not REDIS_PREFIX.isascii() or not REDIS_PREFIX.isalnum():
    raise config.ConfigError(f"WENYUAN_REDIS_PREFIX={REDIS_PREFIX!r}: use letters and digits only")

# Cache (log-in rate limits): shared between processes in both modes.
# "pages" holds the pages anonymous readers get (core/pagecache.py): in Redis, or in files
# under WENYUAN_HOME on embedded defaults; either way shared by every web process, so a
# page is rendered once for all of them.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": REDIS_PREFIX,
        },
        "pages": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"{REDIS_PREFIX}.pages",
        },
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "wenyuan_cache",
            # Django's default of 300 entries is less than one related list per document
            # of a small library: every write beyond it culls the table.
            "OPTIONS": {"MAX_ENTRIES": 50000},
        },
        "pages": {
            "BACKEND": "wenyuan.core.filecache.PagesFileCache",
            "LOCATION": HOME / "cache" / "pages",
            "OPTIONS": {"MAX_ENTRIES": 20000},
        },
    }
WENYUAN_PAGE_CACHE_SECONDS = config.env_int("WENYUAN_PAGE_CACHE_SECONDS")

# Job queue: Huey on SQLite under WENYUAN_HOME, or on Redis when REDIS_URL is set.
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": REDIS_PREFIX,  # keys huey.redis.<name>, huey.schedule.<name>, …
        "url": REDIS_URL,
        "immediate": False,
        "results": False,
        "blocking": True,  # workers wait in BRPOP: a job starts as soon as it is queued
        "read_timeout": 1,
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "wenyuan",
        "filename": str(HOME / "queue.sqlite3"),
        "immediate": False,
        "results": False,
    }

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "library:home"
LOGOUT_REDIRECT_URL = "library:home"

LANGUAGE_CODE = config.env_str("WENYUAN_LANGUAGE")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# Static files: `collectstatic` (run by `wenyuan serve` when the sources changed, see
# core/staticfiles.py) writes hashed names and gzip copies to STATIC_ROOT, which whitenoise
# serves with a year's cache lifetime.  In debug mode it also serves the sources directly.
STATIC_URL = "/static/"
STATIC_ROOT = HOME / "static"
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

MEDIA_ROOT = HOME / "files"
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "base_url": None},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if config.env_str("WENYUAN_S3_BUCKET"):
    # Private objects, read and written only by Wenyuan: every page image goes through the
    # same authorisation as with local files (streamed by the app, docs/backup-import.md).
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": config.env_str("WENYUAN_S3_BUCKET"),
            "endpoint_url": config.env_str("WENYUAN_S3_ENDPOINT_URL") or None,
            "region_name": config.env_str("WENYUAN_S3_REGION") or None,
            "access_key": config.env_secret("WENYUAN_S3_ACCESS_KEY_ID") or None,
            "secret_key": config.env_secret("WENYUAN_S3_SECRET_ACCESS_KEY") or None,
            "location": config.env_str("WENYUAN_S3_PREFIX").strip("/"),
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": 60,
            "file_overwrite": False,
            "addressing_style": "path",
        },
    }
FILE_UPLOAD_TEMP_DIR = None
FILE_UPLOAD_PERMISSIONS = 0o640
MAX_UPLOAD_BYTES = config.env_int("WENYUAN_MAX_UPLOAD_MB", minimum=1) * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FILES = 50

# Security (docs/security.md): one switch for HTTPS, trusted proxies, CSP, rate limits.
WENYUAN_HTTPS = config.env_bool("WENYUAN_HTTPS")
WENYUAN_TRUSTED_PROXIES = config.env_networks("WENYUAN_TRUSTED_PROXIES")
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = WENYUAN_HTTPS
# X-Forwarded-Proto is read only from WENYUAN_TRUSTED_PROXIES: ForwardedHeadersMiddleware
# drops it (and X-Forwarded-For) from anyone else before Django looks at it.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if WENYUAN_HTTPS else None
SECURE_HSTS_SECONDS = config.env_int("WENYUAN_HSTS_SECONDS") if WENYUAN_HTTPS else 0
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
_FORM_TARGETS = [
    f"{url.scheme}://{url.netloc}"
    for url in [urlsplit(config.env_str("WENYUAN_ALIPAY_GATEWAY"))]
    if url.scheme in ("http", "https") and url.netloc
]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        # the site, and the payment provider's page a top-up form is redirected to
        "form-action": ["'self'", *_FORM_TARGETS],
        "frame-ancestors": ["'none'"],
        **({"upgrade-insecure-requests": True} if WENYUAN_HTTPS else {}),
    }
}
WENYUAN_LOGIN_RATE = config.env_rate("WENYUAN_LOGIN_RATE")
WENYUAN_LOGIN_ADDRESS_RATE = config.env_rate("WENYUAN_LOGIN_ADDRESS_RATE")
WENYUAN_REGISTER_RATE = config.env_rate("WENYUAN_REGISTER_RATE")
WENYUAN_REGISTER_CAPTCHA_AFTER = config.env_int("WENYUAN_REGISTER_CAPTCHA_AFTER")
WENYUAN_REGISTER_GLOBAL_RATE = config.env_rate("WENYUAN_REGISTER_GLOBAL_RATE")
WENYUAN_UPLOAD_RATE = config.env_rate("WENYUAN_UPLOAD_RATE")
WENYUAN_UPLOAD_VOLUME_RATE = config.env_rate("WENYUAN_UPLOAD_VOLUME_RATE")
WENYUAN_TOKEN_DAYS = config.env_int("WENYUAN_TOKEN_DAYS", minimum=1)
if WENYUAN_TOKEN_DAYS > 365:
    raise config.ConfigError("WENYUAN_TOKEN_DAYS must be at most 365")
WENYUAN_MAX_TOKENS = config.env_int("WENYUAN_MAX_TOKENS", minimum=1)
# django-simple-captcha: images drawn here with the font it ships; no audio, no network.
CAPTCHA_CHALLENGE_FUNCT = "wenyuan.accounts.captcha.challenge"
CAPTCHA_LENGTH = 5
CAPTCHA_TIMEOUT = 10  # minutes
CAPTCHA_IMAGE_SIZE = (150, 50)
CAPTCHA_FONT_SIZE = 32

# Wenyuan's own knobs.
# The site as staff run it: runtime settings, read through wenyuan.core.sitesettings
# (a staff change in the database wins over these environment defaults).
WENYUAN_SITE_NAME = config.env_str("WENYUAN_SITE_NAME")
WENYUAN_SITE_NOTICE = config.env_str("WENYUAN_SITE_NOTICE")
WENYUAN_REGISTRATION_OPEN = config.env_bool("WENYUAN_REGISTRATION_OPEN")
WENYUAN_FREE_PAGES = config.env_int("WENYUAN_FREE_PAGES")
WENYUAN_CONVERT_TIMEOUT = config.env_int("WENYUAN_CONVERT_TIMEOUT", minimum=1)
WENYUAN_MAX_ATTEMPTS = config.env_int("WENYUAN_MAX_ATTEMPTS", minimum=1)
WENYUAN_RENDER_TIMEOUT = config.env_int("WENYUAN_RENDER_TIMEOUT", minimum=1)
WENYUAN_RENDER_MEMORY_MB = config.env_int("WENYUAN_RENDER_MEMORY_MB", minimum=256)
WENYUAN_RENDER_RECYCLE = config.env_int("WENYUAN_RENDER_RECYCLE")
WENYUAN_MAX_PAGES = config.env_int("WENYUAN_MAX_PAGES", minimum=1)
WENYUAN_OCR = config.env_bool("WENYUAN_OCR")
WENYUAN_OCR_LANGUAGES = config.env_str("WENYUAN_OCR_LANGUAGES")
WENYUAN_WORKERS = config.env_int("WENYUAN_WORKERS", minimum=1)
WENYUAN_SOFFICE = config.env_str("WENYUAN_SOFFICE")
WENYUAN_CONVERTER = config.env_str("WENYUAN_CONVERTER")
if WENYUAN_CONVERTER not in ("pool", "cold"):
    raise config.ConfigError(f"WENYUAN_CONVERTER={WENYUAN_CONVERTER!r}: use pool or cold")
WENYUAN_CONVERTERS = config.env_int("WENYUAN_CONVERTERS")
WENYUAN_CONVERT_MEMORY_MB = config.env_int("WENYUAN_CONVERT_MEMORY_MB")
if 0 < WENYUAN_CONVERT_MEMORY_MB < 1024:
    raise config.ConfigError("WENYUAN_CONVERT_MEMORY_MB must be 0 (no limit) or at least 1024")
WENYUAN_CONVERT_RECYCLE = config.env_int("WENYUAN_CONVERT_RECYCLE")
WENYUAN_UNO_PYTHON = config.env_str("WENYUAN_UNO_PYTHON")
WENYUAN_SANDBOX = config.env_str("WENYUAN_SANDBOX").lower()
if WENYUAN_SANDBOX not in ("auto", "off"):
    raise config.ConfigError(f"WENYUAN_SANDBOX={WENYUAN_SANDBOX!r}: use auto or off")
WENYUAN_PREPARE_TIMEOUT = config.env_int("WENYUAN_PREPARE_TIMEOUT", minimum=1)
WENYUAN_PREPARE_MEMORY_MB = config.env_int("WENYUAN_PREPARE_MEMORY_MB", minimum=256)
WENYUAN_CHECK_TIMEOUT = config.env_int("WENYUAN_CHECK_TIMEOUT", minimum=1)
WENYUAN_OUTPUT_MB = config.env_int("WENYUAN_OUTPUT_MB", minimum=16)
WENYUAN_WORK_DIR = HOME / "work"
# Processing jobs: leases renewed by a heartbeat, an overall budget, OCR in slices.
WENYUAN_LEASE_SECONDS = config.env_int("WENYUAN_LEASE_SECONDS", minimum=2)
WENYUAN_JOB_TIMEOUT = config.env_int("WENYUAN_JOB_TIMEOUT", minimum=1)
WENYUAN_JOB_SLICE_SECONDS = config.env_int("WENYUAN_JOB_SLICE_SECONDS", minimum=1)

# Top-ups and payment providers (docs/money.md); the providers read these when used.
WENYUAN_TOPUP_POINTS_PER_YUAN = config.env_int("WENYUAN_TOPUP_POINTS_PER_YUAN", minimum=1)
WENYUAN_TOPUP_MIN_FEN = config.env_int("WENYUAN_TOPUP_MIN_FEN", minimum=1)
WENYUAN_TOPUP_MAX_FEN = config.env_int("WENYUAN_TOPUP_MAX_FEN", minimum=WENYUAN_TOPUP_MIN_FEN)
WENYUAN_TOPUP_PRESETS = config.env_int_list("WENYUAN_TOPUP_PRESETS", minimum=1)
WENYUAN_TOPUP_EXPIRE_MINUTES = config.env_int("WENYUAN_TOPUP_EXPIRE_MINUTES", minimum=1)
WENYUAN_TOPUP_MAX_OPEN = config.env_int("WENYUAN_TOPUP_MAX_OPEN", minimum=1)
WENYUAN_TOPUP_RATE = config.env_rate("WENYUAN_TOPUP_RATE")
WENYUAN_PAYMENTS_BASE_URL = config.env_str("WENYUAN_PAYMENTS_BASE_URL").rstrip("/")
if WENYUAN_PAYMENTS_BASE_URL and not WENYUAN_PAYMENTS_BASE_URL.startswith(("https://", "http://")):
    raise config.ConfigError("WENYUAN_PAYMENTS_BASE_URL must start with https:// (or http://)")
WENYUAN_ALIPAY = {
    "app_id": config.env_str("WENYUAN_ALIPAY_APP_ID"),
    "private_key": config.env_secret("WENYUAN_ALIPAY_PRIVATE_KEY"),
    "public_key": config.env_secret("WENYUAN_ALIPAY_PUBLIC_KEY"),
    "seller_id": config.env_str("WENYUAN_ALIPAY_SELLER_ID"),
    "gateway": config.env_str("WENYUAN_ALIPAY_GATEWAY"),
}
WENYUAN_WECHATPAY = {
    "mch_id": config.env_str("WENYUAN_WECHATPAY_MCH_ID"),
    "app_id": config.env_str("WENYUAN_WECHATPAY_APP_ID"),
    "private_key": config.env_secret("WENYUAN_WECHATPAY_PRIVATE_KEY"),
    "cert_serial": config.env_str("WENYUAN_WECHATPAY_CERT_SERIAL"),
    "apiv3_key": config.env_secret("WENYUAN_WECHATPAY_APIV3_KEY"),
    "platform_certs": config.env_secret("WENYUAN_WECHATPAY_PLATFORM_CERTS"),
    "public_key": config.env_secret("WENYUAN_WECHATPAY_PUBLIC_KEY"),
    "public_key_id": config.env_str("WENYUAN_WECHATPAY_PUBLIC_KEY_ID"),
    "api_base": config.env_str("WENYUAN_WECHATPAY_API_BASE"),
}
WENYUAN_TESTPAY = {
    "enabled": config.env_bool("WENYUAN_TESTPAY"),
    "key": config.env_secret("WENYUAN_TESTPAY_KEY"),
}

# Money: prices, shares, referrals, withdrawals and rewards, read by the code only through
# wenyuan.core.rules.money_rules() (docs/money.md).
WENYUAN_PRICE_MIN = config.env_int("WENYUAN_PRICE_MIN", minimum=1)
WENYUAN_PRICE_MAX = config.env_int("WENYUAN_PRICE_MAX", minimum=1)
WENYUAN_FREE_PAGES_MAX = config.env_int("WENYUAN_FREE_PAGES_MAX")
WENYUAN_AUTHOR_SHARE = config.env_int("WENYUAN_AUTHOR_SHARE")
WENYUAN_REFERRAL_SHARE = config.env_int("WENYUAN_REFERRAL_SHARE")
WENYUAN_REFERRAL_DAYS = config.env_int("WENYUAN_REFERRAL_DAYS", minimum=1)
WENYUAN_WITHDRAW_MIN = config.env_int("WENYUAN_WITHDRAW_MIN", minimum=1)
WENYUAN_VIP_PLANS = config.env_vip_plans("WENYUAN_VIP_PLANS")
WENYUAN_VIP_MONTHLY_DOWNLOADS = config.env_int("WENYUAN_VIP_MONTHLY_DOWNLOADS", minimum=0)
WENYUAN_DOWNLOAD_LINK_SECONDS = config.env_int("WENYUAN_DOWNLOAD_LINK_SECONDS", minimum=5)
WENYUAN_DOWNLOAD_RATE = config.env_rate("WENYUAN_DOWNLOAD_RATE")
WENYUAN_PAGE_IMAGE_RATE = config.env_rate("WENYUAN_PAGE_IMAGE_RATE")
WENYUAN_REWARD_REGISTER = config.env_int("WENYUAN_REWARD_REGISTER")
WENYUAN_REWARD_REGISTER_DAILY_CAP = config.env_int("WENYUAN_REWARD_REGISTER_DAILY_CAP")
WENYUAN_REWARD_SIGNIN = config.env_int("WENYUAN_REWARD_SIGNIN")
WENYUAN_REWARD_SIGNIN_STREAK = config.env_int("WENYUAN_REWARD_SIGNIN_STREAK")
WENYUAN_REWARD_SIGNIN_DAILY_CAP = config.env_int("WENYUAN_REWARD_SIGNIN_DAILY_CAP")
WENYUAN_REWARD_UPLOAD = config.env_int("WENYUAN_REWARD_UPLOAD")
WENYUAN_REWARD_UPLOAD_DAILY_CAP = config.env_int("WENYUAN_REWARD_UPLOAD_DAILY_CAP")

# Support tickets (docs/service.md).
WENYUAN_TICKET_FIRST_ANSWER_HOURS = config.env_int("WENYUAN_TICKET_FIRST_ANSWER_HOURS", minimum=1)
WENYUAN_TICKET_RESOLUTION_HOURS = config.env_int("WENYUAN_TICKET_RESOLUTION_HOURS", minimum=1)
WENYUAN_TICKET_ATTACHMENT_MB = config.env_int("WENYUAN_TICKET_ATTACHMENT_MB", minimum=1)
WENYUAN_TICKET_ATTACHMENTS_MAX = config.env_int("WENYUAN_TICKET_ATTACHMENTS_MAX", minimum=1)
WENYUAN_TICKET_OPEN_MAX = config.env_int("WENYUAN_TICKET_OPEN_MAX", minimum=1)
if WENYUAN_PRICE_MAX > 1_000_000_000 or WENYUAN_FREE_PAGES_MAX > 1_000_000:
    raise config.ConfigError("WENYUAN_PRICE_MAX or WENYUAN_FREE_PAGES_MAX is unreasonably large")
if WENYUAN_PRICE_MIN > WENYUAN_PRICE_MAX:
    raise config.ConfigError("WENYUAN_PRICE_MIN must not be above WENYUAN_PRICE_MAX")
if WENYUAN_AUTHOR_SHARE + WENYUAN_REFERRAL_SHARE > 100:
    raise config.ConfigError(
        "WENYUAN_AUTHOR_SHARE + WENYUAN_REFERRAL_SHARE must be at most 100 (percent of a price)"
    )
# Trust: complaints, copyright notices, sanctions (docs/trust.md).
WENYUAN_FLAGGED_UPLOADS = config.env_str("WENYUAN_FLAGGED_UPLOADS").lower()
if WENYUAN_FLAGGED_UPLOADS not in ("review", "publish"):
    raise config.ConfigError(
        f"WENYUAN_FLAGGED_UPLOADS={WENYUAN_FLAGGED_UPLOADS!r}: use review or publish"
    )
WENYUAN_TAKEDOWN_BUYERS = config.env_str("WENYUAN_TAKEDOWN_BUYERS").lower()
if WENYUAN_TAKEDOWN_BUYERS not in ("keep", "refund"):
    raise config.ConfigError(
        f"WENYUAN_TAKEDOWN_BUYERS={WENYUAN_TAKEDOWN_BUYERS!r}: use keep or refund"
    )
WENYUAN_COMPLAINT_RATE = config.env_rate("WENYUAN_COMPLAINT_RATE")
WENYUAN_NOTICE_RATE = config.env_rate("WENYUAN_NOTICE_RATE")
WENYUAN_UPHELD_FLAG_AT = config.env_int("WENYUAN_UPHELD_FLAG_AT", minimum=1)
WENYUAN_TAKEDOWN_BLOCK_AT = config.env_int("WENYUAN_TAKEDOWN_BLOCK_AT", minimum=1)
if WENYUAN_TAKEDOWN_BLOCK_AT > 100:
    raise config.ConfigError("WENYUAN_TAKEDOWN_BLOCK_AT is a percent: at most 100")

# Serving and operations (docs/operations.md).
WENYUAN_WEB_PROCESSES = config.env_int("WENYUAN_WEB_PROCESSES")
WENYUAN_WEB_THREADS = config.env_int("WENYUAN_WEB_THREADS", minimum=1)
WENYUAN_ACCEL_REDIRECT = config.env_str("WENYUAN_ACCEL_REDIRECT")
if WENYUAN_ACCEL_REDIRECT and not (
    WENYUAN_ACCEL_REDIRECT.startswith("/") and WENYUAN_ACCEL_REDIRECT.endswith("/")
):
    raise config.ConfigError("WENYUAN_ACCEL_REDIRECT must be a location such as /_files/")
WENYUAN_METRICS_TOKEN = config.env_secret("WENYUAN_METRICS_TOKEN")
WENYUAN_METRICS_ALLOW = config.env_networks("WENYUAN_METRICS_ALLOW")
WENYUAN_LOG_FORMAT = config.env_str("WENYUAN_LOG_FORMAT").lower()
if WENYUAN_LOG_FORMAT not in ("plain", "json"):
    raise config.ConfigError(f"WENYUAN_LOG_FORMAT={WENYUAN_LOG_FORMAT!r}: use plain or json")

# Everything goes to the console (standard error), DEBUG or not: Django's own default
# sends its errors there only in debug mode and otherwise mails ADMINS, so a 500 left no
# trace in the log.  `django.request` logs a 500 with its traceback (ERROR) and refused
# requests such as 404 (WARNING); `django.security` logs suspicious requests.
# Every record carries request_id and document_id (core/logs.py), from the first one.
from wenyuan.core.logs import record_factory_install  # noqa: E402

record_factory_install()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"},
        "json": {"()": "wenyuan.core.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": WENYUAN_LOG_FORMAT},
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "wenyuan": {"level": "INFO"},
        "huey": {"level": "WARNING"},
        "django": {"handlers": [], "level": "WARNING"},
    },
}

# E-mail through the outbox (wenyuan.mail; docs/email.md).
EMAIL_BACKEND = "wenyuan.mail.backend.OutboxBackend"
WENYUAN_SMTP_HOST = config.env_str("WENYUAN_SMTP_HOST")
WENYUAN_SMTP_PORT = config.env_int("WENYUAN_SMTP_PORT", minimum=1)
WENYUAN_SMTP_USER = config.env_str("WENYUAN_SMTP_USER")
WENYUAN_SMTP_PASSWORD = config.env_secret("WENYUAN_SMTP_PASSWORD")
WENYUAN_SMTP_SECURITY = config.env_str("WENYUAN_SMTP_SECURITY").lower()
if WENYUAN_SMTP_SECURITY not in {"starttls", "ssl", "none"}:
    raise config.ConfigError(
        f"WENYUAN_SMTP_SECURITY must be starttls, ssl or none, not {WENYUAN_SMTP_SECURITY!r}"
    )
WENYUAN_SMTP_TIMEOUT = config.env_int("WENYUAN_SMTP_TIMEOUT", minimum=1)
DEFAULT_FROM_EMAIL = config.env_str("WENYUAN_MAIL_FROM")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
WENYUAN_MAIL_MAX_ATTEMPTS = config.env_int("WENYUAN_MAIL_MAX_ATTEMPTS", minimum=1)
WENYUAN_PASSWORD_RESET_RATE = config.env_rate("WENYUAN_PASSWORD_RESET_RATE")
WENYUAN_SITE_URL = config.env_str("WENYUAN_SITE_URL").rstrip("/")
