"""Drill: the worker is SIGKILLed while a large roster import is writing.

    .venv/bin/python ops/drills/kill_worker_roster.py [--db helper_c_roster]

1. fresh database; a 10,000-row roster (benchmarks/bench_roster_import.py's
   generator) uploaded through ``roster_import_create``: more rows than
   ``ROSTER_IMPORT_SYNC_MAX_ROWS``, so it is queued as a background task;
2. ``manage.py db_worker`` checks the rows; the moment the import reaches its
   write phase (status ``writing``) the worker gets SIGKILL;
3. asserts nothing of the file was applied (the write is one transaction);
4. the import is queued again (``roster_import_task.enqueue``, what an operator
   does for an import stuck in ``writing``) and a new worker runs it: every row is
   applied once; running it a third time changes nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from drill_common import (
    drill_environment,
    drop,
    wait_for,
    worker_kill,
    worker_start,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--db", default="helper_c_roster")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    started = time.monotonic()
    env = drill_environment(args.db)
    try:
        return drill(env, started)
    finally:
        if not args.keep:
            drop(args.db)


def drill(env, started) -> int:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import transaction

    from benchmarks.bench_roster_import import ROWS, build_workbook
    from training.org.models import Person, RosterImport
    from training.org.services import org_unit_create, roster_import_create
    from training.org.services.roster.run import roster_import_task

    def log(text: str) -> None:
        print(f"[{time.monotonic() - started:6.1f}s] {text}", flush=True)

    root = org_unit_create(code="RD", name="演练省人民检察院", level="provincial")
    codes = [
        org_unit_create(
            code=f"RD{n:02d}", name=f"演练第{n}区人民检察院", level="basic", parent=root
        ).code
        for n in range(10)
    ]
    data = build_workbook(codes, prefix="RD", seed=3)
    before = Person.objects.count()
    with transaction.atomic():
        record = roster_import_create(
            actor=None,
            uploaded_file=SimpleUploadedFile("名册.xlsx", data),
            language="zh-hans",
        )
    log(f"import {record.pk} queued: {record.total_rows} rows")

    def status() -> str:
        return RosterImport.objects.values_list("status", flat=True).get(pk=record.pk)

    worker = worker_start(env)
    wait_for(
        lambda: status() in ("writing", "succeeded", "failed", "rejected"),
        timeout=900,
        every=0.01,
        what="the write phase",
    )
    worker_kill(worker)
    at_kill = status()
    added = Person.objects.count() - before
    log(f"worker SIGKILLed in status {at_kill!r}; people added: {added}")
    checks = {
        "killed during the write": at_kill == "writing",
        "nothing applied": added == 0,
    }

    roster_import_task.enqueue(import_id=record.pk)
    worker = worker_start(env, batch=True)
    worker.wait(timeout=900)
    record.refresh_from_db()
    added = Person.objects.count() - before
    log(
        f"re-run: status {record.status}, created {record.created_count}, "
        f"people added {added}"
    )
    checks["re-run applies every row once"] = (
        record.status == "succeeded" and added == ROWS
    )
    checks["employee numbers unique"] = (
        Person.objects.values("employee_no").distinct().count()
        == Person.objects.count()
    )
    roster_import_task.enqueue(import_id=record.pk)
    worker = worker_start(env, batch=True)
    worker.wait(timeout=300)
    checks["a third run changes nothing"] = Person.objects.count() - before == ROWS
    checks["uploaded file discarded"] = not RosterImport.objects.get(pk=record.pk).file
    for name, ok in checks.items():
        log(f"{'PASS' if ok else 'FAIL'} {name}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
