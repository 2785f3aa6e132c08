"""National ID numbers (居民身份证号码): validate, hash with a key, keep the last four.

The clear number is never stored. A keyed HMAC lets a roster row be matched to the
person already on file without the database holding anything that could be
reversed by brute force over the (small) space of valid ID numbers.
"""

import hashlib
import hmac
import re
import unicodedata

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_ID_RE = re.compile(r"^\d{17}[\dX]$")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def normalize_national_id(raw: str) -> str:
    # Roster files often carry full-width digits, a lower-case x or stray spaces;
    # NFKC folds full-width characters (spaces included) to their ASCII forms.
    return unicodedata.normalize("NFKC", str(raw)).upper().replace(" ", "")


def national_id_is_valid(value: str) -> bool:
    if not _ID_RE.match(value):
        return False
    total = sum(int(d) * w for d, w in zip(value[:17], _WEIGHTS, strict=True))
    return _CHECK[total % 11] == value[17]


def national_id_hash(value: str) -> str:
    key = settings.PII_HASH_KEY
    if not key:
        raise ImproperlyConfigured("PII_HASH_KEY must be set to store ID numbers")
    return hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()


def national_id_with_check_digit(first17: str) -> str:
    """Complete a 17-digit prefix with its check digit (used by demo and test data)."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return first17 + _CHECK[total % 11]
