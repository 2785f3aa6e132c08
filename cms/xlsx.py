"""Excel files in and out, the same way everywhere: a bold, frozen Chinese header row
on every sheet written (in openpyxl's streaming write-only mode), a timestamped
download name, and one answer for every way an upload can fail to be a workbook."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable

from django.http import FileResponse
from django.utils import timezone
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils.exceptions import InvalidFileException

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class WorkbookUnreadable(Exception):
    """The upload is not an XLSX workbook openpyxl can read."""


def open_workbook(file) -> Workbook:
    """Open an uploaded workbook read-only (values, not formulas)."""
    try:
        return load_workbook(file, read_only=True, data_only=True)
    except (
        InvalidFileException,
        zipfile.BadZipFile,
        KeyError,
        OSError,
        ValueError,
        EOFError,
    ) as exc:
        raise WorkbookUnreadable(str(exc)) from exc


def sheet_with_header(wb: Workbook, title: str, headers: Iterable[str]):
    """A new sheet of a write-only workbook, its header row bold and frozen."""
    ws = wb.create_sheet(title)
    ws.freeze_panes = "A2"
    row = []
    for header in headers:
        cell = WriteOnlyCell(ws, value=header)
        cell.font = Font(bold=True)
        row.append(cell)
    ws.append(row)
    return ws


def xlsx_response(wb: Workbook, stem: str) -> FileResponse:
    """The workbook as a download named ``<stem>-<YYYYmmdd-HHMM>.xlsx``."""
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return FileResponse(
        buffer,
        as_attachment=True,
        filename=f"{stem}-{stamp}.xlsx",
        content_type=XLSX_CONTENT_TYPE,
    )
