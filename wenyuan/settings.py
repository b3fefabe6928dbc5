"""Django settings for Wenyuan, all read from environment variables (see wenyuan.config)."""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from wenyuan import config

BASE_DIR = Path(__file__).resolve().parent
HOME = config.env_path("WENYUAN_HOME")
HOME.mkdir(parents=True, exist_ok=True)

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
    path = HOME / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = config.env_list("WENYUAN_ALLOWED_HOSTS") + ["testserver"]
CSRF_TRUSTED_ORIGINS = config.env_list("WENYUAN_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "huey.contrib.djhuey",
    "wenyuan.core",
    "wenyuan.accounts",
    "wenyuan.library",
    "wenyuan.conversion",
    "wenyuan.search",
    "wenyuan.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "wenyuan.core.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
            ],
        },
    },
]

# Database: SQLite in WAL mode under WENYUAN_HOME unless DATABASE_URL says otherwise.
_database_url = config.env_str("DATABASE_URL")
if _database_url:
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": HOME / "wenyuan.sqlite3",
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": (
                    "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;PRAGMA busy_timeout=30000;"
                    # Read the hot part of the file through the page cache without copies.
                    "PRAGMA mmap_size=1073741824;PRAGMA cache_size=-16000;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = config.env_str("REDIS_URL")

# Cache (log-in rate limits): shared between processes in both modes.
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "wenyuan_cache",
        }
    }

# Job queue: Huey on SQLite under WENYUAN_HOME, or on Redis when REDIS_URL is set.
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "wenyuan",
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

STATIC_URL = "/static/"
STATIC_ROOT = HOME / "static"
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

MEDIA_ROOT = HOME / "files"
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "base_url": None},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
FILE_UPLOAD_TEMP_DIR = None
FILE_UPLOAD_PERMISSIONS = 0o640
MAX_UPLOAD_BYTES = config.env_int("WENYUAN_MAX_UPLOAD_MB", minimum=1) * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FILES = 50

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

# Wenyuan's own knobs.
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
WENYUAN_LOGIN_RATE = config.env_rate("WENYUAN_LOGIN_RATE")
WENYUAN_WORK_DIR = HOME / "work"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "wenyuan": {"handlers": ["console"], "level": "INFO"},
        "huey": {"handlers": ["console"], "level": "WARNING"},
    },
}
