"""Roster import of 10,000 rows: target ≤ 30 s on this machine on PostgreSQL.

Measures the whole service path a coordinator's upload takes (read the XLSX, check
every row, write all in one transaction): once inserting 10,000 new people, then
re-importing the same file (10,000 updates). Repeated ``ROUNDS`` times on fresh data;
medians are recorded.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import time

ROWS = 10_000
ROUNDS = 3
UNITS = 40


def build_workbook(
    unit_codes: list[str], *, prefix: str, seed: int, title: str = "干部"
) -> bytes:
    from openpyxl import Workbook

    from training.org.identity import national_id_with_check_digit
    from training.org.services import ROSTER_COLUMNS

    rng = random.Random(seed)
    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
    given = "明华建国丽娟伟芳敏静强磊军洋勇艳杰涛超平刚桂英"
    categories = ["检察官", "检察官助理", "书记员", "司法警察", "检察技术人员"]
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("人员名册")
    ws.append([c.header for c in ROSTER_COLUMNS])
    for i in range(ROWS):
        category = rng.choice(categories)
        grade = (
            rng.choice(["一级检察官", "三级高级检察官", ""])
            if category == "检察官"
            else ""
        )
        # Unique per row: birth date from the thousands, sequence from the rest.
        birth = dt.date(1960, 1, 1) + dt.timedelta(days=(i // 1000) * 37)
        first17 = f"33{seed:02d}06{birth:%Y%m%d}{i % 1000:03d}"
        ws.append(
            [
                f"{prefix}{i:06d}",
                rng.choice(surnames) + "".join(rng.sample(given, 2)),
                rng.choice(unit_codes),
                category,
                "是" if grade else "否",
                grade,
                rng.choice(["", "", "", "乡科级", "县处级"]),
                title,
                national_id_with_check_digit(first17),
                f"{prefix.lower()}{i}@example.cn",
                "2015-07-01",
                "",
                "",
                "是",
            ]
        )
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def run(*, record, median) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from training.org.models import Person, RosterImport
    from training.org.services import org_unit_create, roster_import_create

    root = org_unit_create(code="BENCH", name="基准测试院", level="supreme")
    codes = []
    for n in range(UNITS):
        unit = org_unit_create(
            code=f"BENCH-{n:03d}", name=f"基准{n}院", level="basic", parent=root
        )
        codes.append(unit.code)

    inserts, updates = [], []
    for round_no in range(ROUNDS):
        prefix = f"B{round_no}"
        # The second file changes every row (a new position title), so the update
        # pass really rewrites 10,000 people: the worst case, not a no-op.
        files = (
            ("insert", inserts, build_workbook(codes, prefix=prefix, seed=round_no)),
            (
                "update",
                updates,
                build_workbook(codes, prefix=prefix, seed=round_no, title="科员"),
            ),
        )
        for label, sink, content in files:
            upload = SimpleUploadedFile(f"roster-{prefix}-{label}.xlsx", content)
            started = time.perf_counter()
            result = roster_import_create(actor=None, uploaded_file=upload)
            elapsed = time.perf_counter() - started
            # Test settings run the background task inline (ImmediateBackend), so
            # the import has finished here; reload to see its outcome.
            result.refresh_from_db()
            assert result.status == RosterImport.Status.SUCCEEDED, result.errors[:5]
            sink.append(elapsed)
            print(f"round {round_no} {label}: {elapsed:.2f} s")
    record(
        "roster_import_10k",
        {
            "rows": ROWS,
            "rounds": ROUNDS,
            "insert_median_s": median(inserts),
            "update_median_s": median(updates),
            "insert_runs_s": [round(v, 3) for v in inserts],
            "update_runs_s": [round(v, 3) for v in updates],
            "target_s": 30,
            "people_after": Person.objects.count(),
        },
    )
