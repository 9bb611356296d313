"""The report's rules one by one (MRR normalisation, churn with nobody live, test mode, refunds
dated when they happened) and its query count, which does not grow with the data."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from billing.models import Order, Payment, PaymentReversal, Subscription, SubscriptionMovement
from billing.services.ledger import monthly_amount
from dashboard.report import build_report
from members.models import AccessGrant, LessonProgress
from tests.factories import (
    CourseFactory,
    LessonFactory,
    ModuleFactory,
    PriceFactory,
    RecurringPriceFactory,
    UserFactory,
)

NOW = datetime(2026, 4, 15, 10, 0, tzinfo=UTC)
_refs = iter(range(1, 10**6))


@pytest.mark.parametrize(
    ("amount", "interval", "count", "monthly"),
    [
        (2900, "month", 1, 2900),
        (24000, "year", 1, 2000),
        (10000, "year", 1, 833),  # 833.33 rounds half up to 833
        (1000, "week", 1, 4333),  # x 52 / 12
        (1000, "week", 2, 2167),  # every two weeks: 2166.67
        (9000, "month", 3, 3000),  # quarterly
        (1200, "day", 1, 36500),  # x 365 / 12
        (4900, "", 1, 0),  # one-off: no MRR
    ],
)
def test_mrr_is_the_price_normalised_to_a_month(amount, interval, count, monthly):
    assert monthly_amount(amount=amount, interval=interval, interval_count=count) == monthly


def _paid(*, at, amount=4900, currency="EUR", is_test=False, product=None, member=None):
    price = PriceFactory(product=product or CourseFactory(), amount=amount, currency=currency)
    n = next(_refs)
    order = Order.objects.create(
        member=member or UserFactory(), product=price.product, price=price, provider="stripe",
        provider_ref=f"o{n}", status="paid", amount=amount, currency=currency, is_test=is_test,
    )  # fmt: skip
    return Payment.objects.create(
        order=order, provider="stripe", provider_ref=f"p{n}", amount=amount, currency=currency,
        paid_at=at,
    )  # fmt: skip


def _subscription(payment, *, started, ended=None):
    order = payment.order
    subscription = Subscription.objects.create(
        member=order.member, order=order, provider="stripe", provider_ref=f"s{order.pk}",
        status="canceled" if ended else "active", price=order.price, mrr=order.amount,
        paying_mrr=0 if ended else order.amount, current_period_end=NOW + timedelta(days=10),
    )  # fmt: skip
    SubscriptionMovement.objects.create(
        subscription=subscription, kind="new", mrr_delta=order.amount, currency=order.currency,
        occurred_at=started,
    )  # fmt: skip
    if ended:
        SubscriptionMovement.objects.create(
            subscription=subscription, kind="churn", mrr_delta=-order.amount,
            currency=order.currency, occurred_at=ended,
        )  # fmt: skip


@pytest.mark.django_db
def test_churn_rate_and_ltv_are_empty_when_nobody_was_live_at_the_start():
    payment = _paid(at=datetime(2026, 4, 2, tzinfo=UTC), product=RecurringPriceFactory().product)
    _subscription(payment, started=payment.paid_at, ended=datetime(2026, 4, 10, tzinfo=UTC))

    april = build_report(now=NOW, months=1).months[0]

    assert (april.live_at_start, april.churned_subscriptions) == (0, 1)
    assert april.churn_rate is None
    assert april.ltv == {}
    assert april.arpu == {"EUR": 4900}


@pytest.mark.django_db
def test_churn_rate_is_churned_over_live_at_the_start_of_the_month():
    for n in range(4):
        payment = _paid(at=datetime(2026, 2, 1 + n, tzinfo=UTC))
        ended = datetime(2026, 3, 20, tzinfo=UTC) if n == 0 else None
        _subscription(payment, started=payment.paid_at, ended=ended)

    march = build_report(now=NOW, months=2).months[0]

    assert (march.live_at_start, march.churned_subscriptions) == (4, 1)
    assert march.churn_rate == Decimal("0.2500")
    assert march.mrr_end == {"EUR": 3 * 4900}
    assert march.mrr_churn == {"EUR": 4900}


@pytest.mark.django_db
def test_test_mode_orders_are_left_out_unless_asked_for():
    _paid(at=datetime(2026, 4, 2, tzinfo=UTC), amount=1000)
    _paid(at=datetime(2026, 4, 3, tzinfo=UTC), amount=5000, is_test=True)

    assert build_report(now=NOW).now.this_month.gross == {"EUR": 1000}
    assert build_report(now=NOW, include_test=True).now.this_month.gross == {"EUR": 6000}


@pytest.mark.django_db
def test_a_refund_counts_in_the_month_it_happened_not_the_month_of_the_purchase():
    payment = _paid(at=datetime(2026, 1, 20, tzinfo=UTC))
    PaymentReversal.objects.create(
        payment=payment, kind="refund", amount=4900, currency="EUR",
        occurred_at=datetime(2026, 3, 2, tzinfo=UTC),
    )  # fmt: skip

    months = {m.month.isoformat(): m.revenue for m in build_report(now=NOW, months=4).months}

    assert months["2026-01-01"].gross == {"EUR": 4900}
    assert months["2026-01-01"].refunds == {"EUR": 0}
    assert months["2026-03-01"].refunds == {"EUR": 4900}
    assert months["2026-03-01"].net == {"EUR": -4900}


@pytest.mark.django_db
def test_amounts_in_two_currencies_are_never_added_together():
    _paid(at=datetime(2026, 4, 2, tzinfo=UTC), amount=1000, currency="EUR")
    _paid(at=datetime(2026, 4, 3, tzinfo=UTC), amount=2000, currency="CHF")

    report = build_report(now=NOW)

    assert report.currencies == ["CHF", "EUR"]
    assert report.now.this_month.gross == {"CHF": 2000, "EUR": 1000}
    assert build_report(now=NOW, currency="chf").now.this_month.gross == {"CHF": 2000}


def _history(size: int) -> None:
    course = CourseFactory()
    membership = RecurringPriceFactory().product
    for n in range(size):
        at = datetime(2025, 6, 1, tzinfo=UTC) + timedelta(days=n * 9)
        member = UserFactory()
        _paid(at=at, product=course, member=member, currency=("EUR", "USD")[n % 2])
        payment = _paid(at=at, product=membership, member=member)
        _subscription(payment, started=at, ended=at + timedelta(days=40) if n % 3 == 0 else None)
        PaymentReversal.objects.create(
            payment=payment, kind=("refund", "chargeback")[n % 2], amount=100, currency="EUR",
            occurred_at=at + timedelta(days=3),
        )  # fmt: skip


def _queries() -> int:
    with CaptureQueriesContext(connection) as queries:
        build_report(now=NOW)
    return len(queries)


@pytest.mark.django_db
def test_the_report_runs_the_same_number_of_queries_whatever_the_size_of_the_history():
    _history(2)
    small = _queries()
    _history(30)
    assert _queries() == small == 15  # bench/dashboard.py times them on 300,000 payments


# --- the command ------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--months", "0"], "--months must be between 1 and 60, not 0."),
        (["--months", "61"], "--months must be between 1 and 60, not 61."),
        (["--currency", "EURO"], "three-letter currency code such as EUR, not 'EURO'"),
        (["--currency", "€"], "three-letter currency code"),
    ],
)
def test_bad_input_is_a_clear_error(args, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("revenue_report", *args, stdout=StringIO())


@pytest.mark.django_db
def test_the_tables_print_in_the_creators_language():
    _paid(at=datetime(2026, 4, 2, tzinfo=UTC), amount=123456)
    out = StringIO()
    with time_machine.travel(NOW, tick=False), translation.override("de"):
        call_command("revenue_report", "--months", "2", stdout=out)

    text = out.getvalue()
    assert "Monat für Monat" in text
    assert "Nach Produkt" in text
    assert "1.234,56\u00a0€" in text  # this month's gross, German format
    assert "April 2026" in text


@pytest.mark.django_db
def test_course_buyers_who_started_and_finished():
    course = CourseFactory()
    module = ModuleFactory(product=course)
    lessons = [LessonFactory(module=module) for _ in range(3)]
    buyers = [UserFactory() for _ in range(3)]
    for buyer in buyers:
        _paid(at=datetime(2026, 4, 2, tzinfo=UTC), product=course, member=buyer)
        AccessGrant.objects.create(
            member=buyer, product=course, state="active", source="stripe", starts_at=NOW
        )
    AccessGrant.objects.filter(member__in=buyers[:2]).update(first_used_at=NOW)
    for lesson in lessons:  # the first finishes all three, the second one lesson
        LessonProgress.objects.create(
            member=buyers[0], lesson=lesson, first_viewed_at=NOW, last_viewed_at=NOW,
            completed_at=NOW,
        )  # fmt: skip
    LessonProgress.objects.create(
        member=buyers[1], lesson=lessons[0], first_viewed_at=NOW, last_viewed_at=NOW,
        completed_at=NOW,
    )  # fmt: skip

    (row,) = build_report(now=NOW).products

    assert (row.buyers, row.started, row.finished) == (3, 2, 1)


@pytest.mark.django_db
def test_one_month_counts_what_was_live_at_its_start():
    payment = _paid(at=datetime(2026, 3, 20, tzinfo=UTC))
    _subscription(payment, started=payment.paid_at)

    report = build_report(now=NOW, months=1)

    (april,) = report.months
    assert (april.live_at_start, april.mrr_end, april.new_subscriptions) == (1, {"EUR": 4900}, 0)
    assert report.now.last_month.gross == {"EUR": 4900}


@pytest.mark.django_db
def test_the_breakdowns_cover_the_months_shown():
    course = CourseFactory(name="Course")
    _paid(at=datetime(2026, 3, 20, tzinfo=UTC), product=course, amount=1000)
    _paid(at=datetime(2026, 4, 2, tzinfo=UTC), product=course, amount=2000)

    (one_month,) = build_report(now=NOW, months=1).products
    (two_months,) = build_report(now=NOW, months=2).products

    assert (one_month.revenue, one_month.buyers) == ({"EUR": 2000}, 1)
    assert (two_months.revenue, two_months.buyers) == ({"EUR": 3000}, 2)


@pytest.mark.django_db
def test_a_report_for_an_earlier_moment_counts_orders_by_their_payments_up_to_it():
    """Orders and buyers come from each order's first and last payment; an order paid again
    after the report's moment still counts if it paid in the months, and not otherwise."""
    course = CourseFactory(name="Course")
    renewed_later = _paid(at=datetime(2026, 3, 20, tzinfo=UTC), product=course, amount=1000)
    _paid(at=datetime(2026, 5, 2, tzinfo=UTC), product=course, member=renewed_later.order.member)
    Payment.objects.create(
        order=renewed_later.order, provider="stripe", provider_ref="p-later", amount=1000,
        currency="EUR", paid_at=datetime(2026, 5, 20, tzinfo=UTC),
    )  # fmt: skip
    before_the_months = _paid(at=datetime(2025, 1, 5, tzinfo=UTC), product=course)
    Payment.objects.create(
        order=before_the_months.order, provider="stripe", provider_ref="p-after-now",
        amount=4900, currency="EUR", paid_at=datetime(2026, 6, 1, tzinfo=UTC),
    )  # fmt: skip

    (row,) = build_report(now=NOW, months=2).products

    assert (row.orders, row.buyers, row.revenue) == (1, 1, {"EUR": 1000})
