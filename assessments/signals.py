"""What assessments tells the apps above it (training credits a passed exam).

Receivers run inside the transaction that graded the attempt, so a credit and the
grade it rests on commit or roll back together.
"""

from django.dispatch import Signal

# An attempt has its final result (after submission, the time-out sweep, the last
# manual grade or a regrade). kwargs: attempt.
attempt_finished = Signal()

# A learner passed a quiz for the first time. kwargs: attempt, user_id, quiz.
quiz_passed = Signal()

# A regrade changed an attempt's pass/fail result. kwargs: attempt, was_passed.
attempt_result_changed = Signal()
