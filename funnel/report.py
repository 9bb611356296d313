"""The funnel report: one read-only selector that the admin page and `manage.py funnel_report`
both print, so the two can never disagree.

Days are calendar days in the site's time zone (settings.TIME_ZONE), ``start`` to ``end``
inclusive. Every figure is one aggregate query, whatever the data size. Test-mode orders are
left out unless ``include_test`` is set (the offline test checkout makes test-mode orders).
Money is a mapping currency -> minor units; currencies are never added together.

The steps, each counted in the date range:

- ``visitors``: views of product sales pages (see funnel/visits.py for what is counted);
- ``signups`` and ``confirmations``: lead magnet sign-ups and their confirmations, from the
  leads app's daily counts (kept after unconfirmed sign-ups are deleted);
- ``first_purchases``: members whose first paid order ever (amount above 0, not test mode,
  refunded later or not) was placed in the range.

Then the win-back e-mails (steps of sequences started by a subscription's end) sent in the
range, the paid orders placed within 30 days after one of them by its recipient (also after the
range's end), and the revenue per paying customer. Conversion is a step's count over the step
before, in percent (None when the step before is 0), and first purchases over visitors overall.
With ``product``, each figure is limited to that product (its page, its sign-ups, first orders
of it, its revenue; win-back e-mails of sequences that watch or target it, and orders of it).

Then the checkout offers of issue 17 (funnel/offers_report.py): one-click upsells shown and
taken, order bumps taken of the orders whose checkout offered one, and coupon redemptions with
their discount per currency (over-limit ones apart).
"""

from __future__ import annotations

import zoneinfo
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q, Sum

from billing.models import Order, Payment
from funnel.models import PageVisitDay
from funnel.offers_report import (
    Bumps,
    CouponCurrency,
    Upsells,
    bumps,
    coupon_redemptions,
    upsells,
)
from leads.selectors import signup_counts
from products.models import Product
from sequences.models import Sequence, SequenceEmail

WIN_BACK_WINDOW = timedelta(days=30)
STEP_KEYS = ("visitors", "signups", "confirmations", "first_purchases")


@dataclass(frozen=True)
class PageVisits:
    product_id: int
    slug: str
    name: str
    visitors: int


@dataclass(frozen=True)
class Step:
    key: str  # one of STEP_KEYS
    count: int
    conversion: Decimal | None = None  # percent of the step before; None for the first step


@dataclass(frozen=True)
class WinBack:
    emails_sent: int = 0  # win-back sequence e-mails sent in the range
    members_emailed: int = 0  # the members they went to
    purchases_within_30_days: int = 0  # paid orders placed within 30 days after one of them
    members_won_back: int = 0  # the members who placed those orders
    conversion: Decimal | None = None  # members_won_back over members_emailed, in percent


@dataclass(frozen=True)
class CurrencyRevenue:
    currency: str
    revenue_minor: int  # payments received minus their refunds
    customers: int  # members who paid in this currency
    per_customer_minor: int  # revenue_minor / customers, rounded half up


@dataclass(frozen=True)
class FunnelReport:
    start: date
    end: date
    time_zone: str
    product: str | None  # the product's slug, or None for every product
    include_test: bool  # test-mode orders (and sequence e-mails) counted too
    pages: list[PageVisits]  # most visited first
    steps: list[Step]
    win_back: WinBack
    visitors_to_first_purchases: Decimal | None  # first purchases over visitors, in percent
    revenue: list[CurrencyRevenue] = field(default_factory=list)  # by currency code
    upsells: Upsells = field(default_factory=Upsells)
    bumps: Bumps = field(default_factory=Bumps)
    coupons: list[CouponCurrency] = field(default_factory=list)  # by currency code

    def step(self, key: str) -> Step:
        return next(step for step in self.steps if step.key == key)

    def as_json(self) -> dict:
        """Plain JSON: dates ISO 8601, percentages as decimal strings, money in minor units."""
        return _jsonable(asdict(self))


def _jsonable(value):
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def conversion(count: int, previous: int) -> Decimal | None:
    """``count`` as a percentage of ``previous`` with one decimal; None when ``previous`` is 0."""
    if not previous:
        return None
    return (Decimal(count) * 100 / previous).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def day_bounds(*, start: date, end: date) -> tuple[datetime, datetime]:
    """[start's midnight, the midnight after end) in the site's time zone."""
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    return (
        datetime.combine(start, time.min, tzinfo=zone),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
    )


def paid_orders(*, include_test: bool = False):
    """Orders that were paid (a later refund or chargeback does not undo the purchase)."""
    orders = Order.objects.filter(amount__gt=0).exclude(status=Order.Status.PENDING)
    return orders if include_test else orders.filter(is_test=False)


def page_visits(*, start: date, end: date, product: Product | None) -> list[PageVisits]:
    rows = PageVisitDay.objects.filter(day__gte=start, day__lte=end)
    if product is not None:
        rows = rows.filter(product=product)
    rows = (
        rows.values("product_id", "product__slug", "product__name")
        .annotate(visitors=Sum("count"))
        .order_by("-visitors", "product__name")
    )
    return [
        PageVisits(row["product_id"], row["product__slug"], row["product__name"], row["visitors"])
        for row in rows
    ]


def first_purchases(
    *, since: datetime, until: datetime, product: Product | None, include_test: bool
) -> int:
    """Members whose first paid order (earliest, ties by pk) was placed in [since, until)."""
    earlier = paid_orders(include_test=include_test).filter(
        Q(created_at__lt=OuterRef("created_at"))
        | Q(created_at=OuterRef("created_at"), pk__lt=OuterRef("pk")),
        member_id=OuterRef("member_id"),
    )
    firsts = paid_orders(include_test=include_test).filter(
        created_at__gte=since, created_at__lt=until
    )
    if product is not None:
        firsts = firsts.filter(product=product)
    return firsts.exclude(Exists(earlier)).values("member_id").distinct().count()


def revenue_per_customer(
    *, since: datetime, until: datetime, product: Product | None, include_test: bool
) -> list[CurrencyRevenue]:
    payments = Payment.objects.filter(paid_at__gte=since, paid_at__lt=until, amount__gt=0)
    if not include_test:
        payments = payments.filter(order__is_test=False)
    if product is not None:
        payments = payments.filter(order__product=product)
    rows = (
        payments.values("currency")
        .annotate(
            revenue=Sum(F("amount") - F("amount_refunded")),
            customers=Count("order__member_id", distinct=True),
        )
        .order_by("currency")
    )
    return [
        CurrencyRevenue(
            currency=row["currency"],
            revenue_minor=row["revenue"],
            customers=row["customers"],
            per_customer_minor=int(
                (Decimal(row["revenue"]) / row["customers"]).quantize(
                    Decimal(1), rounding=ROUND_HALF_UP
                )
            ),
        )
        for row in rows
    ]


def lead_counts(*, start: date, end: date, product: Product | None) -> tuple[int, int]:
    """Sign-ups and confirmations in the range, from the leads app's daily counts (kept after
    unconfirmed sign-ups are deleted); one query."""
    days = signup_counts(
        since=start, until=end, product_ids=None if product is None else [product.pk]
    )
    return sum(day.signups for day in days), sum(day.confirmations for day in days)


def win_back(
    *, since: datetime, until: datetime, product: Product | None, include_test: bool
) -> WinBack:
    """Win-back e-mails sent in the range, and the paid orders placed within 30 days after one
    of them (also after the range's end) by the member it went to; two queries."""
    emails = SequenceEmail.objects.filter(
        status=SequenceEmail.Status.SENT,
        sent_at__gte=since,
        sent_at__lt=until,
        enrolment__sequence__trigger=Sequence.Trigger.SUBSCRIPTION_ENDED,
    )
    orders = paid_orders(include_test=include_test).filter(
        created_at__gt=since, created_at__lt=until + WIN_BACK_WINDOW
    )
    if not include_test:
        emails = emails.filter(enrolment__is_test=False)
    if product is not None:
        emails = emails.filter(
            Q(enrolment__sequence__product=product) | Q(enrolment__sequence__target_product=product)
        )
        orders = orders.filter(product=product)
    sent = emails.aggregate(
        emails=Count("pk"), members=Count("enrolment__member_id", distinct=True)
    )
    after_one = emails.filter(
        enrolment__member_id=OuterRef("member_id"),
        sent_at__lt=OuterRef("created_at"),
        sent_at__gte=OuterRef("created_at") - WIN_BACK_WINDOW,
    )
    bought = orders.filter(Exists(after_one)).aggregate(
        orders=Count("pk"), members=Count("member_id", distinct=True)
    )
    return WinBack(
        emails_sent=sent["emails"],
        members_emailed=sent["members"],
        purchases_within_30_days=bought["orders"],
        members_won_back=bought["members"],
        conversion=conversion(bought["members"], sent["members"]),
    )


def build_funnel(
    *, start: date, end: date, product: Product | None = None, include_test: bool = False
) -> FunnelReport:
    """Every figure of the funnel for ``start`` to ``end`` (site days, inclusive)."""
    since, until = day_bounds(start=start, end=end)
    pages = page_visits(start=start, end=end, product=product)
    signups, confirmations = lead_counts(start=start, end=end, product=product)
    counts = [
        sum(page.visitors for page in pages),
        signups,
        confirmations,
        first_purchases(since=since, until=until, product=product, include_test=include_test),
    ]
    steps = [
        Step(key, count, None if index == 0 else conversion(count, counts[index - 1]))
        for index, (key, count) in enumerate(zip(STEP_KEYS, counts, strict=True))
    ]
    return FunnelReport(
        start=start,
        end=end,
        time_zone=settings.TIME_ZONE,
        product=product.slug if product is not None else None,
        pages=pages,
        steps=steps,
        win_back=win_back(since=since, until=until, product=product, include_test=include_test),
        visitors_to_first_purchases=conversion(counts[-1], counts[0]),
        revenue=revenue_per_customer(
            since=since, until=until, product=product, include_test=include_test
        ),
        include_test=include_test,
        upsells=upsells(
            since=since,
            until=until,
            product=product,
            include_test=include_test,
            conversion=conversion,
        ),
        bumps=bumps(
            orders=paid_orders(include_test=include_test).filter(
                created_at__gte=since, created_at__lt=until
            ),
            product=product,
            conversion=conversion,
        ),
        coupons=coupon_redemptions(
            since=since, until=until, product=product, include_test=include_test
        ),
    )
