"""``manage.py upgrade EMAIL FROM_SLUG TO_SLUG --reason TEXT``: offer a dearer product for the
difference; the member gets the payment link by e-mail (``members.upgrade.offer_upgrade``)."""

from members.management.commands._support import SupportCommand
from members.support import member_by_email, product_by_slug
from members.upgrade import offer_display, offer_upgrade, offer_url


class Command(SupportCommand):
    help = "Offer a member a dearer product for the difference and mail them the payment link."
    action = "upgrade"

    def add_arguments(self, parser) -> None:
        parser.add_argument("email")
        parser.add_argument("from_slug")
        parser.add_argument("to_slug")
        super().add_arguments(parser)

    def run(self, *, now, email, from_slug, to_slug, reason, **_):
        member = member_by_email(email)
        offer, created = offer_upgrade(
            member=member,
            from_product=product_by_slug(from_slug),
            to_product=product_by_slug(to_slug),
            actor=None,
            reason=reason,
            now=now,
        )
        verb = "offered" if created else "already offered"
        return {
            "action": self.action,
            "member": member.email,
            "changed": created,
            "summary": [
                f"{from_slug} → {to_slug} {verb} for {offer_display(offer)}: {offer_url(offer)}"
            ],
            "offer": {
                "from": from_slug,
                "to": to_slug,
                "amount_minor": offer.amount,
                "currency": offer.currency,
                "state": offer.state,
                "url": offer_url(offer),
            },
        }
