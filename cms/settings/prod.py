"""Production: every secret comes from the environment; a missing one fails loudly.

docs/configuration.md lists the variables, docs/deploy.md the processes (web, task
workers, scheduler) that run with these settings.
"""

import os
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.core.exceptions import ImproperlyConfigured

from .base import *

DEBUG = False

for _name in ("SECRET_KEY", "PII_HASH_KEY"):
    if not os.environ.get(_name):
        raise ImproperlyConfigured(f"{_name} must be set in production")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set in production")

MFA_ENFORCED = env_bool("MFA_ENFORCED", True)
# nginx (docs/configuration.md) always overwrites X-Real-IP with the client address.
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = (
    os.environ.get("TRUSTED_CLIENT_IP_HEADER", "X-Real-IP") or None
)

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
# Off only for a plain-HTTP load test on loopback (benchmarks/storm): a browser or
# load generator does not send Secure cookies over http://. Never off behind nginx.
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
# Wagtail marks its preview views SAMEORIGIN itself; everything else is DENY.
X_FRAME_OPTIONS = "DENY"

# --- database ------------------------------------------------------------------
# Persistent connections: a request reuses its worker's connection for up to a
# minute instead of paying the PostgreSQL connect (~5 ms with TLS) every time.
# Each gunicorn thread and task worker holds one: size max_connections for it.
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("DB_CONN_MAX_AGE", "60"))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# --- sessions -----------------------------------------------------------------------
# cached_db: read from Redis, written through to the database, so a Redis outage
# (the cache ignores its errors) slows logins down but logs nobody out.
if REDIS_URL:
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"


# --- background tasks --------------------------------------------------------------
def _with_connect_timeout(url: str, seconds: int = 2) -> str:
    """A Redis host that does not answer fails an enqueue after ``seconds`` (and the
    row waits for the scheduler's resume job) instead of hanging the request."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.setdefault("socket_connect_timeout", str(seconds))
    return urlunsplit(parts._replace(query=urlencode(query)))


TASKS_BACKEND = os.environ.get("TASKS_BACKEND") or ("rq" if REDIS_URL else "db")
if TASKS_BACKEND == "rq":
    RQ_REDIS_URL = os.environ.get("RQ_REDIS_URL") or REDIS_URL
    if not RQ_REDIS_URL:
        raise ImproperlyConfigured("TASKS_BACKEND=rq needs REDIS_URL or RQ_REDIS_URL")
    INSTALLED_APPS = [*INSTALLED_APPS, "django_rq", "django_tasks_rq"]
    RQ_QUEUES = {
        queue: {
            "URL": _with_connect_timeout(RQ_REDIS_URL),
            # A job running longer is killed; the nightly recompute at national
            # scale is the longest (docs/deploy.md, sizing).
            "DEFAULT_TIMEOUT": int(os.environ.get("RQ_JOB_TIMEOUT", "7200")),
        }
        for queue in TASKS["default"]["QUEUES"]
    }
    TASKS = {
        "default": {
            # django-tasks-rq, pushing after commit, running in-process while Redis
            # is down (cms/tasks.py).
            "BACKEND": "cms.tasks.RQBackend",
            "QUEUES": list(TASKS["default"]["QUEUES"]),
        }
    }
elif TASKS_BACKEND != "db":
    raise ImproperlyConfigured(f"TASKS_BACKEND must be rq or db, not {TASKS_BACKEND!r}")

# --- static and media ------------------------------------------------------------
STORAGES["staticfiles"]["BACKEND"] = (
    "whitenoise.storage.CompressedManifestStaticFilesStorage"
)
# Hashed names (app.3f2a1c.css) never change content: whitenoise serves them with
# "max-age=315360000, public, immutable" whatever this says. This is for the few
# files without a hash in their name (favicon.ico, robots.txt): one hour.
WHITENOISE_MAX_AGE = int(os.environ.get("WHITENOISE_MAX_AGE", "3600"))
# Media (certificates, roster uploads, external evidence, exports) are served only
# through views that check access; nginx must not expose MEDIA_ROOT (docs/deploy.md).

# --- logs -----------------------------------------------------------------------------
LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")
LOGGING["handlers"]["console"]["formatter"] = (
    LOG_FORMAT if LOG_FORMAT in {"plain", "json"} else "json"
)
