"""Demo certificates for ``seed_demo`` (after the classes and the 学时 history).

A red seal drawn with Pillow goes on the default template; in development a
self-signed key pair is made so the PDFs carry a PAdES signature; then the
certificates are issued synchronously, as the background worker would: for the
passed members of the completed 政治轮训 class and for everyone who met the 2026
政治轮训 programme (the demo learner is both). One certificate is revoked and
another re-issued, so the verify page shows every status.

Idempotent: certificates are unique per subject, the revocation and the re-issue
are found by their reasons, the seal image by its title.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.images import ImageFile

from training.certificates.models import (
    Certificate,
    CertificateBatch,
    CertificateRevocation,
    CertificateTemplate,
)
from training.certificates.services import (
    certificate_batch_create,
    certificate_batch_run,
    certificate_reissue,
    certificate_revoke,
)
from training.classes.models import ClassMember, TrainingClass
from training.demo.classes import COMPLETED_NAME, PROVINCE
from training.programmes.models import Programme

PROGRAMME_KEY = "political-2026"
SEAL_TITLE = "国家检察官学院证书专用章（演示）"
SEAL_ISSUER = "国家检察官学院"
SEAL_PURPOSE = "证书专用章"
SEAL_RED = (200, 22, 29)
SEAL_FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
SIGNER_NAME = "检察教育培训平台（演示签名）"
REVOKE_REASON = "所依据的学时记录经复核有误，证书撤销。"
REISSUE_REASON = "持证人所在单位名称变更，按新名称重新颁发。"


def _write(stdout, message: str) -> None:
    if stdout is not None:
        stdout.write(message)


# --- the seal ----------------------------------------------------------------------


def _sc_font(size: int):
    """Noto Sans CJK Bold, Simplified Chinese face (index 2 in Debian's collection;
    looked up by name in case the order changes). None without the font."""
    from PIL import ImageFont

    if not Path(SEAL_FONT).exists():
        return None
    for index in range(10):
        try:
            font = ImageFont.truetype(SEAL_FONT, size, index=index)
        except OSError:
            break
        if font.getname()[0].endswith(" SC"):
            return font
    return None


def _star(cx: float, cy: float, outer: float) -> list[tuple[float, float]]:
    inner = outer * math.sin(math.radians(18)) / math.sin(math.radians(126))
    points = []
    for i in range(10):
        radius = outer if i % 2 == 0 else inner
        angle = math.radians(-90 + 36 * i)
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    return points


def seal_png(size: int = 400) -> bytes | None:
    """A round red seal: ring, star, the issuer's name along the top and the
    purpose across the bottom. Drawn at twice the size, then scaled down so the
    edges are smooth. None when the Chinese font is missing."""
    from PIL import Image, ImageDraw

    scale = 2
    side = size * scale
    text_font = _sc_font(int(side * 0.135))
    purpose_font = _sc_font(int(side * 0.085))
    if text_font is None or purpose_font is None:
        return None
    canvas = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    draw = ImageDraw.Draw(canvas)
    centre = side / 2
    ring = side * 0.035
    radius = side / 2 - ring / 2 - 2
    draw.ellipse(
        (centre - radius, centre - radius, centre + radius, centre + radius),
        outline=SEAL_RED,
        width=round(ring),
    )
    draw.polygon(_star(centre, centre, side * 0.17), fill=SEAL_RED)

    # The name along the top arc, each character turned to face the centre.
    text_radius = radius - ring / 2 - side * 0.085
    span = 230
    count = len(SEAL_ISSUER)
    cell = int(side * 0.2)
    for index, char in enumerate(SEAL_ISSUER):
        angle = -span / 2 + span * index / (count - 1)
        glyph = Image.new("RGBA", (cell, cell), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text(
            (cell / 2, cell / 2), char, font=text_font, fill=SEAL_RED, anchor="mm"
        )
        glyph = glyph.rotate(-angle, resample=Image.Resampling.BICUBIC)
        x = centre + text_radius * math.sin(math.radians(angle))
        y = centre - text_radius * math.cos(math.radians(angle))
        canvas.alpha_composite(glyph, (round(x - cell / 2), round(y - cell / 2)))

    draw.text(
        (centre, centre + side * 0.255),
        SEAL_PURPOSE,
        font=purpose_font,
        fill=SEAL_RED,
        anchor="mm",
    )
    canvas = canvas.resize((size, size), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def seal_ensure(template: CertificateTemplate) -> str:
    """Put the demo seal on ``template`` unless it already has one."""
    from wagtail.images import get_image_model

    if template.seal_id:
        return "seal kept"
    Image = get_image_model()
    image = Image.objects.filter(title=SEAL_TITLE).first()
    if image is None:
        data = seal_png()
        if data is None:
            return "no seal (Noto Sans CJK missing)"
        image = Image(
            title=SEAL_TITLE,
            file=ImageFile(io.BytesIO(data), name="demo-seal.png"),
        )
        image._set_image_file_metadata()
        image.save()
    template.seal = image
    template.save(update_fields=["seal", "updated_at"])
    return "seal added"


# --- the signing key ---------------------------------------------------------------


def signing_key_ensure() -> str:
    """In development, a self-signed demo key pair where the settings point to
    files that do not exist yet. Never in production (DEBUG off)."""
    from cms.signing import generate_self_signed, signing_enabled

    key = getattr(settings, "PDF_SIGNING_KEY", "")
    cert = getattr(settings, "PDF_SIGNING_CERT", "")
    if signing_enabled():
        return f"PDFs signed with {cert}"
    if not (settings.DEBUG and key and cert):
        return "PDFs not signed (PDF_SIGNING_KEY / PDF_SIGNING_CERT not set)"
    key_path, cert_path = Path(key), Path(cert)
    if key_path.exists() or cert_path.exists():
        return f"PDFs not signed: {key} or {cert} is missing"
    generate_self_signed(
        key_path=key_path, cert_path=cert_path, common_name=SIGNER_NAME
    )
    return f"PDFs signed with a new self-signed demo key ({cert})"


# --- issuing -------------------------------------------------------------------------


def _count(**filters) -> int:
    return Certificate.objects.filter(**filters).count()


def _issue_for_class(training_class: TrainingClass) -> None:
    """Run the batch that completing the class queued (the worker would), or one
    of our own when somebody who passed still has no certificate."""
    for batch in CertificateBatch.objects.filter(training_class=training_class).exclude(
        status=CertificateBatch.Status.DONE
    ):
        certificate_batch_run(batch_id=batch.pk)
    waiting = (
        ClassMember.objects.filter(
            training_class=training_class, result=ClassMember.Result.PASSED
        )
        .exclude(person__certificates__training_class=training_class)
        .exists()
    )
    if waiting:
        batch = certificate_batch_create(training_class=training_class, enqueue=False)
        certificate_batch_run(batch_id=batch.pk)


def _issue_for_programme(programme: Programme) -> None:
    try:
        batch = certificate_batch_create(programme=programme, enqueue=False)
    except ValidationError:
        return  # everybody who met it has theirs
    certificate_batch_run(batch_id=batch.pk)


def _candidates(**filters):
    return (
        Certificate.objects.filter(generation=1, **filters)
        .exclude(person__user__username="learner")
        .filter(revocation__isnull=True)
        .select_related("person__unit", "programme", "training_class")
        .order_by("person__employee_no")
    )


def _revoke_and_reissue(
    actor, training_class: TrainingClass | None, programme: Programme | None
) -> None:
    """One revoked programme certificate, one re-issued class certificate, for two
    different people (never the demo learner, whose certificates stay valid)."""
    revoked = CertificateRevocation.objects.filter(reason=REVOKE_REASON).first()
    if revoked is None and programme is not None:
        target = _candidates(programme=programme).first()
        if target is not None:
            certificate_revoke(certificate=target, actor=actor, reason=REVOKE_REASON)
            revoked = CertificateRevocation.objects.get(certificate=target)
    already = Certificate.objects.filter(
        replaces__revocation__reason__contains=REISSUE_REASON
    ).exists()
    if already or training_class is None:
        return
    others = _candidates(training_class=training_class)
    if revoked is not None:
        others = others.exclude(person_id=revoked.certificate.person_id)
    target = others.last()
    if target is not None:
        certificate_reissue(certificate=target, actor=actor, reason=REISSUE_REASON)


PROOF_BODY = (
    "{name}同志（{unit}）参加{subject}，于{end}前完成规定培训{hours}、{days}，"
    "经考核{result}，符合轮训要求。\n\n特此证明。"
)


def _proof_template_ensure(programme: Programme, default: CertificateTemplate) -> None:
    """Programmes print a 培训合格证明 (the class template prints a 结业证书)."""
    if programme.certificate_template_id:
        return
    proof, _created = CertificateTemplate.objects.get_or_create(
        name="培训合格证明（培训项目）",
        defaults={
            "title": "培训合格证明",
            "issuing_body": default.issuing_body,
            "body": PROOF_BODY,
            "signature_line": default.signature_line,
            "seal": default.seal,
            "orientation": CertificateTemplate.Orientation.PORTRAIT,
        },
    )
    programme.certificate_template = proof
    programme.save(update_fields=["certificate_template"])


def seed_certificates(*, stdout=None) -> dict[str, int]:
    template = CertificateTemplate.objects.filter(is_default=True).first()
    if template is None:
        _write(stdout, "Certificates: no default template (migration 0004?).")
        return {}
    seal = seal_ensure(template)
    signing = signing_key_ensure()
    before = Certificate.objects.count()
    training_class = TrainingClass.objects.filter(
        name=COMPLETED_NAME,
        organiser_unit__code=PROVINCE,
        status=TrainingClass.Status.COMPLETED,
    ).first()
    programme = Programme.objects.filter(key=PROGRAMME_KEY).first()
    if programme is not None:
        _proof_template_ensure(programme, template)
    if training_class is not None:
        _issue_for_class(training_class)
    if programme is not None and programme.issues_certificate:
        _issue_for_programme(programme)
    admin = get_user_model().objects.filter(username="admin").first()
    if admin is not None:
        _revoke_and_reissue(admin, training_class, programme)
    counts = {
        "total": Certificate.objects.count(),
        "created": Certificate.objects.count() - before,
        "class": _count(training_class=training_class) if training_class else 0,
        "programme": _count(programme=programme) if programme else 0,
        "revoked": _count(revocation__isnull=False, replaced_by__isnull=True),
        "superseded": _count(replaced_by__isnull=False),
        "learner": _count(person__user__username="learner"),
    }
    _write(
        stdout,
        f"Certificates: {counts['total']} issued ({counts['class']} for the class "
        f"“{COMPLETED_NAME}”, {counts['programme']} for "
        f"“{programme.name if programme else PROGRAMME_KEY}”; "
        f"{counts['revoked']} revoked, {counts['superseded']} re-issued; "
        f"{counts['learner']} for the demo learner), {counts['created']} created; "
        f"{seal}; {signing}.",
    )
    return counts
