"""Production: every secret comes from the environment; a missing one fails loudly."""

import os

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

if REDIS_URL:
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"

STORAGES["staticfiles"]["BACKEND"] = (
    "whitenoise.storage.CompressedManifestStaticFilesStorage"
)
