"""``manage.py extend EMAIL PRODUCT_SLUG (--days N | --until DATE) --reason TEXT``."""

from members.management.commands._support import SupportCommand, parse_date
from members.support import end_of_day, extend_access, member_by_email, product_by_slug


class Command(SupportCommand):
    help = "Lengthen a member's access by N days, or to a new last day (an ended one reopens)."
    action = "extend"

    def add_arguments(self, parser) -> None:
        parser.add_argument("email")
        parser.add_argument("product_slug")
        parser.add_argument("--days", type=int, help="days to add (above 0)")
        parser.add_argument("--until", help="new last day of access (YYYY-MM-DD, member's zone)")
        super().add_arguments(parser)

    def run(self, *, now, email, product_slug, days, until, reason, **_):
        member = member_by_email(email)
        product = product_by_slug(product_slug)
        change = extend_access(
            member=member,
            product=product,
            days=days,
            until=end_of_day(parse_date(until), member=member) if until else None,
            actor=None,
            reason=reason,
            now=now,
        )
        return self.grant_result(member, [change], now=now)
