from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from training.org.services import roster_import_create


class Command(BaseCommand):
    help = "Import a roster XLSX: all rows or none; every bad row is listed."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--as",
            dest="username",
            help="Import with this user's scope (default: the system, no limit).",
        )
        parser.add_argument("--language", default="zh-hans")

    def handle(self, *args, file: Path, username=None, language="zh-hans", **options):
        if not file.exists():
            raise CommandError(f"No such file: {file}")
        actor = None
        if username:
            actor = get_user_model().objects.filter(username=username).first()
            if actor is None:
                raise CommandError(f"No such user: {username}")
        with translation.override(language), file.open("rb") as handle:
            try:
                record = roster_import_create(
                    actor=actor,
                    uploaded_file=File(handle, name=file.name),
                    language=language,
                )
            except PermissionDenied as exc:
                raise CommandError(
                    f"{username} may not import rosters (needs a coordinator or "
                    "admin role)."
                ) from exc
        record.refresh_from_db()
        if not record.is_finished:
            self.stdout.write(
                f"{record.total_rows} rows queued as background import #{record.pk}; "
                "run `manage.py db_worker` to process it."
            )
            return
        if record.errors:
            for error in record.errors:
                self.stderr.write(
                    f"第 {error['row']} 行 {error['column']}: {error['message']}"
                )
            raise CommandError(
                f"{record.get_status_display()}: {len(record.errors)} errors, "
                "nothing was written."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"{record.total_rows} rows: {record.created_count} added, "
                f"{record.updated_count} updated."
            )
        )
