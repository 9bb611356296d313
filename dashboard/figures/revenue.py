"""Money by calendar month: payments (gross, with their invoices' VAT), refunds and chargebacks
by the month they happened, paying members and new customers. Five grouped queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import TruncMonth

from billing.models import Payment, PaymentReversal
from dashboard.figures.common import Amounts, Period, add, as_month
from invoices.models import Document, DocumentKind


@dataclass
class MonthMoney:
    gross: Amounts = field(default_factory=dict)
    refunds: Amounts = field(default_factory=dict)
    chargebacks: Amounts = field(default_factory=dict)
    vat: Amounts = field(default_factory=dict)  # VAT of the payments minus VAT given back
    paying_members: Amounts = field(default_factory=dict)  # per currency: members who paid
    new_customers: int = 0

    @property
    def net(self) -> Amounts:
        currencies = set(self.gross) | set(self.refunds) | set(self.chargebacks) | set(self.vat)
        return {
            currency: self.gross.get(currency, 0)
            - self.refunds.get(currency, 0)
            - self.chargebacks.get(currency, 0)
            - self.vat.get(currency, 0)
            for currency in currencies
        }


def _payments(period: Period):
    return Payment.objects.filter(
        period.bounds("paid_at"),
        period.live(test_field="order__is_test", currency_field="currency"),
    )


def money_by_month(period: Period) -> dict[date, MonthMoney]:
    months: dict[date, MonthMoney] = defaultdict(MonthMoney)
    month = TruncMonth("paid_at", tzinfo=period.tz)
    rows = (
        _payments(period)
        .annotate(month=month)
        .values("month", "currency")
        .annotate(
            gross=Sum("amount"),
            members=Count("order__member_id", distinct=True, filter=Q(amount__gt=0)),
        )
    )
    for row in rows:
        entry = months[as_month(row["month"])]
        add(entry.gross, row["currency"], row["gross"])
        add(entry.paying_members, row["currency"], row["members"])
    invoices = (
        Document.objects.filter(
            Q(kind=DocumentKind.INVOICE),
            period.bounds("payment__paid_at"),
            period.live(test_field="payment__order__is_test", currency_field="payment__currency"),
        )
        .annotate(month=TruncMonth("payment__paid_at", tzinfo=period.tz))
        .values("month", "payment__currency")
        .annotate(vat=Sum("vat_total"))
    )
    for row in invoices:
        add(months[as_month(row["month"])].vat, row["payment__currency"], row["vat"])
    reversals = (
        PaymentReversal.objects.filter(
            period.bounds("occurred_at"),
            period.live(test_field="is_test", currency_field="currency"),
        )
        .annotate(month=TruncMonth("occurred_at", tzinfo=period.tz))
        .values("month", "currency", "kind")
        .annotate(amount=Sum("amount"), vat=Sum("vat"))
    )
    for row in reversals:
        entry = months[as_month(row["month"])]
        kind_amounts = (
            entry.refunds if row["kind"] == PaymentReversal.Kind.REFUND else entry.chargebacks
        )
        add(kind_amounts, row["currency"], row["amount"])
        add(entry.vat, row["currency"], -(row["vat"] or 0))
    for row in _first_payments(period):
        months[as_month(row["month"])].new_customers = row["customers"]
    return months


def _first_payments(period: Period):
    """Members whose first payment above zero (test mode aside, any currency) is in the month."""
    earlier = Payment.objects.filter(
        order__member_id=OuterRef("order__member_id"), amount__gt=0, paid_at__lt=OuterRef("paid_at")
    )
    if not period.include_test:
        earlier = earlier.filter(order__is_test=False)
    return (
        _payments(period)
        .filter(amount__gt=0)
        .filter(~Exists(earlier))
        .annotate(month=TruncMonth("paid_at", tzinfo=period.tz))
        .values("month")
        .annotate(customers=Count("order__member_id", distinct=True))
    )
