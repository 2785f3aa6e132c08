"""What the organisation tells the domains above it (received in their
``receivers.py``, sent inside the caller's transaction).

``people_changed`` — people were added or changed (a transfer, promotion, category
change, a roster import) or units moved: ``person_ids`` is the people touched, or
``None`` when anyone may be affected (a moved unit changes whose audience a
programme's subtree is). Compliance re-evaluates them."""

from django.dispatch import Signal

people_changed = Signal()
