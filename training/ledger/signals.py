"""What the ledger tells the domains above it (sent inside the writer's
transaction, so a receiver's work commits or rolls back with the change).

``credits_changed`` — a person's credited or pending 学时/days changed (an entry
written or reversed, an external record submitted, decided or withdrawn, an
exemption granted or revoked): ``person_id`` and the ``days`` whose cycles are
affected. Compliance re-evaluates that person.

``entry_reversed`` — a ledger entry was reversed (``reversal`` is the new, negative
entry); sent after ``credits_changed``, so the person's status is already current.
Certificates open a review of any certificate the entry helped earn."""

from django.dispatch import Signal

credits_changed = Signal()
entry_reversed = Signal()
