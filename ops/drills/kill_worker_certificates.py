"""Drill: the worker is SIGKILLed in the middle of a bulk certificate issue.

    .venv/bin/python ops/drills/kill_worker_certificates.py [--people 200]

1. fresh database and media directory; a completed class with ``--people`` passed
   members; a ``CertificateBatch`` for them, queued as a background task;
2. ``manage.py db_worker`` starts issuing; when about a third is issued the worker
   gets SIGKILL;
3. the batch's heartbeat is aged past ``BATCH_STALE_AFTER`` (instead of waiting two
   minutes), ``manage.py resume_certificate_batches`` queues it again, a new worker
   finishes it;
4. asserts: the batch is done; every member has exactly one certificate; numbers
   are unique; every file exists and matches its SHA-256
   (``consistency_check --check certificates``), and reports orphan files.
Exit 0 when every assertion holds. The database is dropped at the end
(``--keep`` keeps it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from drill_common import (
    drill_environment,
    drop,
    manage,
    wait_for,
    worker_kill,
    worker_start,
)


def make_class(people: int):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from training.classes.models import ClassMember, TrainingClass
    from training.classes.services import class_create
    from training.org.models import Person
    from training.org.services import org_unit_create

    root = org_unit_create(code="DRILL", name="演练省人民检察院", level="provincial")
    user_model = get_user_model()
    unusable = make_password(None)
    users = user_model.objects.bulk_create(
        user_model(
            username=f"drill{i:05d}", full_name=f"演练学员{i}", password=unusable
        )
        for i in range(people)
    )
    persons = Person.objects.bulk_create(
        Person(user=u, unit=root, employee_no=u.username, category="prosecutor")
        for u in users
    )
    training_class = class_create(
        actor=None,
        organiser_unit=root,
        name="断电演练培训班",
        kind=TrainingClass.Kind.CENTRALISED,
        place="国家检察官学院",
        starts_on=dt.date(2026, 5, 11),
        ends_on=dt.date(2026, 5, 15),
        capacity=people,
        credited_hours=Decimal("40"),
        credited_days=Decimal("5"),
    )
    ClassMember.objects.bulk_create(
        ClassMember(
            training_class=training_class,
            person=p,
            status=ClassMember.Status.CONFIRMED,
            result=ClassMember.Result.PASSED,
            attendance_percent=Decimal("100"),
        )
        for p in persons
    )
    TrainingClass.objects.filter(pk=training_class.pk).update(
        status=TrainingClass.Status.COMPLETED, issues_certificate=False
    )
    training_class.refresh_from_db()
    return training_class


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--db", default="helper_c_kill")
    parser.add_argument("--kill-at", type=float, default=0.33)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    started = time.monotonic()
    env = drill_environment(args.db)
    try:
        return drill(env, args, started)
    finally:
        if not args.keep:
            drop(args.db)


def drill(env, args, started) -> int:
    from django.db import transaction
    from django.db.models import Count

    from training.certificates.models import Certificate, CertificateBatch
    from training.certificates.services import (
        BATCH_STALE_AFTER,
        certificate_batch_create,
    )

    def log(text: str) -> None:
        print(f"[{time.monotonic() - started:6.1f}s] {text}", flush=True)

    training_class = make_class(args.people)
    with transaction.atomic():
        batch = certificate_batch_create(training_class=training_class)
    log(f"batch {batch.pk} queued: {batch.total} certificates")

    def issued() -> int:
        return Certificate.objects.filter(batch=batch).count()

    worker = worker_start(env)
    target = max(1, int(args.people * args.kill_at))
    wait_for(lambda: issued() >= target, timeout=600, what="a third issued")
    worker_kill(worker)
    at_kill = issued()
    batch.refresh_from_db()
    log(
        f"worker SIGKILLed with {at_kill}/{batch.total} issued "
        f"(batch status {batch.status}, processed {batch.processed})"
    )
    killed_running = batch.status == CertificateBatch.Status.RUNNING

    # Two minutes without a heartbeat make a batch stale; age it instead of waiting.
    aged = batch.heartbeat_at - BATCH_STALE_AFTER - dt.timedelta(seconds=1)
    CertificateBatch.objects.filter(pk=batch.pk).update(heartbeat_at=aged)
    out = manage(env, "resume_certificate_batches", capture_output=True, text=True)
    log(f"resume_certificate_batches: {out.stdout.strip()}")
    worker = worker_start(env, batch=True)
    worker.wait(timeout=900)
    batch.refresh_from_db()
    log(
        f"new worker finished: status {batch.status}, issued {batch.issued}, "
        f"skipped {batch.skipped}, errors {len(batch.errors)}"
    )

    certificates = Certificate.objects.filter(training_class=training_class)
    per_person = certificates.values("person_id").annotate(n=Count("id"))
    checks = {
        "killed while running": killed_running,
        "batch done": batch.status == CertificateBatch.Status.DONE,
        "one certificate per member": per_person.count() == args.people
        and all(row["n"] == 1 for row in per_person),
        "numbers unique": certificates.values("code").distinct().count()
        == certificates.count(),
        "all issued by this batch": issued() == args.people,
    }
    out = subprocess.run(
        [sys.executable, "manage.py", "consistency_check", "--json"],
        cwd=env_root(),
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(out.stdout)
    checks["files exist and match their SHA-256"] = out.returncode == 0
    orphans = report["warning_counts"].get("certificates", 0)
    log(f"consistency_check exit {out.returncode}: {json.dumps(report['checked'])}")
    log(f"orphan PDF files (written, row never committed): {orphans}")
    for name, ok in checks.items():
        log(f"{'PASS' if ok else 'FAIL'} {name}")
    return 0 if all(checks.values()) else 1


def env_root() -> Path:
    return Path(__file__).resolve().parents[2]


if __name__ == "__main__":
    sys.exit(main())
