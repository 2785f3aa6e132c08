"""The certificate check: every certificate's PDF exists and hashes to the stored
SHA-256; a stored PDF no certificate refers to is a warning."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator

from training.certificates.models import Certificate
from training.consistency.report import (
    ConsistencyReport,
    Progress,
)

HASH_BLOCK = 1 << 16


def _sha256(storage, name: str) -> str:
    digest = hashlib.sha256()
    with storage.open(name, "rb") as handle:
        for block in iter(lambda: handle.read(HASH_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def _stored_files(storage, folder: str) -> Iterator[str]:
    try:
        dirs, files = storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return
    for name in files:
        yield f"{folder}/{name}"
    for sub in dirs:
        yield from _stored_files(storage, f"{folder}/{sub}")


def check_certificates(
    report: ConsistencyReport, *, chunk_size: int, hashes: bool, progress: Progress
) -> None:
    storage = Certificate._meta.get_field("pdf").storage
    referenced: set[str] = set()
    fingerprint = hashlib.sha256()
    rows = (
        Certificate.objects.order_by("pk")
        .values_list("pk", "code", "pdf", "sha256")
        .iterator(chunk_size=chunk_size)
    )
    for pk, code, name, sha256 in rows:
        report.checked["certificates"] += 1
        fingerprint.update(f"{code}:{sha256}\n".encode())
        referenced.add(name)
        if not name or not storage.exists(name):
            report.mismatch("certificates", "file_missing", pk, f"{code}: {name}")
            continue
        if hashes:
            found = _sha256(storage, name)
            if found != sha256:
                report.mismatch(
                    "certificates",
                    "hash_differs",
                    pk,
                    f"{code}: stored {sha256[:12]}…, file {found[:12]}…",
                )
        if progress and report.checked["certificates"] % chunk_size == 0:
            progress("certificates", report.checked["certificates"])
    report.totals["certificates"] = str(report.checked["certificates"])
    report.totals["certificates_fingerprint"] = fingerprint.hexdigest()
    upload_to = Certificate._meta.get_field("pdf").upload_to
    folder = upload_to.split("/%", 1)[0].split(os.sep, 1)[0]
    for name in _stored_files(storage, folder):
        if name not in referenced:
            report.warn(
                "certificates", "orphan_file", name, "no certificate refers to it"
            )
