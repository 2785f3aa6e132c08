"""What a class tells the domains above it.

``class_completed`` — a class was closed and its members' outcomes written
(``training_class``), inside that transaction. Certificates issue the class
certificates it carries."""

from django.dispatch import Signal

class_completed = Signal()
