"""The courses part of ``manage.py seed_demo``: the catalogue, courses in every
subject with their lessons, demo media, assignments and learners' progress.

Pages are published through revisions, as an editor would; one course is left as a
draft waiting in the "课程审核" workflow. Enrolments, assignments and progress go
through the real services (``enrollment_create``, ``assignment_create``,
``lesson_open``, ``progress_read``, ``progress_beat``, ``lesson_complete_by_quiz``),
replayed on a clock set in the past (``_clock``): those services take no ``now``,
and a demo where every course was published, enrolled in and finished in the same
second would not show what the pages are for (newest first, overdue first, resume).

Idempotent: pages are found by slug, media by title, an assignment by course,
assigner and target, and a learner who already has an enrolment in a course is left
alone there.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection

from assessments.models import Attempt, Quiz, Subject
from courses import demo_content as content
from courses.models import Assignment, CoursePage, Enrollment, LessonPage
from courses.services import (
    assignment_create,
    assignment_run,
    course_catalogue_ensure,
    enrollment_create,
    lesson_complete_by_quiz,
    lesson_open,
    progress_beat,
    progress_read,
)

logger = logging.getLogger(__name__)

MEDIA_DIR = Path(__file__).resolve().parent / "demo_media"
LESSON_QUIZ_TITLE = "检察官职业道德 随堂测验"  # made by assessments.demo
DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)
MINUTE = dt.timedelta(minutes=1)
BEAT_SECONDS = 20  # what the lesson page's script sends

ROTATION = "zhengzhi-lunxun-juedui-lingdao"
RULE_OF_LAW = "xi-fazhi-sixiang-daodu"
CODE = "zhiye-daode-jiben-zhunze"
CLEAN = "gongzheng-lianjie-zhifa"
SUPERVISION = "xingshi-susong-jiandu-shiwu"
MASS = "xinshidai-qunzhong-gongzuo"
IT = "yewu-yingyong-xitong-dianzi-juanzong"
EMERGENCY = "tufa-shijian-chuzhi-yuqing-yingdui"
ARREST = "shencha-daibu-renzui-renfa"
DOCUMENTS = "jiancha-wenshu-zhizuo-guifan"

UNIT_ASSIGNMENT_REASON = "2026 年度政治轮训：全院检察人员须在期限内完成本课程。"
PEOPLE_ASSIGNMENT_REASON = "立案监督专项活动前的业务培训，第一检察部全员必修。"


@dataclass
class SeedCounts:
    courses: int = 0
    lessons: int = 0
    media: int = 0
    assignments: int = 0
    enrolments: int = 0


@contextlib.contextmanager
def _clock(moment: dt.datetime) -> Iterator[None]:
    """Run the services as if it were ``moment`` (see the module docstring)."""
    with mock.patch.object(timezone, "now", return_value=moment):
        yield


# --- media ----------------------------------------------------------------------------


def _root_collection():
    """Wagtail's migration makes the root collection; a flushed test database
    (browser tests) lacks it, and documents and images cannot be saved without."""
    return Collection.get_first_root_node() or Collection.add_root(name="Root")


def _document(title: str, filename: str, data: bytes, counts: SeedCounts):
    Document = get_document_model()
    document = Document.objects.filter(title=title).first()
    if document is None:
        document = Document(
            title=title,
            file=ContentFile(data, name=filename),
            collection=_root_collection(),
        )
        document._set_document_file_metadata()
        document.save()
        counts.media += 1
    return document


def _video_document(counts: SeedCounts):
    path = MEDIA_DIR / content.VIDEO_FILENAME
    return _document(
        content.VIDEO_TITLE, content.VIDEO_FILENAME, path.read_bytes(), counts
    )


def _handout_document(counts: SeedCounts):
    """The ethics course's PDF handout, typeset from Chinese HTML. ``None`` when
    WeasyPrint cannot run here (the lesson then goes without it)."""
    existing = get_document_model().objects.filter(title=content.HANDOUT_TITLE)
    if existing.exists():
        return existing.first()
    try:
        from weasyprint import HTML

        pdf = HTML(string=content.HANDOUT_HTML).write_pdf()
    except Exception:  # a missing system library must not stop the demo
        logger.warning("The demo PDF handout could not be made.", exc_info=True)
        return None
    return _document(content.HANDOUT_TITLE, content.HANDOUT_FILENAME, pdf, counts)


_FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)


def _cjk_font(size: int):
    from PIL import ImageFont

    for path in _FONT_FILES:
        if not Path(path).exists():
            continue
        for index in range(5):  # JP, KR, SC, TC, HK faces in one collection
            font = ImageFont.truetype(path, size, index=index)
            if "SC" in font.getname()[0]:
                return font
    return None


def _wrap(text: str, font, width: int) -> list[str]:
    lines, line = [], ""
    for char in text:
        if font.getlength(line + char) > width and line:
            lines.append(line)
            line = ""
        line += char
    return [*lines, line] if line else lines


def _hex(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    return tuple(int(colour[i : i + 2], 16) for i in (0, 2, 4))


def cover_image_ensure(spec: content.CourseSpec, counts: SeedCounts | None = None):
    """A 16:9 cover in the course's colours with its first subject in large type
    (the catalogue card prints the title itself). ``None`` without a Chinese font;
    the catalogue then shows its placeholder."""
    from PIL import Image as PILImage
    from PIL import ImageDraw

    Image = get_image_model()
    title = f"课程封面：{spec.title}"
    image = Image.objects.filter(title=title).first()
    if image is not None:
        return image
    big, small = _cjk_font(72), _cjk_font(26)
    if big is None or small is None:
        return None
    width, height = 960, 540
    top, accent = _hex(spec.colours[0]), _hex(spec.colours[1])
    canvas = PILImage.new("RGB", (width, height), top)
    draw = ImageDraw.Draw(canvas)
    for y in range(height):  # darken towards the bottom
        shade = 1 - 0.35 * y / height
        draw.line([(0, y), (width, y)], fill=tuple(int(c * shade) for c in top))
    overlay = PILImage.new("RGBA", (width, height), (0, 0, 0, 0))
    rings = ImageDraw.Draw(overlay)
    for radius, alpha in ((330, 40), (250, 55), (170, 70)):
        rings.ellipse(
            (
                width - 140 - radius,
                height - 60 - radius,
                width - 140 + radius,
                height - 60 + radius,
            ),
            outline=(*accent, alpha),
            width=14,
        )
    canvas = PILImage.alpha_composite(canvas.convert("RGBA"), overlay).convert("RGB")
    draw = ImageDraw.Draw(canvas)
    subject = spec.subjects[0]
    line = _wrap(subject, big, width - 160)
    y = (height - 90 * len(line)) // 2 - 20
    for text in line:
        draw.text(((width - big.getlength(text)) / 2, y), text, font=big, fill="white")
        y += 90
    draw.rectangle(((width - 120) / 2, y + 18, (width + 120) / 2, y + 24), fill=accent)
    caption = "检察教育培训平台 · 网络课程"
    draw.text(
        ((width - small.getlength(caption)) / 2, y + 44),
        caption,
        font=small,
        fill=accent,
    )
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG", optimize=True)
    image = Image(
        title=title,
        file=ContentFile(buffer.getvalue(), name=f"cover-{spec.slug}.png"),
        collection=_root_collection(),
    )
    image._set_image_file_metadata()
    image.save()
    if counts is not None:
        counts.media += 1
    return image


# --- pages ----------------------------------------------------------------------------


def _subjects_ensure() -> dict[str, Subject]:
    return {
        name: Subject.objects.get_or_create(name=name, defaults={"sort_order": order})[
            0
        ]
        for name, order in content.SUBJECT_ORDER.items()
    }


@dataclass
class _Media:
    video: object | None
    handout: object | None
    quiz: Quiz | None


def _lesson_blocks(spec: content.LessonSpec, media: _Media) -> list[dict]:
    blocks = []
    if spec.video and media.video is not None:
        blocks.append(
            {
                "type": "video",
                "value": {
                    "video_file": media.video.pk,
                    "stream_url": "",
                    "duration_seconds": content.VIDEO_SECONDS,
                    "poster": None,
                    "caption": "演示视频，约 10 秒。",
                },
            }
        )
    blocks.append({"type": "paragraph", "value": spec.body})
    if spec.handout and media.handout is not None:
        blocks.append(
            {
                "type": "document",
                "value": {
                    "document": media.handout.pk,
                    "show_inline": True,
                    "caption": "学习提纲，可下载打印。",
                },
            }
        )
    if spec.quiz and media.quiz is not None:
        blocks.append(
            {
                "type": "quiz",
                "value": {"quiz": media.quiz.pk, "intro": "5 道题，60 分合格。"},
            }
        )
    return blocks


def _course_ensure(
    *,
    index,
    spec: content.CourseSpec,
    editor,
    publisher,
    subjects: dict[str, Subject],
    media: _Media,
    published_at: dt.datetime,
    counts: SeedCounts,
) -> CoursePage:
    course = CoursePage.objects.child_of(index).filter(slug=spec.slug).first()
    with _clock(published_at):
        if course is None:
            course = CoursePage(
                title=spec.title,
                slug=spec.slug,
                summary=spec.summary,
                cover_image=cover_image_ensure(spec, counts),
                estimated_minutes=spec.minutes,
                credit_hours_override=spec.credit_override,
                override_reason=spec.override_reason,
                audience_categories=list(spec.categories),
                audience_grades=list(spec.grades),
                audience_leadership=list(spec.leadership),
                self_enrol=spec.self_enrol,
                completion_rule=spec.completion_rule,
                owner=editor,
                live=False,
            )
            course.subjects = [subjects[name] for name in spec.subjects]
            index.add_child(instance=course)
            revision = course.save_revision(user=editor, log_action=True)
            if spec.publish:
                revision.publish(user=publisher)
            counts.courses += 1
        for lesson_spec in spec.lessons:
            if course.get_children().filter(slug=lesson_spec.slug).exists():
                continue
            lesson = LessonPage(
                title=lesson_spec.title,
                slug=lesson_spec.slug,
                body=json.dumps(_lesson_blocks(lesson_spec, media), ensure_ascii=False),
                required=lesson_spec.required,
                owner=editor,
                live=False,
            )
            CoursePage.objects.get(pk=course.pk).add_child(instance=lesson)
            revision = lesson.save_revision(user=editor, log_action=True)
            if spec.publish:
                revision.publish(user=publisher)
            counts.lessons += 1
        if not spec.publish:
            _submit_for_review(course, editor)
    course.refresh_from_db()
    return course


def _submit_for_review(course: CoursePage, editor) -> None:
    """The editor sends the draft to the reviewers, as "Submit to 课程审核" does."""
    workflow = course.get_workflow()
    if workflow is None or course.workflow_in_progress or course.live:
        return
    workflow.start(course, editor)


# --- learners -------------------------------------------------------------------------


class _Learning:
    """One learner's history in one course, replayed through the services."""

    def __init__(self, user, course: CoursePage):
        self.user = user
        self.course = course
        self.lessons = list(course.lessons())

    def enrol(self, at: dt.datetime) -> None:
        with _clock(at):
            enrollment_create(user=self.user, course=self.course)

    def read(self, number: int, at: dt.datetime) -> dt.datetime:
        """Open lesson ``number`` (1-based) and mark it read once its reading time
        is over; returns when that was."""
        lesson = self.lessons[number - 1]
        with _clock(at):
            lesson_open(user=self.user, lesson=lesson)
        done = at + dt.timedelta(seconds=lesson.reading_seconds + 40)
        with _clock(done):
            progress_read(user=self.user, lesson_id=lesson.pk)
        return done

    def open(self, number: int, at: dt.datetime) -> None:
        with _clock(at):
            lesson_open(user=self.user, lesson=self.lessons[number - 1])

    def watch(self, number: int, at: dt.datetime, share: float = 1.0) -> dt.datetime:
        """Play the video from the start, a heartbeat every 20 s, up to ``share``
        of its length, then pause."""
        lesson = self.lessons[number - 1]
        with _clock(at):
            lesson_open(user=self.user, lesson=lesson)
        stop = round(lesson.video_seconds * share, 2)
        position, seq, moment = 0.0, 0, at
        while True:
            seq += 1
            playing = position < stop
            with _clock(moment):
                progress_beat(
                    user=self.user,
                    lesson_id=lesson.pk,
                    position=position,
                    seq=seq,
                    playing=playing,
                )
            if not playing:
                return moment
            step = min(BEAT_SECONDS, stop - position)
            position = round(position + step, 2)
            moment += dt.timedelta(seconds=step + 0.3)

    def pass_quiz(self, at: dt.datetime, quiz: Quiz | None) -> None:
        """Credit the quiz lesson to a learner who has passed its quiz (the
        demo attempts predate the course pages, so the receiver never saw them)."""
        if quiz is None:
            return
        if not Attempt.objects.filter(quiz=quiz, user=self.user, passed=True).exists():
            return
        with _clock(at):
            lesson_complete_by_quiz(user_id=self.user.pk, quiz=quiz)


def _assign(
    *,
    coordinator,
    course: CoursePage,
    users: Sequence,
    target_kind: str,
    target_label: str,
    due_on: dt.date,
    reason: str,
    at: dt.datetime,
    counts: SeedCounts,
) -> None:
    if Assignment.objects.filter(
        course=course, created_by=coordinator, target_label=target_label
    ).exists():
        return
    with _clock(at):
        assignment = assignment_create(
            actor=coordinator,
            course=course,
            user_ids=[user.pk for user in users],
            target_kind=target_kind,
            target_label=target_label,
            due_on=due_on,
            required=True,
            reason=reason,
        )
        # Run now, inside the seed's transaction, so the demo does not wait for
        # a task worker; the queued task then finds it done.
        assignment_run(assignment_id=assignment.pk)
    counts.assignments += 1


def _new_to(user, course: CoursePage) -> bool:
    return not Enrollment.objects.filter(user=user, course=course).exists()


def _seed_learner(learner, courses: dict[str, CoursePage], quiz, now) -> int:
    """The main demo login: one of everything "my learning" shows."""
    made = 0

    # Assigned by the coordinator (the assignments come first): the unit's
    # political rotation course, first lesson read; the overdue supervision
    # course, first lesson read.
    for slug, days_ago in ((ROTATION, 3), (SUPERVISION, 12)):
        course = courses[slug]
        if not Enrollment.objects.filter(
            user=learner, course=course, last_lesson__isnull=True
        ).exists():
            continue
        _Learning(learner, course).read(1, now - days_ago * DAY)

    course = courses[CODE]  # in progress: read, quiz passed, resumes at lesson 2
    if _new_to(learner, course):
        learning = _Learning(learner, course)
        learning.enrol(now - 4 * DAY)
        learning.read(1, now - 4 * DAY + HOUR)
        learning.pass_quiz(now - 3 * DAY + HOUR, quiz)
        learning.open(2, now - 2 * DAY)
        made += 1

    course = courses[CLEAN]  # completed two weeks ago
    if _new_to(learner, course):
        learning = _Learning(learner, course)
        start = now - 15 * DAY
        learning.enrol(start)
        at = learning.read(1, start + HOUR)
        at = learning.read(2, at + 2 * HOUR)
        learning.read(3, at + DAY)
        made += 1

    course = courses[IT]  # completed: the video watched, then the reading
    if _new_to(learner, course):
        learning = _Learning(learner, course)
        start = now - 9 * DAY
        learning.enrol(start)
        at = learning.watch(1, start + 5 * MINUTE)
        learning.read(2, at + dt.timedelta(minutes=2))
        made += 1

    course = courses[EMERGENCY]  # enrolled yesterday, not started
    if _new_to(learner, course):
        _Learning(learner, course).enrol(now - DAY)
        made += 1
    return made


# What the other people of the assigned unit did: the political rotation course
# (how many lessons read; 3 = completed) and a self-chosen course with a state.
_OTHERS_ROTATION = (3, 2, 3, 1, 0, 3, 2, 0, 3, 1, 0, 2)
_OTHERS_CHOICE = (
    (CLEAN, "done"),
    (MASS, "started"),
    (IT, "watching"),
    (ARREST, "done"),
    (RULE_OF_LAW, "started"),
    (DOCUMENTS, "done"),
    (CODE, "started"),
    (EMERGENCY, "enrolled"),
    (CLEAN, "started"),
    (MASS, "done"),
    (SUPERVISION, "enrolled"),
    (IT, "done"),
)


def _seed_others(others: Sequence, courses: dict[str, CoursePage], now) -> int:
    made = 0
    for number, user in enumerate(others):
        read = _OTHERS_ROTATION[number % len(_OTHERS_ROTATION)]
        rotation = _Learning(user, courses[ROTATION])
        mine = Enrollment.objects.filter(user=user, course=rotation.course).first()
        if mine is not None and mine.last_lesson_id is None and read:
            at = now - (5 - number % 4) * DAY
            for lesson in range(1, read + 1):
                at = rotation.read(lesson, at + HOUR)

        slug, state = _OTHERS_CHOICE[number % len(_OTHERS_CHOICE)]
        course = courses[slug]
        if not _new_to(user, course):
            continue
        learning = _Learning(user, course)
        start = now - (20 - number % 10) * DAY
        learning.enrol(start)
        made += 1
        if state == "enrolled":
            continue
        if state == "watching":
            learning.watch(1, start + HOUR, share=0.6)
            continue
        count = len(learning.lessons) if state == "done" else 1
        at = start
        for lesson in range(1, count + 1):
            if learning.lessons[lesson - 1].kind == LessonPage.Kind.VIDEO:
                at = learning.watch(lesson, at + HOUR)
            elif learning.lessons[lesson - 1].kind == LessonPage.Kind.TEXT:
                at = learning.read(lesson, at + HOUR)
    return made


# --- entry point ----------------------------------------------------------------------


@transaction.atomic
def seed(
    *,
    editor,
    publisher,
    coordinator,
    learner,
    unit_label: str,
    unit_users: Sequence,
    colleagues: Sequence = (),
    stdout=None,
    now: dt.datetime | None = None,
) -> SeedCounts:
    """Create what is missing of the demo courses and their learners.

    ``editor`` writes the pages and ``publisher`` (a reviewer) publishes them,
    except one draft left in review; ``coordinator`` assigns the
    political rotation course to ``unit_users`` (everyone in the unit subtree
    called ``unit_label``, the learner included; the caller chooses them inside the
    coordinator's scope) and the supervision course to the learner and
    ``colleagues``; ``learner`` is the main demo login. The other people of
    ``unit_users`` get progress of every kind.
    """
    now = now or timezone.now()
    write = stdout.write if stdout is not None else (lambda _line: None)
    counts = SeedCounts()
    index = course_catalogue_ensure()
    if index is None:
        raise RuntimeError("No home page: run `manage.py migrate` first.")
    subjects = _subjects_ensure()
    media = _Media(
        video=_video_document(counts),
        handout=_handout_document(counts),
        quiz=Quiz.objects.filter(title=LESSON_QUIZ_TITLE).first(),
    )
    if media.quiz is None:
        write(f"  “{LESSON_QUIZ_TITLE}” not found: the quiz lesson has no quiz.")

    courses: dict[str, CoursePage] = {}
    for number, spec in enumerate(content.COURSES):
        courses[spec.slug] = _course_ensure(
            index=index,
            spec=spec,
            editor=editor,
            publisher=publisher,
            subjects=subjects,
            media=media,
            # Published a few days apart, oldest first, well before anyone
            # enrolled.
            published_at=now - (90 - 4 * number) * DAY,
            counts=counts,
        )
    live = CoursePage.objects.live().descendant_of(index).count()
    write(
        f"Courses: {live} published in “{index.title}”, {counts.courses} created "
        f"with {counts.lessons} lessons; {counts.media} media files created."
    )

    _assign(
        coordinator=coordinator,
        course=courses[ROTATION],
        users=unit_users,
        target_kind=Assignment.TargetKind.UNIT,
        target_label=unit_label,
        due_on=(now + 10 * DAY).date(),
        reason=UNIT_ASSIGNMENT_REASON,
        at=now - 6 * DAY,
        counts=counts,
    )
    _assign(
        coordinator=coordinator,
        course=courses[SUPERVISION],
        users=[learner, *colleagues],
        target_kind=Assignment.TargetKind.PEOPLE,
        target_label=f"{learner.full_name or learner.username}等 "
        f"{1 + len(colleagues)} 人",
        due_on=(now - 3 * DAY).date(),
        reason=PEOPLE_ASSIGNMENT_REASON,
        at=now - 20 * DAY,
        counts=counts,
    )
    others = [user for user in unit_users if user.pk != learner.pk]
    counts.enrolments += _seed_learner(learner, courses, media.quiz, now)
    counts.enrolments += _seed_others(others, courses, now)
    write(
        f"Enrolments: {Enrollment.objects.count()} "
        f"({Enrollment.objects.filter(completed_at__isnull=False).count()} "
        f"completed), {counts.enrolments} self-enrolments and "
        f"{counts.assignments} assignments created."
    )
    return counts
