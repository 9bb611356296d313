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
        period.bounds("paid_at"),
        period.live(test_field="order__is_test", currency_field="currency"),
        amount__gt=0,
    )


def _reversed(period: Period):
    return PaymentReversal.objects.filter(
        period.bounds("occurred_at"), period.live(test_field="is_test", currency_field="currency")
    )


def sales_by(period: Period, key: str) -> dict:
    """Sales grouped by an order field (``product_id`` or ``provider``): four queries."""
    sales: dict = defaultdict(Sales)
    order_key = f"order__{key}"
    for row in _paid(period).values(order_key, "currency").annotate(gross=Sum("amount")):
        add(sales[row[order_key]].gross, row["currency"], row["gross"])
    counts = (
        _paid(period)
        .values(order_key)
        .annotate(
            orders=Count("order_id", distinct=True), buyers=Count("order__member_id", distinct=True)
        )
    )
    for row in counts:
        sales[row[order_key]].orders = row["orders"]
        sales[row[order_key]].buyers = row["buyers"]
    payment_key = f"payment__order__{key}"
    money_back = (
        _reversed(period).values(payment_key, "currency", "kind").annotate(amount=Sum("amount"))
    )
    for row in money_back:
        entry = sales[row[payment_key]]
        add(
            entry.refunds if row["kind"] == Refund else entry.chargebacks,
            row["currency"],
            row["amount"],
        )
    refunded = (
        _reversed(period)
        .filter(kind=Refund)
        .values(payment_key)
        .annotate(orders=Count("payment__order_id", distinct=True))
    )
    for row in refunded:
        sales[row[payment_key]].refunded_orders = row["orders"]
    return dict(sales)


def products_named(product_ids) -> dict[int, dict]:
    rows = Product.objects.filter(pk__in=list(product_ids)).values("pk", "name", "kind")
    return {row["pk"]: row for row in rows}


def course_progress(period: Period, course_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Per course: (buyers who started it, buyers who completed every lesson). One query."""
    if not course_ids:
        return {}
    bought = _paid(period).filter(
        order__member_id=OuterRef("member_id"), order__product_id=OuterRef("product_id")
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
