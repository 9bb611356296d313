"""Revenue by product and by provider over the report's months: payments in the months, less
the refunds and chargebacks that happened in them; buyers; how many buyers of a course started
it (first use) and finished it (every lesson completed). Grouped queries only."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from billing.models import Payment, PaymentReversal
from dashboard.figures.common import Amounts, Period, add
from members.models import AccessGrant, LessonProgress
from products.models import Lesson, Product

Refund = PaymentReversal.Kind.REFUND


@dataclass
class Sales:
    gross: Amounts = field(default_factory=dict)
    refunds: Amounts = field(default_factory=dict)
    chargebacks: Amounts = field(default_factory=dict)
    orders: int = 0
    buyers: int = 0
    refunded_orders: int = 0


def _paid(period: Period):
    return Payment.objects.filter(
        period.shown("paid_at"),
        period.live(test_field="is_test", currency_field="currency"),
        amount__gt=0,
    )


def _reversed(period: Period):
    return PaymentReversal.objects.filter(
        period.shown("occurred_at"), period.live(test_field="is_test", currency_field="currency")
    )


def sales_by_product_and_provider(
    period: Period, currencies: list[str]
) -> tuple[dict[int, Sales], dict[str, Sales]]:
    """Sales by product and by provider: three queries on the payments' (and the refunds')
    own copies of their order's product, provider and buyer (no join with orders or payments).
    Payments in the months are grouped once by product and once by provider, with a sum per
    currency (``currencies``: every currency paid in the months, from ``money_by_month``) and
    orders and buyers counted distinct, so neither is ever added up across groups. Refunds and
    chargebacks are grouped by product, provider and currency together and added up here (every
    order has one product, one provider and one currency, so the sums and the order counts add
    up exactly)."""
    by_product: dict[int, Sales] = defaultdict(Sales)
    by_provider: dict[str, Sales] = defaultdict(Sales)
    gross = {
        f"gross_{index}": Sum("amount", filter=Q(currency=currency))
        for index, currency in enumerate(currencies)
    }
    for key, entries in (("product_id", by_product), ("provider", by_provider)):
        rows = (
            _paid(period)
            .values(key)
            .annotate(
                orders=Count("order_id", distinct=True),
                buyers=Count("member_id", distinct=True),
                **gross,
            )
        )
        for row in rows:
            entry = entries[row[key]]
            entry.orders = row["orders"]
            entry.buyers = row["buyers"]
            for index, currency in enumerate(currencies):
                add(entry.gross, currency, row[f"gross_{index}"])
    money_back = _reversed(period).values("product_id", "provider", "currency", "kind")
    money_back = money_back.annotate(amount=Sum("amount"), orders=Count("order_id", distinct=True))
    for row in money_back:
        entries = (by_product[row["product_id"]], by_provider[row["provider"]])
        for entry in entries:
            if row["kind"] == Refund:
                add(entry.refunds, row["currency"], row["amount"])
                entry.refunded_orders += row["orders"]
            else:
                add(entry.chargebacks, row["currency"], row["amount"])
    return dict(by_product), dict(by_provider)


def products_named(product_ids) -> dict[int, dict]:
    rows = Product.objects.filter(pk__in=list(product_ids)).values("pk", "name", "kind")
    return {row["pk"]: row for row in rows}


def course_progress(period: Period, course_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Per course: (buyers who started it, buyers who completed every lesson). One query."""
    if not course_ids:
        return {}
    bought = _paid(period).filter(
        member_id=OuterRef("member_id"), product_id=OuterRef("product_id")
    )
    lessons = (
        Lesson.objects.filter(module__product_id=OuterRef("product_id"))
        .values("module__product_id")
        .annotate(count=Count("id"))
        .values("count")
    )
    completed = (
        LessonProgress.objects.filter(
            member_id=OuterRef("member_id"),
            lesson__module__product_id=OuterRef("product_id"),
            completed_at__isnull=False,
        )
        .values("member_id")
        .annotate(count=Count("lesson_id", distinct=True))
        .values("count")
    )
    rows = (
        AccessGrant.objects.filter(product_id__in=course_ids)
        .filter(Exists(bought))
        .annotate(
            lessons=Coalesce(Subquery(lessons, output_field=IntegerField()), Value(0)),
            completed=Coalesce(Subquery(completed, output_field=IntegerField()), Value(0)),
        )
        .values("product_id")
        .annotate(
            started=Count("member_id", distinct=True, filter=Q(first_used_at__isnull=False)),
            finished=Count(
                "member_id", distinct=True, filter=Q(lessons__gt=0, completed__gte=F("lessons"))
            ),
        )
    )
    return {row["product_id"]: (row["started"], row["finished"]) for row in rows}
