"""``manage.py swap EMAIL FROM_SLUG TO_SLUG --reason TEXT``: a product for one of equal price."""

from members.management.commands._support import SupportCommand
from members.support import member_by_email, product_by_slug, swap_product


class Command(SupportCommand):
    help = "End a member's access to one product and give another of the same price instead."
    action = "swap"

    def add_arguments(self, parser) -> None:
        parser.add_argument("email")
        parser.add_argument("from_slug")
        parser.add_argument("to_slug")
        super().add_arguments(parser)

    def run(self, *, now, email, from_slug, to_slug, reason, **_):
        member = member_by_email(email)
        changes = swap_product(
            member=member,
            from_product=product_by_slug(from_slug),
            to_product=product_by_slug(to_slug),
            actor=None,
            reason=reason,
            now=now,
        )
        return self.grant_result(member, changes, now=now)
