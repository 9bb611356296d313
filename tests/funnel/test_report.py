"""The funnel selector: each step counted in the date range (site days), set-based."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from funnel.models import PageVisitDay
from funnel.report import build_funnel, conversion
from tests.factories import PriceFactory, UserFactory
from tests.funnel.helpers import paid_order

pytestmark = pytest.mark.django_db

MAY = (date(2026, 5, 1), date(2026, 5, 31))


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 5, day, hour, tzinfo=UTC)


@pytest.fixture
def products():
    checklist = PriceFactory(product__slug="checklist", product__name="Checklist", amount=0)
    workbook = PriceFactory(product__slug="workbook", product__name="Workbook", amount=1900)
    course = PriceFactory(product__slug="course", product__name="Course", amount=9900)
    return checklist.product, workbook.product, course.product


def test_an_empty_range_has_zero_counts_and_no_conversion(products):
    report = build_funnel(start=MAY[0], end=MAY[1])

    assert [(step.key, step.count, step.conversion) for step in report.steps] == [
        ("visitors", 0, None),
        ("signups", 0, None),
        ("confirmations", 0, None),
        ("first_purchases", 0, None),
    ]
    assert report.pages == []
    assert report.revenue == []
    assert report.win_back.conversion is None
    assert (report.upsells.shown, report.upsells.taken, report.upsells.conversion) == (0, 0, None)
    assert (report.bumps.orders_offering, report.bumps.taken) == (0, 0)
    assert report.coupons == []


def test_visitors_are_summed_per_page_in_the_range_only(products):
    checklist, workbook, _course = products
    PageVisitDay.objects.create(product=checklist, day=date(2026, 5, 1), count=30)
    PageVisitDay.objects.create(product=checklist, day=date(2026, 5, 31), count=10)
    PageVisitDay.objects.create(product=workbook, day=date(2026, 5, 2), count=25)
    PageVisitDay.objects.create(product=workbook, day=date(2026, 4, 30), count=1000)
    PageVisitDay.objects.create(product=workbook, day=date(2026, 6, 1), count=1000)

    report = build_funnel(start=MAY[0], end=MAY[1])

    assert [(page.slug, page.visitors) for page in report.pages] == [
        ("checklist", 40),
        ("workbook", 25),
    ]
    assert report.step("visitors").count == 65
    only = build_funnel(start=MAY[0], end=MAY[1], product=workbook)
    assert only.step("visitors").count == 25


def test_a_first_purchase_is_the_members_first_paid_order_ever(products):
    _checklist, workbook, course = products
    ada, bob, cy, dee = (
        UserFactory(email=f"{name}@x.test") for name in ("ada", "bob", "cy", "dee")
    )
    paid_order(member=ada, product=workbook, at=at(3))  # first purchase in May
    paid_order(member=ada, product=course, at=at(9))  # a second purchase: not counted again
    paid_order(member=bob, product=course, at=at(1) - timedelta(days=3))  # first was in April
    paid_order(member=bob, product=workbook, at=at(5))
    paid_order(member=cy, product=course, at=at(7), is_test=True)  # test mode: never counted
    paid_order(member=dee, product=course, at=at(20), amount=9900, refunded=9900)  # refunded

    report = build_funnel(start=MAY[0], end=MAY[1])

    assert report.step("first_purchases").count == 2  # ada and dee
    assert (
        build_funnel(start=MAY[0], end=MAY[1], product=workbook).step("first_purchases").count == 1
    )  # ada's first order was the workbook; bob's was not in May
    assert (
        build_funnel(start=MAY[0], end=MAY[1], product=course).step("first_purchases").count == 1
    )  # dee


def test_the_range_follows_the_sites_days(products, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    _checklist, workbook, _course = products
    ada = UserFactory(email="ada@x.test")
    paid_order(member=ada, product=workbook, at=datetime(2026, 4, 30, 22, 30, tzinfo=UTC))

    # 22:30 UTC on 30 April is 00:30 on 1 May in Berlin.
    assert build_funnel(start=MAY[0], end=MAY[1]).step("first_purchases").count == 1
    april = build_funnel(start=date(2026, 4, 1), end=date(2026, 4, 30))
    assert april.step("first_purchases").count == 0


def test_revenue_per_customer_is_per_currency_net_of_refunds_without_test_orders(products):
    _checklist, workbook, course = products
    ada, bob, cy = (UserFactory(email=f"{name}@x.test") for name in ("ada", "bob", "cy"))
    paid_order(member=ada, product=workbook, at=at(2), amount=1900)
    paid_order(member=ada, product=course, at=at(3), amount=9900)
    paid_order(member=bob, product=course, at=at(4), amount=9900, refunded=4000)
    paid_order(member=cy, product=course, at=at(5), amount=12000, currency="USD")
    paid_order(member=cy, product=course, at=at(6), amount=50000, is_test=True)

    report = build_funnel(start=MAY[0], end=MAY[1])

    revenue = {row.currency: row for row in report.revenue}
    assert set(revenue) == {"EUR", "USD"}
    eur = revenue["EUR"]
    assert (eur.revenue_minor, eur.customers, eur.per_customer_minor) == (
        1900 + 9900 + 9900 - 4000,
        2,
        8850,
    )
    usd = revenue["USD"]
    assert (usd.revenue_minor, usd.customers, usd.per_customer_minor) == (12000, 1, 12000)


def test_conversion_is_a_percentage_of_the_step_before_and_never_divides_by_zero():
    assert conversion(1, 3) == Decimal("33.3")
    assert conversion(2, 3) == Decimal("66.7")
    assert conversion(5, 0) is None
    assert conversion(0, 4) == Decimal("0.0")


def test_conversion_between_steps(products):
    _checklist, workbook, _course = products
    PageVisitDay.objects.create(product=workbook, day=date(2026, 5, 2), count=8)
    paid_order(member=UserFactory(email="ada@x.test"), product=workbook, at=at(2))

    report = build_funnel(start=MAY[0], end=MAY[1], product=workbook)

    assert report.step("visitors").count == 8
    assert report.step("first_purchases").count == 1
    # the step before the purchase (confirmations) is 0 for a paid product: no percentage
    assert report.step("first_purchases").conversion is None
    assert report.visitors_to_first_purchases == Decimal("12.5")


def test_the_report_runs_a_fixed_number_of_queries(products):
    checklist, workbook, course = products

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            build_funnel(start=MAY[0], end=MAY[1])
        return len(captured)

    few = queries()
    for number in range(20):
        member = UserFactory(email=f"m{number}@x.test")
        paid_order(member=member, product=workbook, at=at(1 + number))
        paid_order(member=member, product=course, at=at(2 + number))
        PageVisitDay.objects.create(product=checklist, day=date(2026, 5, 1 + number), count=3)

    assert queries() == few
