"""PAdES signatures on generated PDFs with pyHanko.

Signing is on when ``PDF_SIGNING_KEY`` and ``PDF_SIGNING_CERT`` name PEM files that
exist (``PDF_SIGNING_PASSPHRASE`` for an encrypted key). A reader then shows the PDF
as signed by that certificate and unaltered since. ``generate_self_signed`` makes a
demo key pair, so the feature can be seen without a real CA: readers show such a
signature as intact but from an untrusted signer.
"""

from __future__ import annotations

import datetime as dt
import io
import threading
from pathlib import Path

from django.conf import settings

_lock = threading.Lock()
_cache: dict[tuple, object] = {}


def _paths() -> tuple[Path, Path] | None:
    key = getattr(settings, "PDF_SIGNING_KEY", None)
    cert = getattr(settings, "PDF_SIGNING_CERT", None)
    if not key or not cert:
        return None
    key, cert = Path(key), Path(cert)
    if not key.exists() or not cert.exists():
        return None
    return key, cert


def signer():
    """The configured pyHanko signer, loaded once per key file version."""
    paths = _paths()
    if paths is None:
        return None
    key, cert = paths
    cache_key = (str(key), key.stat().st_mtime, str(cert), cert.stat().st_mtime)
    with _lock:
        found = _cache.get(cache_key)
        if found is None:
            from pyhanko.sign import signers

            passphrase = getattr(settings, "PDF_SIGNING_PASSPHRASE", "") or None
            found = signers.SimpleSigner.load(
                str(key),
                str(cert),
                key_passphrase=passphrase.encode() if passphrase else None,
            )
            if found is None:
                raise ValueError(f"Cannot load the PDF signing key {key} / {cert}")
            _keep_key_loaded(found)
            _cache.clear()
            _cache[cache_key] = found
    return found


def _keep_key_loaded(simple_signer) -> None:
    """pyHanko's SimpleSigner parses (and, for RSA, checks) its private key on every
    signature: ~70 ms twice per PDF. Parse it once and sign with the parsed key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
    from pyhanko.sign.general import get_pyca_cryptography_hash

    parsed = serialization.load_der_private_key(
        simple_signer.signing_key.dump(), password=None
    )
    generic = simple_signer.sign_raw

    def sign_raw(data: bytes, digest_algorithm: str) -> bytes:
        mechanism = simple_signer.get_signature_mechanism_for_digest(digest_algorithm)
        if mechanism["algorithm"].native in ("rsassa_pkcs1v15", "sha256_rsa"):
            return parsed.sign(
                data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm)
            )
        return generic(data, digest_algorithm)

    simple_signer.sign_raw = sign_raw


def signing_enabled() -> bool:
    return _paths() is not None


def sign_pdf(data: bytes, *, reason: str = "", location: str = "") -> bytes:
    """Return ``data`` with a PAdES signature appended (an incremental update)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    active = signer()
    if active is None:
        return data
    meta = signers.PdfSignatureMetadata(
        field_name="Signature",
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason or None,
        location=location or None,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    # A fixed reservation for the signature container skips pyHanko's trial
    # signature (it signs twice otherwise); room for a certificate chain of a few
    # certificates.
    out = signers.sign_pdf(
        writer,
        meta,
        signer=active,
        bytes_reserved=getattr(settings, "PDF_SIGNING_RESERVED_BYTES", 16384),
    )
    return out.getvalue()


def generate_self_signed(
    *, key_path: Path, cert_path: Path, common_name: str, days: int = 3650
) -> None:
    """Write a demo RSA key and a self-signed certificate that allows signing."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, common_name),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            True,
        )
        .sign(key, hashes.SHA256())
    )
    key_path.parent.mkdir(parents=True, exist_ok=True)
    cert_path.parent.mkdir(parents=True, exist_ok=True)
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
