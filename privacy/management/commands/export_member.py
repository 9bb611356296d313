"""``manage.py export_member EMAIL [--output PATH] [--reason TEXT]``: the member's data ZIP."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from members.support import SupportError, member_by_email
from privacy.export import export_filename, export_member


class Command(BaseCommand):
    help = "Write a member's data (GDPR export) to a ZIP file and print its path."

    def add_arguments(self, parser) -> None:
        parser.add_argument("email")
        parser.add_argument(
            "--output", default="", help="file or directory to write (default: this directory)"
        )
        parser.add_argument(
            "--reason", default="exported from the shell", help="why (kept in the audit trail)"
        )

    def handle(self, *args, email: str, output: str, reason: str, **options) -> None:
        now = timezone.now()
        try:
            member = member_by_email(email)
            content = export_member(member=member, actor=None, reason=reason, now=now)
        except SupportError as error:
            raise CommandError(str(error)) from None
        path = Path(output or ".")
        if path.is_dir():
            path = path / export_filename(member, now)
        try:
            path.write_bytes(content)
        except OSError as error:
            raise CommandError(f"cannot write {path}: {error.strerror}") from None
        self.stdout.write(str(path.resolve()))
