"""Who may see whom, asked from apps that sit below ``training``.

The organisation tree and role grants live in ``training``, which the lower apps
(assessments, courses) may not import. ``training`` registers its answer here when it
starts, so a grading queue in ``assessments`` is scoped by the same rule as every
other list in the project.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet

# user -> QuerySet of user ids the user may see as a manager/auditor, or None for
# "everyone" (superuser). The learner's own id is not included unless in scope.
_visible_user_ids: Callable[[Any], QuerySet | None] | None = None


def register_visible_user_ids(provider: Callable[[Any], QuerySet | None]) -> None:
    global _visible_user_ids
    _visible_user_ids = provider


def visible_user_ids(user) -> QuerySet | None:
    """User ids in ``user``'s scope; ``None`` means no limit. Without a provider
    (a project that runs cms alone) nobody is in anybody's scope but superusers'."""
    if getattr(user, "is_superuser", False):
        return None
    if _visible_user_ids is None:
        from django.contrib.auth import get_user_model

        return get_user_model().objects.none().values("pk")
    return _visible_user_ids(user)
