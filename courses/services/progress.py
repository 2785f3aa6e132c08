"""Lesson progress from heartbeats, reading time and passed quizzes; course
completion.

The heartbeat is the hot path (one learner watching sends one every 20 s): it reads
one row and writes it back with a conditional UPDATE (the sequence number it read),
two queries and no transaction. A lesson's completion commits before the course is
checked, so two concurrent last lessons both see each other and the course is then
completed by whichever UPDATE ... WHERE completed_at IS NULL wins.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from courses import signals
from courses.models import CoursePage, Enrollment, LessonPage, LessonProgress

CENT = Decimal("0.01")


def _setting(name: str, default) -> Decimal:
    return Decimal(str(getattr(settings, name, default)))


# Most seconds one heartbeat can credit: the client beats every 20 s, so a longer
# gap is a sleeping tab or a paused network, not 5 minutes of watching.
def max_credit() -> Decimal:
    return _setting("COURSES_HEARTBEAT_MAX_CREDIT", 40)


# Share of the video that must be credited for the lesson to complete.
def complete_ratio() -> Decimal:
    return _setting("COURSES_VIDEO_COMPLETE_RATIO", "0.9")


# Slack for players reporting a position a little past the end, for timer jitter
# between beats, and for resuming a little after the watched part.
POSITION_SLACK = Decimal("2")
JITTER_SLACK = Decimal("3")
CONTIGUOUS_SLACK = Decimal("10")
# A forward move larger than this many times the elapsed time is a seek.
SEEK_RATE = Decimal("1.5")
# Largest numbers a heartbeat may carry: ``seq`` is a PositiveIntegerField (a
# 32-bit integer on PostgreSQL), and a huge position would overflow the Decimal
# quantize before the video's length is checked.
MAX_SEQ = 2**31 - 1
MAX_POSITION = 10**7


class ProgressError(Exception):
    def __init__(self, code: str, message: str, status: int = 400, **extra):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.extra = extra


@dataclass(frozen=True)
class BeatResult:
    progress: LessonProgress
    duration: int
    credited: Decimal
    seek: bool
    completed: bool
    course_completed: bool

    def as_json(self) -> dict:
        return {
            "position": float(self.progress.position_seconds),
            "watched": float(self.progress.watched_seconds),
            "furthest": float(self.progress.furthest_seconds),
            "duration": self.duration,
            "credited": float(self.credited),
            "seek": self.seek,
            "completed": self.completed,
            "course_completed": self.course_completed,
        }


def _number(value, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ProgressError(
            "bad_" + name, _("%(name)s must be a number.") % {"name": name}
        )
    if not math.isfinite(value):
        raise ProgressError(
            "bad_" + name, _("%(name)s must be a finite number.") % {"name": name}
        )
    return Decimal(str(value))


def _parse_beat(position, seq, playing) -> tuple[Decimal, int, bool]:
    position = _number(position, "position")
    if position < 0:
        raise ProgressError("bad_position", _("The position cannot be negative."))
    if position > MAX_POSITION:
        raise ProgressError(
            "bad_position", _("The position is past the end of the video.")
        )
    position = position.quantize(CENT)
    if isinstance(seq, bool) or not isinstance(seq, int) or not 1 <= seq <= MAX_SEQ:
        raise ProgressError("bad_seq", _("seq must be a positive whole number."))
    if not isinstance(playing, bool):
        raise ProgressError("bad_playing", _("playing must be true or false."))
    return position, seq, playing


def _progress_row(user, lesson_id: int) -> LessonProgress | None:
    return (
        LessonProgress.objects.select_related("lesson")
        .filter(user=user, lesson_id=lesson_id)
        .first()
    )


def _first_progress(user, lesson_id: int) -> LessonProgress:
    """No row yet (the page was never opened on the server): find the lesson and
    the enrolment the slow way and start one."""
    lesson = LessonPage.objects.live().filter(pk=lesson_id).first()
    if lesson is None:
        raise ProgressError("not_found", _("No such lesson."), status=404)
    progress = lesson_open(user=user, lesson=lesson)
    if progress is None:
        raise ProgressError(
            "not_enrolled", _("You are not enrolled in this course."), status=403
        )
    return progress


def _check_lesson(progress: LessonProgress) -> LessonPage:
    lesson = progress.lesson
    if not lesson.live:
        raise ProgressError("not_live", _("This lesson is not published."), status=404)
    return lesson


def progress_beat(*, user, lesson_id: int, position, seq, playing=True) -> BeatResult:
    """Credit the video time a heartbeat proves.

    Credit is at most the wall time since the previous beat (and only when that
    beat said the video was playing), capped at ``max_credit()``, and only for new
    ground directly after the part already watched: a forward jump faster than
    playback is a seek and earns nothing, and watching after such a jump earns
    nothing until the learner returns to the watched part. The position is stored
    regardless, for resuming.
    """
    position, seq, playing = _parse_beat(position, seq, playing)
    progress = _progress_row(user, lesson_id) or _first_progress(user, lesson_id)
    lesson = _check_lesson(progress)
    if lesson.kind != LessonPage.Kind.VIDEO or not lesson.video_seconds:
        raise ProgressError("not_video", _("This lesson has no video."))
    duration = Decimal(lesson.video_seconds)
    if position > duration + POSITION_SLACK:
        raise ProgressError(
            "bad_position", _("The position is past the end of the video.")
        )
    if seq <= progress.seq:
        raise ProgressError(
            "stale_seq", _("This heartbeat is older than the last one."), status=409
        )

    now = timezone.now()
    credited = Decimal("0")
    seek = False
    furthest = progress.furthest_seconds
    if progress.playing and progress.last_beat_at is not None:
        elapsed = Decimal(str((now - progress.last_beat_at).total_seconds()))
        allowance = max(Decimal("0"), min(elapsed, max_credit()))
        contiguous = progress.position_seconds <= furthest + CONTIGUOUS_SLACK
        gain = position - furthest
        if position - progress.position_seconds > allowance * SEEK_RATE + JITTER_SLACK:
            seek = True
        elif contiguous and gain > 0:
            # One learner has one pair of eyes: wall time already credited to
            # another lesson (a second tab playing at the same time) is not
            # credited again.
            since = _credited_until(user, progress.last_beat_at)
            if since > progress.last_beat_at:
                unclaimed = Decimal(str(max((now - since).total_seconds(), 0)))
                allowance = min(allowance, unclaimed)
            credited = min(gain, allowance).quantize(CENT)
    if credited:
        _credited_until_set(user, now)
    watched = progress.watched_seconds + credited
    furthest += credited
    completed_now = progress.completed_at is None and watched >= (
        duration * complete_ratio()
    )
    completed_at = now if completed_now else progress.completed_at

    changed = LessonProgress.objects.filter(pk=progress.pk, seq=progress.seq).update(
        seq=seq,
        position_seconds=position,
        furthest_seconds=furthest,
        watched_seconds=watched,
        last_beat_at=now,
        playing=playing,
        completed_at=completed_at,
    )
    if not changed:
        raise ProgressError(
            "stale_seq", _("Another heartbeat was recorded first."), status=409
        )
    progress.seq, progress.position_seconds = seq, position
    progress.furthest_seconds, progress.watched_seconds = furthest, watched
    progress.last_beat_at, progress.playing = now, playing
    progress.completed_at = completed_at
    course_completed = bool(
        completed_now
        and enrollment_check_completion(enrollment_id=progress.enrollment_id)
    )
    return BeatResult(
        progress=progress,
        duration=lesson.video_seconds,
        credited=credited,
        seek=seek,
        completed=completed_at is not None,
        course_completed=course_completed,
    )


def _credit_key(user) -> str:
    return f"courses:video-credited-until:{user.pk}"


def _credited_until(user, default):
    """Up to when the learner's wall time has been credited to any video (kept in
    the cache: no query on the hot path; without a cache the lesson's own clock
    still bounds the credit)."""
    value = cache.get(_credit_key(user))
    return value if value is not None else default


def _credited_until_set(user, moment) -> None:
    cache.set(_credit_key(user), moment, timeout=int(max_credit()) * 4 + 60)


def progress_read(*, user, lesson_id: int) -> tuple[LessonProgress, bool]:
    """Mark a reading lesson done once its minimum reading time has passed since
    the learner first opened it. Returns (progress, course completed now)."""
    progress = _progress_row(user, lesson_id) or _first_progress(user, lesson_id)
    lesson = _check_lesson(progress)
    if lesson.kind != LessonPage.Kind.TEXT:
        raise ProgressError("not_text", _("Only reading lessons are marked as read."))
    if progress.completed_at is not None:
        return progress, False
    now = timezone.now()
    remaining = lesson.reading_seconds - (now - progress.started_at).total_seconds()
    if remaining > 0:
        raise ProgressError(
            "too_soon",
            _("Keep reading: %(seconds)d more seconds.")
            % {"seconds": math.ceil(remaining)},
            remaining=math.ceil(remaining),
        )
    changed = LessonProgress.objects.filter(
        pk=progress.pk, completed_at__isnull=True
    ).update(completed_at=now)
    progress.completed_at = now
    course_completed = bool(
        changed and enrollment_check_completion(enrollment_id=progress.enrollment_id)
    )
    return progress, course_completed


def lesson_open(*, user, lesson: LessonPage) -> LessonProgress | None:
    """The learner opened a lesson: start its clock (first time) and remember it
    for "continue where you left off". ``None`` when not enrolled."""
    if not user.is_authenticated:
        return None
    enrollment = Enrollment.objects.filter(
        user=user, course_id=lesson.get_parent().pk
    ).first()
    if enrollment is None:
        return None
    progress, _created = LessonProgress.objects.get_or_create(
        user=user,
        lesson=lesson,
        defaults={"enrollment": enrollment, "started_at": timezone.now()},
    )
    if enrollment.last_lesson_id != lesson.pk:
        Enrollment.objects.filter(pk=enrollment.pk).update(last_lesson=lesson)
    progress.lesson = lesson
    return progress


@transaction.atomic
def lesson_complete_by_quiz(*, user_id: int, quiz) -> int:
    """The learner passed ``quiz``: complete every live quiz lesson built on it in
    courses they are enrolled in. Returns the number of lessons completed."""
    lessons = list(
        LessonPage.objects.live().filter(quiz=quiz, kind=LessonPage.Kind.QUIZ)
    )
    if not lessons:
        return 0
    now = timezone.now()
    done = 0
    for lesson in lessons:
        enrollment = Enrollment.objects.filter(
            user_id=user_id, course_id=lesson.get_parent().pk
        ).first()
        if enrollment is None:
            continue
        progress, _created = LessonProgress.objects.get_or_create(
            user_id=user_id,
            lesson=lesson,
            defaults={"enrollment": enrollment, "started_at": now},
        )
        if progress.completed_at is None:
            LessonProgress.objects.filter(pk=progress.pk).update(completed_at=now)
            done += 1
            enrollment_check_completion(enrollment_id=enrollment.pk)
    return done


def counted_lesson_ids(course: CoursePage) -> list[int]:
    """Lessons that count for the course's completion rule. A "required lessons"
    course without any required lesson counts them all (never complete on
    enrolment)."""
    lessons = LessonPage.objects.child_of(course).live()
    if course.completion_rule == CoursePage.CompletionRule.REQUIRED_LESSONS:
        required = list(lessons.filter(required=True).values_list("pk", flat=True))
        if required:
            return required
    return list(lessons.values_list("pk", flat=True))


@transaction.atomic
def enrollment_check_completion(*, enrollment_id: int) -> bool:
    """Refresh the enrolment's progress and complete it when the rule is met.

    Returns True only for the call that recorded the completion; that call sends
    ``course_completed`` inside this transaction.
    """
    enrollment = Enrollment.objects.select_related("course").get(pk=enrollment_id)
    if enrollment.completed_at is not None:
        return False
    course = enrollment.course
    counted = counted_lesson_ids(course)
    if not counted:
        return False
    done = LessonProgress.objects.filter(
        enrollment=enrollment, lesson_id__in=counted, completed_at__isnull=False
    ).count()
    percent = done * 100 // len(counted)
    if done < len(counted):
        if percent != enrollment.progress_percent:
            Enrollment.objects.filter(pk=enrollment.pk).update(progress_percent=percent)
        return False
    now = timezone.now()
    hours = course.credit_hours
    won = Enrollment.objects.filter(pk=enrollment.pk, completed_at__isnull=True).update(
        completed_at=now, credit_hours=hours, progress_percent=100
    )
    if not won:
        return False
    enrollment.completed_at, enrollment.credit_hours = now, hours
    enrollment.progress_percent = 100
    signals.course_completed.send(
        sender=Enrollment,
        enrollment=enrollment,
        user_id=enrollment.user_id,
        course=course,
        completed_at=now,
        credit_hours=hours,
    )
    return True
