"""Revenue by product and by provider over the report's months: payments in the months, less
the refunds and chargebacks that happened in them; buyers; how many buyers of a course started
it (first use) and finished it (every lesson completed). Grouped queries only."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from billing.models import PaidOrder, Payment, PaymentReversal
from dashboard.figures.common import Amounts, Period, add, month_start
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


def _paying_orders(period: Period):
    """Orders with a payment above zero in the shown months, from their first and last such
    payment (``PaidOrder``, kept by triggers): an order whose last payment falls between the
    first shown month and now paid in the months; one whose last payment is after now (a report
    for an earlier moment, or a provider's clock ahead of ours) is looked up in its payments."""
    start = month_start(period.months[0], period.tz)
    later = PaidOrder.objects.filter(last_paid_at__gt=period.now, first_paid_at__lte=period.now)
    later = later.filter(
        Exists(
            Payment.objects.filter(
                order_id=OuterRef("order_id"),
                amount__gt=0,
                paid_at__gte=start,
                paid_at__lte=period.now,
            )
        )
    )
    return PaidOrder.objects.filter(
        Q(last_paid_at__gte=start, last_paid_at__lte=period.now)
        | Q(order_id__in=later.values("order_id")),
        period.live(test_field="is_test", currency_field="currency"),
    )


def sales_by_product_and_provider(period: Period) -> tuple[dict[int, Sales], dict[str, Sales]]:
    """Sales by product and by provider, in four grouped queries that never count distinct
    over every payment of the months: the payments' sums grouped by product, provider and
    currency together (every payment has one of each, so they add up exactly here); orders and
    buyers from the paying orders (``_paying_orders``), once by product and once by provider,
    buyers counted by grouping per member first (each order is one row, so orders add up);
    refunds and chargebacks grouped like the sums."""
    by_product: dict[int, Sales] = defaultdict(Sales)
    by_provider: dict[str, Sales] = defaultdict(Sales)
    sums = _paid(period).values("product_id", "provider", "currency").annotate(gross=Sum("amount"))
    for row in sums.order_by():
        for entry in (by_product[row["product_id"]], by_provider[row["provider"]]):
            add(entry.gross, row["currency"], row["gross"])
    for key, entries in (("product_id", by_product), ("provider", by_provider)):
        for value, orders, buyers in _orders_and_buyers(period, key):
            entries[value].orders = orders
            entries[value].buyers = buyers
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


def _orders_and_buyers(period: Period, key: str) -> list[tuple]:
    """(``key`` value, paying orders, distinct buyers) per product or provider: one query that
    groups the paying orders per member inside and counts members outside (a hash aggregate
    instead of sorting every order for ``COUNT(DISTINCT)``)."""
    per_member = (
        _paying_orders(period)
        .values(key, "member_id")
        .annotate(orders=Count("order_id"))
        .order_by()
    )
    sql, params = per_member.query.sql_with_params()
    column = connection.ops.quote_name(key)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column}, SUM(orders), COUNT(*) "  # noqa: S608 - our own compiled SQL
            f"FROM ({sql}) AS per_member GROUP BY {column}",
            params,
        )
        return [(value, int(orders), buyers) for value, orders, buyers in cursor.fetchall()]


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
