"""``manage.py grant EMAIL PRODUCT_SLUG [--until DATE] --reason TEXT``: complimentary access."""

from members.management.commands._support import SupportCommand, parse_date
from members.support import end_of_day, grant_complimentary, member_by_email, product_by_slug


class Command(SupportCommand):
    help = "Give a member a product free of charge, for life or until a date (inclusive)."
    action = "grant"

    def add_arguments(self, parser) -> None:
        parser.add_argument("email")
        parser.add_argument("product_slug")
        parser.add_argument("--until", help="last day of access (YYYY-MM-DD, member's zone)")
        super().add_arguments(parser)

    def run(self, *, now, email: str, product_slug: str, until: str | None, reason: str, **_):
        member = member_by_email(email)
        product = product_by_slug(product_slug)
        changes = grant_complimentary(
            member=member,
            product=product,
            until=end_of_day(parse_date(until), member=member) if until else None,
            actor=None,
            reason=reason,
            now=now,
        )
        return self.grant_result(member, changes, now=now)
