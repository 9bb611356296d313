"""``manage.py credit EMAIL AMOUNT CURRENCY --reason TEXT``: store credit (AMOUNT like 20.00)."""

from members.credit import add_store_credit, normalize_currency, to_minor_units
from members.management.commands._support import SupportCommand
from members.support import member_by_email
from products.money import to_decimal


class Command(SupportCommand):
    help = "Put an amount (major units, e.g. 20.00) on a member's store-credit balance."
    action = "credit"

    def add_arguments(self, parser) -> None:
        parser.add_argument("email")
        parser.add_argument("amount")
        parser.add_argument("currency")
        super().add_arguments(parser)

    def run(self, *, now, email, amount, currency, reason, **_):
        member = member_by_email(email)
        currency = normalize_currency(currency)
        change = add_store_credit(
            member=member,
            amount=to_minor_units(amount, currency),
            currency=currency,
            actor=None,
            reason=reason,
            now=now,
        )
        return {
            "action": self.action,
            "member": member.email,
            "changed": change.changed,
            "summary": [f"{change.summary}; balance {change.balance.display}"],
            "balance_minor": change.balance.amount,
            "balance": str(to_decimal(change.balance.amount, change.balance.currency or "EUR")),
            "currency": change.balance.currency,
        }
