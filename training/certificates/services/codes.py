"""Certificate numbers and what the public verification page may show.

A number is random Crockford base 32, so it can be read aloud and typed back; the
public page shows a masked name and checks an uploaded PDF against the stored
hash. Nothing here writes: ``issue`` makes numbers, ``training.certificates.verify``
and the API read them.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from django.conf import settings
from django.urls import reverse

from training.certificates.models import Certificate

# Crockford base 32: no I, L, O, U, so a number read aloud or typed is unambiguous.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 16
_CODE_RE = re.compile(rf"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")
_CROCKFORD_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def certificate_code_new() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def certificate_code_normalise(raw: str) -> str | None:
    """A typed or scanned number → the stored code, or None when it cannot be one.
    Dashes, spaces and case do not matter; O/I/L read as 0/1."""
    code = re.sub(r"[\s\-]", "", raw or "").upper().translate(_CROCKFORD_ALIASES)
    return code if _CODE_RE.match(code) else None


def certificate_verify_url(code: str) -> str:
    base = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    return base + reverse("training:certificate_verify", args=[code])


def mask_name(name: str) -> str:
    """张三明 → 张*明, 张三 → 张*, 欧阳小明 → 欧**明: enough to match a paper in hand,
    not enough to learn who someone is."""
    chars = list(name.strip())
    if len(chars) <= 1:
        return "*"
    if len(chars) == 2:
        return chars[0] + "*"
    return chars[0] + "*" * (len(chars) - 2) + chars[-1]


def certificate_file_matches(*, certificate: Certificate, upload) -> bool:
    """Does an uploaded PDF hash to the stored SHA-256?"""
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    return secrets.compare_digest(digest.hexdigest(), certificate.sha256)
