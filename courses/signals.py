"""What courses tells the apps above it (training credits a completed course).

Receivers run inside the transaction that recorded the completion, so a credit and
the completion it rests on commit or roll back together.
"""

from django.dispatch import Signal

# A learner completed a course (sent exactly once per enrolment).
# kwargs: enrollment, user_id, course, completed_at, credit_hours (Decimal).
course_completed = Signal()
