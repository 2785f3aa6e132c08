import os

from .base import *

DEBUG = True
SECRET_KEY = os.environ.get("SECRET_KEY") or "dev-only-not-secret-3c1f0e6b8a"
PII_HASH_KEY = PII_HASH_KEY or "dev-only-pii-key"
ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "[::1]"]
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)

# The demo signing pair (made by seed_demo) unless real ones are configured.
PDF_SIGNING_KEY = PDF_SIGNING_KEY or str(BASE_DIR / "var" / "signing" / "demo-key.pem")
PDF_SIGNING_CERT = PDF_SIGNING_CERT or str(
    BASE_DIR / "var" / "signing" / "demo-cert.pem"
)
