"""Certificates are PAdES-signed with pyHanko when a key pair is configured: the
signature validates as intact against the signing certificate, and any changed
byte breaks it."""

from __future__ import annotations

import io

import pytest
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from cms.signing import generate_self_signed, signing_enabled
from tests.factories.training import make_completed_class
from training.certificates.services import certificate_issue


@pytest.fixture
def key_pair(tmp_path):
    key, cert = tmp_path / "signing" / "key.pem", tmp_path / "signing" / "cert.pem"
    generate_self_signed(key_path=key, cert_path=cert, common_name="某省人民检察院")
    return key, cert


@pytest.fixture
def signing(settings, key_pair):
    settings.PDF_SIGNING_KEY, settings.PDF_SIGNING_CERT = map(str, key_pair)
    return key_pair


@pytest.fixture
def done_class(tree, coordinator, people):
    return make_completed_class(tree.city_a, actor=coordinator, passed=[people["A1"]])


def issue(done_class, coordinator, people):
    certificate, _created = certificate_issue(
        person=people["A1"], training_class=done_class, actor=coordinator
    )
    with certificate.pdf.open("rb") as handle:
        return certificate, handle.read()


def signature_status(data: bytes, cert_path):
    trusted = load_cert_from_pemder(str(cert_path))
    context = ValidationContext(trust_roots=[trusted])
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    (signature,) = reader.embedded_signatures
    return validate_pdf_signature(signature, context)


def test_signed_certificate_validates(signing, done_class, coordinator, people):
    assert signing_enabled()
    certificate, data = issue(done_class, coordinator, people)
    assert certificate.signed is True
    status = signature_status(data, signing[1])
    assert status.intact
    assert status.valid
    assert status.trusted
    assert status.bottom_line
    assert "某省人民检察院" in status.signing_cert.subject.human_friendly


def test_a_changed_byte_breaks_the_signature(signing, done_class, coordinator, people):
    _certificate, data = issue(done_class, coordinator, people)
    # A byte inside the signed range, in the binary comment after the header,
    # so the file still parses.
    position = data.index(b"\n") + 2
    assert data.startswith(b"%PDF-")
    assert data[position - 1 : position] == b"%"
    tampered = data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1 :]
    status = signature_status(tampered, signing[1])
    # ``valid`` is about the CMS signature over its signed attributes, which
    # still checks out; the document digest no longer matches.
    assert not status.intact
    assert not status.bottom_line


def test_unsigned_without_settings(settings, done_class, coordinator, people):
    settings.PDF_SIGNING_KEY = ""
    settings.PDF_SIGNING_CERT = ""
    assert not signing_enabled()
    certificate, data = issue(done_class, coordinator, people)
    assert certificate.signed is False
    assert PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures == []


def test_unsigned_when_the_key_files_are_missing(
    settings, tmp_path, done_class, coordinator, people
):
    settings.PDF_SIGNING_KEY = str(tmp_path / "missing-key.pem")
    settings.PDF_SIGNING_CERT = str(tmp_path / "missing-cert.pem")
    certificate, _data = issue(done_class, coordinator, people)
    assert certificate.signed is False
