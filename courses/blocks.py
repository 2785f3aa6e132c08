"""StreamField blocks of a lesson body.

A lesson holds at most one video and at most one quiz: progress is tracked per
lesson, so "which video counts" and "which quiz completes it" must be unambiguous.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.blocks import StructBlockValidationError
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageChooserBlock

from courses.chooser import quiz_chooser_viewset

QuizChooserBlock = quiz_chooser_viewset.get_block_class(
    name="QuizChooserBlock", module_path="courses.blocks"
)


class ImageBlock(blocks.StructBlock):
    image = ImageChooserBlock(label=_("image"))
    caption = blocks.CharBlock(label=_("caption"), required=False, max_length=250)

    class Meta:
        icon = "image"
        label = _("Image")
        template = "courses/blocks/image_block.html"


class VideoBlock(blocks.StructBlock):
    """An uploaded file (a document) or a stream URL; the duration is required
    because the server judges heartbeats against it."""

    video_file = DocumentChooserBlock(
        label=_("video file"),
        required=False,
        help_text=_("An uploaded MP4/WebM file. Leave empty when using a stream URL."),
    )
    stream_url = blocks.URLBlock(
        label=_("stream URL"),
        required=False,
        help_text=_("An MP4/WebM or HLS address served by your own video server."),
    )
    duration_seconds = blocks.IntegerBlock(
        label=_("duration (seconds)"), min_value=1, required=True
    )
    poster = ImageChooserBlock(label=_("poster image"), required=False)
    caption = blocks.CharBlock(label=_("caption"), required=False, max_length=250)

    class Meta:
        icon = "media"
        label = _("Video")
        template = "courses/blocks/video_block.html"

    def clean(self, value):
        value = super().clean(value)
        has_file = bool(value.get("video_file"))
        has_url = bool(value.get("stream_url"))
        if has_file == has_url:
            message = _("Give either an uploaded video file or a stream URL.")
            raise StructBlockValidationError(
                block_errors={"video_file": ValidationError(message)}
            )
        return value


class DocumentBlock(blocks.StructBlock):
    document = DocumentChooserBlock(label=_("document"))
    show_inline = blocks.BooleanBlock(
        label=_("show PDF inline"), required=False, default=True
    )
    caption = blocks.CharBlock(label=_("caption"), required=False, max_length=250)

    class Meta:
        icon = "doc-full"
        label = _("Document")
        template = "courses/blocks/document_block.html"


class QuizBlock(blocks.StructBlock):
    quiz = QuizChooserBlock(label=_("quiz"))
    intro = blocks.CharBlock(label=_("introduction"), required=False, max_length=250)

    class Meta:
        icon = "tasks"
        label = _("Quiz")
        template = "courses/blocks/quiz_block.html"


class LessonBodyBlock(blocks.StreamBlock):
    paragraph = blocks.RichTextBlock(
        label=_("Text"),
        features=["h2", "h3", "bold", "italic", "ol", "ul", "link", "hr", "blockquote"],
        template="courses/blocks/paragraph_block.html",
    )
    image = ImageBlock()
    video = VideoBlock()
    document = DocumentBlock()
    quiz = QuizBlock()

    class Meta:
        block_counts = {"video": {"max_num": 1}, "quiz": {"max_num": 1}}
