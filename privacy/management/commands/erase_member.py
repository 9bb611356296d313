"""``manage.py erase_member EMAIL --reason TEXT``: anonymise a member (GDPR erasure)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from members.support import SupportError, member_by_email
from privacy.erasure import erase_member


class Command(BaseCommand):
    help = (
        "Erase a member's personal data: anonymised everywhere, access ended, logged out; "
        "invoices and payments kept for the legal retention period."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("email")
        parser.add_argument(
            "--reason", default="", help="why (required; written to the audit trail)"
        )

    def handle(self, *args, email: str, reason: str, **options) -> None:
        try:
            member = member_by_email(email)
            erasure = erase_member(
                member_pk=member.pk, actor=None, reason=reason, now=timezone.now()
            )
        except SupportError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"{email.strip()}: {erasure.summary} (now {erasure.member.email})")
