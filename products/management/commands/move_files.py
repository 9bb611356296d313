"""``manage.py move_files --to s3|local [--dry-run]``: copy the private files and the public
uploads to the bucket (after setting ``AWS_STORAGE_BUCKET_NAME``), or back to
``PRIVATE_MEDIA_ROOT`` and ``MEDIA_ROOT``."""

from __future__ import annotations

import sys

from django.core.files.storage import FileSystemStorage, Storage, default_storage, storages
from django.core.management.base import BaseCommand, CommandError

from products.file_moves import Outcome, move_files, stored_file_names
from products.storage import (
    PRIVATE_ALIAS,
    PrivateStorage,
    is_remote,
    private_storage,
    storage_errors,
)


class Command(BaseCommand):
    help = (
        "Copy private files (downloads, lesson and post files, invoice PDFs) and public uploads "
        "(covers, lesson images, logos) between local disk and the S3 bucket, verifying each "
        "by size and SHA-256. Safe to run again: verified copies are skipped. The source is "
        "left as it is."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--to", required=True, choices=["s3", "local"], dest="to")
        parser.add_argument(
            "--dry-run", action="store_true", help="list what would be copied; copy nothing"
        )

    def handle(self, *, to: str, dry_run: bool, **options) -> None:
        if not is_remote(storages[PRIVATE_ALIAS]):
            raise CommandError("no bucket configured: set AWS_STORAGE_BUCKET_NAME (and its keys)")
        jobs = self._jobs(to)
        names = [name for _source, _target, name in jobs]
        counts = dict.fromkeys(Outcome, 0)
        try:
            for number, move in enumerate(move_files(jobs=jobs, dry_run=dry_run), start=1):
                counts[move.outcome] += 1
                if dry_run or move.failed:
                    self.stdout.write(f"{move.outcome}: {move.name}")
                self._progress(number, len(names), move.name)
        except storage_errors() as error:
            raise CommandError(f"the bucket does not answer: {error}") from error
        finally:
            if names and self._interactive():
                self.stderr.write("")
        summary = ", ".join(f"{count} {outcome}" for outcome, count in counts.items() if count)
        self.stdout.write(f"{len(names)} files to {to}: {summary or 'nothing to do'}")
        failed = counts[Outcome.MISSING] + counts[Outcome.MISMATCH]
        if failed:
            raise CommandError(f"{failed} files were not copied; see the lines above")

    @staticmethod
    def _jobs(to: str) -> list[tuple[Storage, Storage, str]]:
        """(source, target, name) for every private file, then every public upload."""
        jobs = []
        areas = [(PrivateStorage(), storages[PRIVATE_ALIAS], private_storage())]
        if is_remote(default_storage):
            areas.append((FileSystemStorage(), storages["default"], default_storage))
        for local, bucket, field_storage in areas:
            source, target = (local, bucket) if to == "s3" else (bucket, local)
            jobs.extend((source, target, name) for name in stored_file_names(field_storage))
        return jobs

    def _interactive(self) -> bool:
        return self.stderr._out.isatty() if hasattr(self.stderr._out, "isatty") else False

    def _progress(self, number: int, total: int, name: str) -> None:
        """One progress line on stderr, rewritten in place on a terminal."""
        line = f"[{number}/{total}] {number * 100 // total:3d}% {name}"
        if self._interactive():
            self.stderr.write(f"\r\033[K{line}", ending="")
            sys.stderr.flush()
        else:
            self.stderr.write(line)
