"""What a programme tells the domains above it.

``programme_requirements_changed`` — a rule version was published or a published
programme's deadline changed; sent once the change has committed, with
``programme_ids``. Compliance recomputes those programmes in the background."""

from django.dispatch import Signal

programme_requirements_changed = Signal()
