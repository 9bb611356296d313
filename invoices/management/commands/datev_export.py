"""``manage.py datev_export --from YYYY-MM-DD --to YYYY-MM-DD [--output FILE]``: the tax
advisor's DATEV batch (EXTF Buchungsstapel, Windows-1252) of the documents issued in a range."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from invoices.datev import DatevExportError, datev_export


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"Not a date (YYYY-MM-DD): {value!r}") from error


class Command(BaseCommand):
    help = (
        "Write the DATEV booking batch of every invoice and credit note issued from --from to "
        "--to (both included). Without --output the file goes into the current directory under "
        "DATEV's usual name; the path is printed."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="end", required=True, help="last day, YYYY-MM-DD")
        parser.add_argument("--output", help="file to write (default: EXTF_Buchungsstapel_….csv)")

    def handle(self, *args, start: str, end: str, output: str | None, **options) -> None:
        try:
            batch = datev_export(start=_day(start), end=_day(end), now=timezone.now())
        except DatevExportError as error:
            raise CommandError(str(error)) from error
        path = Path(output or batch.filename)
        try:
            path.write_bytes(batch.content)
        except OSError as error:
            raise CommandError(f"Cannot write {path}: {error.strerror}") from error
        self.stdout.write(f"{path} ({batch.count} bookings)")
