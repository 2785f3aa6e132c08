"""Bulk certificate issue: 1,000 passed members of a completed class, issued by one
``CertificateBatch`` (``certificate_batch_run``, the background task's body).

Target: median ≤ 60 ms per certificate. Three runs, each on a class of its own:

* ``plain`` — signing off, every name in GB2312 (one embedded font);
* ``signed`` — the same people, PAdES signing on (a self-signed pair in a temp dir);
* ``rare`` — signing off, 5 % of the names with characters outside GB2312
  (喆 堃 𠮷 䶮), which fall back to the full Noto fonts.

Each ``certificate_issue`` call the batch makes is timed (median, p95, max, queries),
next to the whole batch's wall time; this process's RSS is sampled every 100
certificates (flat = no leak per certificate), and the WeasyPrint
``FontConfiguration`` must be the same object before, during and after the run.
People, the class and its members are bulk-inserted: the benchmark is about
issuing, not about completing a class.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import random
import resource
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path

PEOPLE = int(os.environ.get("BENCH_CERTIFICATES_PEOPLE", "1000"))
RARE_SHARE = 0.05
SAMPLE_EVERY = 100
TARGET_MEDIAN_MS = 60

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "明华建国丽娟伟芳敏静强磊军洋勇艳杰涛超平刚桂英"
RARE = ["喆", "堃", "𠮷", "䶮"]


def rss_kb() -> int:
    """Current resident set size (VmRSS), not the peak."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def make_people(units, *, prefix: str, rare_share: float, seed: int) -> list[int]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from training.org.models import Person

    user_model = get_user_model()
    rng = random.Random(seed)
    unusable = make_password(None)
    rare_rows = set(rng.sample(range(PEOPLE), round(PEOPLE * rare_share)))
    names = []
    for i in range(PEOPLE):
        given = "".join(rng.sample(GIVEN, rng.choice((1, 2))))
        if i in rare_rows:
            given = given[:-1] + rng.choice(RARE)
        names.append(rng.choice(SURNAMES) + given)
    users = user_model.objects.bulk_create(
        [
            user_model(username=f"{prefix}{i:05d}", full_name=name, password=unusable)
            for i, name in enumerate(names)
        ],
        batch_size=500,
    )
    people = Person.objects.bulk_create(
        [
            Person(
                user=user,
                unit=units[i % len(units)],
                employee_no=f"{prefix}{i:05d}",
                category=Person.Category.PROSECUTOR,
            )
            for i, user in enumerate(users)
        ],
        batch_size=500,
    )
    return [p.pk for p in people]


def make_completed_class(organiser, person_ids: list[int], name: str):
    from training.classes.models import ClassMember, TrainingClass
    from training.classes.services import class_create

    training_class = class_create(
        actor=None,
        organiser_unit=organiser,
        name=name,
        kind=TrainingClass.Kind.CENTRALISED,
        place="国家检察官学院",
        starts_on=dt.date(2026, 5, 11),
        ends_on=dt.date(2026, 5, 15),
        capacity=len(person_ids),
        credited_hours=Decimal("40"),
        credited_days=Decimal("5"),
    )
    ClassMember.objects.bulk_create(
        [
            ClassMember(
                training_class=training_class,
                person_id=pid,
                status=ClassMember.Status.CONFIRMED,
                result=ClassMember.Result.PASSED,
                attendance_percent=Decimal("100"),
            )
            for pid in person_ids
        ],
        batch_size=500,
    )
    TrainingClass.objects.filter(pk=training_class.pk).update(
        status=TrainingClass.Status.COMPLETED
    )
    training_class.refresh_from_db()
    return training_class


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def run_batch(training_class, *, label: str) -> dict:
    """One certificate batch for the class, every ``certificate_issue`` timed."""
    from django.db import connection

    from cms import pdf
    from training.certificates.models import Certificate
    from training.certificates.services import batches as certificates
    from training.certificates.services import (
        certificate_batch_create,
        certificate_batch_run,
    )

    batch = certificate_batch_create(training_class=training_class, enqueue=False)
    timings: list[float] = []
    rare_timings: list[float] = []
    queries: list[int] = []
    rss: list[dict] = []
    fonts_seen: set[int] = set()
    font_config = pdf.font_configuration()
    issue = certificates.certificate_issue

    def counting(execute, sql, params, many, context):
        counting.n += 1
        return execute(sql, params, many, context)

    def timed_issue(**kwargs):
        counting.n = 0
        started = time.perf_counter()
        with connection.execute_wrapper(counting):
            result = issue(**kwargs)
        timings.append((time.perf_counter() - started) * 1000)
        if any(char in kwargs["person"].full_name for char in RARE):
            rare_timings.append(timings[-1])
        queries.append(counting.n)
        if len(timings) % SAMPLE_EVERY == 0:
            rss.append({"certificates": len(timings), "rss_kb": rss_kb()})
            fonts_seen.add(id(pdf.font_configuration()))
        return result

    rss.append({"certificates": 0, "rss_kb": rss_kb()})
    certificates.certificate_issue = timed_issue
    try:
        started = time.perf_counter()
        batch = certificate_batch_run(batch_id=batch.pk)
        batch_s = time.perf_counter() - started
    finally:
        certificates.certificate_issue = issue
    fonts_seen.add(id(pdf.font_configuration()))
    issued = Certificate.objects.filter(batch=batch)
    signed = issued.filter(signed=True).count()
    sizes = [
        Path(path).stat().st_size
        for path in (c.pdf.path for c in issued.only("pdf")[:50])
    ]
    assert batch.status == "done", batch.errors[:3]
    assert batch.issued == PEOPLE, (batch.issued, batch.errors[:3])
    result = {
        "certificates": len(timings),
        "issued": batch.issued,
        "errors": len(batch.errors),
        "signed": signed,
        "batch_s": round(batch_s, 2),
        "per_certificate_batch_ms": round(1000 * batch_s / max(len(timings), 1), 2),
        "median_ms": round(statistics.median(timings), 2),
        "p95_ms": round(percentile(timings, 0.95), 2),
        "max_ms": round(max(timings), 2),
        "first_ms": round(timings[0], 2),
        "rare_names": len(rare_timings),
        "rare_names_median_ms": (
            round(statistics.median(rare_timings), 2) if rare_timings else None
        ),
        "median_queries": statistics.median(queries),
        "max_queries": max(queries),
        "pdf_kb_mean": round(statistics.mean(sizes) / 1024, 1),
        "rss_first_kb": rss[0]["rss_kb"],
        "rss_last_kb": rss[-1]["rss_kb"],
        "rss_samples": rss,
        "one_font_configuration": fonts_seen == {id(font_config)},
    }
    print(
        f"{label}: {result['median_ms']} ms median, {result['p95_ms']} ms p95, "
        f"batch {result['batch_s']} s, RSS {result['rss_first_kb']} → "
        f"{result['rss_last_kb']} kB, signed {signed}"
    )
    return result


def run(*, record, median) -> None:
    from django.test import override_settings

    from cms import fonts
    from cms.signing import generate_self_signed
    from training.org.services import org_unit_create

    root = org_unit_create(code="CERT-B", name="某省人民检察院", level="provincial")
    units = [
        org_unit_create(
            code=f"CERT-B{n:02d}",
            name=f"某省某市第{n + 1}区人民检察院",
            level="basic",
            parent=root,
        )
        for n in range(10)
    ]
    plain_people = make_people(units, prefix="CB", rare_share=0, seed=7)
    rare_people = make_people(units, prefix="CR", rare_share=RARE_SHARE, seed=8)

    load_before = [round(v, 2) for v in os.getloadavg()]
    runs: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as media, tempfile.TemporaryDirectory() as keys:
        key, cert = Path(keys) / "key.pem", Path(keys) / "cert.pem"
        generate_self_signed(key_path=key, cert_path=cert, common_name="某省人民检察院")
        plans = [
            ("plain", plain_people, {"PDF_SIGNING_KEY": "", "PDF_SIGNING_CERT": ""}),
            (
                "signed",
                plain_people,
                {"PDF_SIGNING_KEY": str(key), "PDF_SIGNING_CERT": str(cert)},
            ),
            ("rare", rare_people, {"PDF_SIGNING_KEY": "", "PDF_SIGNING_CERT": ""}),
        ]
        with override_settings(MEDIA_ROOT=media):
            for label, people, signing in plans:
                training_class = make_completed_class(
                    root, people, name=f"基准测试班（{label}）"
                )
                with override_settings(**signing):
                    runs[label] = run_batch(training_class, label=label)

    plain, signed, rare = runs["plain"], runs["signed"], runs["rare"]
    record(
        "certificates",
        {
            "people": PEOPLE,
            "rare_share": RARE_SHARE,
            "certificate_font_installed": fonts.installed(),
            "target_median_ms": TARGET_MEDIAN_MS,
            "plain_median_ms": plain["median_ms"],
            "plain_p95_ms": plain["p95_ms"],
            "plain_batch_s": plain["batch_s"],
            "signed_median_ms": signed["median_ms"],
            "signed_p95_ms": signed["p95_ms"],
            "signed_batch_s": signed["batch_s"],
            "rare_median_ms": rare["median_ms"],
            "rare_p95_ms": rare["p95_ms"],
            "rare_batch_s": rare["batch_s"],
            "rare_names_median_ms": rare["rare_names_median_ms"],
            "plain_median_queries": plain["median_queries"],
            "load_average_before": load_before,
            "load_average_after": [round(v, 2) for v in os.getloadavg()],
            "meets_targets": all(
                r["median_ms"] <= TARGET_MEDIAN_MS for r in runs.values()
            )
            and all(r["one_font_configuration"] for r in runs.values()),
            "runs": runs,
        },
    )
