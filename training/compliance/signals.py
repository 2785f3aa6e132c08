"""What compliance tells the domains above it.

``programmes_met`` — a person refresh found programmes newly met: ``person_id`` and
``met`` (as ``compliance_refresh_person`` computed it), inside the refresh's
transaction. Certificates issue those that carry a certificate.

``compliance_recomputed`` — a background recompute finished: ``programme_ids`` it
wrote. Certificates issue the ones people met in bulk."""

from django.dispatch import Signal

programmes_met = Signal()
compliance_recomputed = Signal()
