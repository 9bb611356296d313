"""The checkout offers in the funnel report: upsells shown and taken, order bumps taken, coupon
redemptions with their discount per currency; rows made by the offers services."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.models import Customer, Order
from billing.providers.base import BumpLine
from funnel.report import build_funnel
from offers.bumps import record_bump_purchase
from offers.models import Coupon, OrderBump, UpsellOffer
from offers.services import redeem_coupon
from offers.upsell import offer_for_success_page
from tests.factories import PriceFactory, UserFactory
from tests.funnel.helpers import paid_order
from tests.funnel.test_command_and_page import URL, cells

pytestmark = pytest.mark.django_db

MAY = (date(2026, 5, 1), date(2026, 5, 31))


def at(day: int, month: int = 5) -> datetime:
    return datetime(2026, month, day, 12, tzinfo=UTC)


@pytest.fixture
def shop():
    course = PriceFactory(product__slug="course", product__name="Course", amount=4900)
    workbook = PriceFactory(product__slug="workbook", product__name="Workbook", amount=1900)
    other = PriceFactory(product__slug="other", product__name="Other", amount=2900)
    return course.product, workbook, other.product


def buyer(name: str):
    member = UserFactory(email=f"{name}@x.test")
    Customer.objects.create(member=member, provider="stripe", provider_customer_id=f"cus_{name}")
    return member


def shown_upsell(*, member, product, day: int, month: int = 5, is_test: bool = False):
    """A Stripe purchase of ``product`` whose success page showed the upsell (a real attempt)."""
    order = paid_order(member=member, product=product, at=at(day, month), is_test=is_test)
    order.customer = member.customers.get()
    order.save(update_fields=["customer"])
    attempt = offer_for_success_page(order=order, session={}, member=member, now=at(day, month))
    assert attempt is not None
    return attempt


def taken(attempt, *, workbook, paid: bool = True) -> None:
    """The click charged the card; ``paid``: the charge's webhook recorded the order."""
    intent = f"pi_upsell_{attempt.pk}"
    attempt.status = attempt.Status.CHARGING
    attempt.payment_intent_ref = intent
    attempt.clicked_at = attempt.offered_at
    attempt.save()
    if paid:
        Order.objects.create(
            member=attempt.member,
            product=workbook.product,
            provider="stripe",
            provider_ref=intent,
            status=Order.Status.PAID,
            amount=attempt.amount,
            currency=attempt.currency,
        )


def test_upsells_shown_in_the_range_and_those_whose_charge_was_paid(shop):
    course, workbook, _other = shop
    UpsellOffer.objects.create(product=course, price=workbook, amount=900)
    ada, bob, cy, dee, eve = (buyer(name) for name in ("ada", "bob", "cy", "dee", "eve"))
    taken(shown_upsell(member=ada, product=course, day=3), workbook=workbook)
    taken(shown_upsell(member=bob, product=course, day=4), workbook=workbook, paid=False)
    shown_upsell(member=cy, product=course, day=5)  # shown, not taken
    taken(shown_upsell(member=dee, product=course, day=30, month=4), workbook=workbook)  # April
    taken(shown_upsell(member=eve, product=course, day=6, is_test=True), workbook=workbook)

    report = build_funnel(start=MAY[0], end=MAY[1])

    assert (report.upsells.shown, report.upsells.taken) == (3, 1)  # a declined click is not taken
    assert report.upsells.conversion == Decimal("33.3")
    with_test = build_funnel(start=MAY[0], end=MAY[1], include_test=True)
    assert (with_test.upsells.shown, with_test.upsells.taken) == (4, 2)
    assert build_funnel(start=MAY[0], end=MAY[1], product=workbook.product).upsells.shown == 3
    assert build_funnel(start=MAY[0], end=MAY[1], product=_other).upsells.shown == 0


def bought_with_bump(*, member, bump: OrderBump, day: int, is_test: bool = False) -> Order:
    order = paid_order(
        member=member, product=bump.product, at=at(day), amount=4900 + 900, is_test=is_test
    )
    record_bump_purchase(
        order=order,
        payment=order.payments.get(),
        line=BumpLine(bump_id=str(bump.pk), amount=900),
        discount=None,
        now=at(day),
    )
    return order


def test_order_bumps_taken_of_the_orders_whose_checkout_offered_one(shop):
    course, workbook, other = shop
    bump = OrderBump.objects.create(
        product=course, bump_product=workbook.product, amount=900, currency="EUR"
    )
    ada, bob, cy, dee = (
        UserFactory(email=f"{name}@x.test") for name in ("ada", "bob", "cy", "dee")
    )
    bought_with_bump(member=ada, bump=bump, day=3)
    paid_order(member=bob, product=course, at=at(4))  # offered, not taken
    paid_order(member=cy, product=other, at=at(5))  # no bump offered: not counted
    bought_with_bump(member=dee, bump=bump, day=6, is_test=True)

    report = build_funnel(start=MAY[0], end=MAY[1])

    # the bump's own order (a workbook order of 9.00) is not a main order
    assert (report.bumps.orders_offering, report.bumps.taken) == (2, 1)
    assert report.bumps.conversion == Decimal("50.0")
    assert build_funnel(start=MAY[0], end=MAY[1], include_test=True).bumps.taken == 2
    assert build_funnel(start=MAY[0], end=MAY[1], product=other).bumps.orders_offering == 0
    bump.is_active = False
    bump.save()  # a bump switched off since: the orders that bought it still count
    assert build_funnel(start=MAY[0], end=MAY[1]).bumps.taken == 1


def test_coupon_redemptions_counted_and_over_the_limit_apart_with_the_discount(shop):
    course, _workbook, other = shop
    coupon = Coupon.objects.create(code="SPRING", percent_off=Decimal("20"), max_redemptions=2)
    members = [UserFactory(email=f"m{number}@x.test") for number in range(6)]
    for number, (product, currency, day) in enumerate(
        [
            (course, "EUR", 30),  # 30 April: counted, outside the range
            (course, "EUR", 3),  # counted: the limit of 2 is reached
            (course, "EUR", 4),  # over the limit
            (course, "EUR", 5),  # over the limit
            (other, "USD", 6),  # over the limit too
        ]
    ):
        when = at(day) if day < 30 else at(day, month=4)
        order = paid_order(member=members[number], product=product, at=when, currency=currency)
        redeem_coupon(coupon=coupon, order=order, amount=980, currency=currency, now=when)
    test_order = paid_order(member=members[5], product=course, at=at(7), is_test=True)
    redeem_coupon(coupon=coupon, order=test_order, amount=980, currency="EUR", now=at(7))

    report = build_funnel(start=MAY[0], end=MAY[1])

    assert [(row.currency, row.redemptions, row.over_limit, row.discount_minor) for row in
            report.coupons] == [("EUR", 1, 2, 2940), ("USD", 0, 1, 980)]  # fmt: skip
    only_other = build_funnel(start=MAY[0], end=MAY[1], product=other)
    assert [(row.currency, row.over_limit) for row in only_other.coupons] == [("USD", 1)]
    with_test = build_funnel(start=MAY[0], end=MAY[1], include_test=True)
    assert with_test.coupons[0].discount_minor == 3920


def test_the_page_and_the_command_show_the_offers(creator_client, shop):
    course, _workbook, _other = shop
    coupon = Coupon.objects.create(code="SPRING", percent_off=Decimal("20"), max_redemptions=1)
    for number in range(2):
        order = paid_order(member=UserFactory(), product=course, at=at(3 + number))
        redeem_coupon(coupon=coupon, order=order, amount=980, currency="EUR", now=at(3 + number))
    bump = OrderBump.objects.create(product=course, bump_product=_workbook.product, amount=900)
    bought_with_bump(member=UserFactory(), bump=bump, day=8)

    html = creator_client.get(URL, {"start": "2026-05-01", "end": "2026-05-31"}).content.decode()
    out = StringIO()
    call_command("funnel_report", "--from", "2026-05-01", "--to", "2026-05-31", stdout=out)
    data = json.loads(_command("--json"))

    offers = cells(html, "funnel-offers")
    assert offers["Orders offering a bump"] == ["3", ""]
    assert offers["Order bumps taken"] == ["1", "33.3%"]
    assert cells(html, "funnel-coupons")["EUR"] == ["1", "1", "€19.60"]
    assert data["coupons"] == [
        {"currency": "EUR", "redemptions": 1, "over_limit": 1, "discount_minor": 1960}
    ]
    assert data["bumps"] == {"orders_offering": 3, "taken": 1, "conversion": "33.3"}
    assert data["upsells"] == {"shown": 0, "taken": 0, "conversion": None}
    assert "not_available" not in data
    text = out.getvalue()
    assert re.search(r"Order bumps taken\s+1  33.3% of those orders", text)
    assert "EUR: 1 redemption(s), 1 over the limit (not counted), €19.60 off in total" in text


def _command(*args: str) -> str:
    out = StringIO()
    call_command("funnel_report", "--from", "2026-05-01", "--to", "2026-05-31", *args, stdout=out)
    return out.getvalue()


def test_the_offers_add_a_fixed_number_of_queries(shop):
    course, workbook, _other = shop
    UpsellOffer.objects.create(product=course, price=workbook, amount=900)
    bump = OrderBump.objects.create(product=workbook.product, bump_product=course, amount=900)
    coupon = Coupon.objects.create(code="SPRING", percent_off=Decimal("20"))

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            build_funnel(start=MAY[0], end=MAY[1])
        return len(captured)

    # 1 page visits + 1 sign-ups + 1 first purchases + 2 win-back + 1 revenue (issue 16)
    # + 1 upsells + 1 order bumps + 1 coupons (issue 17's offers) = 9, whatever the data
    assert queries() == 9
    for number in range(10):
        member = buyer(f"m{number}")
        taken(shown_upsell(member=member, product=course, day=1 + number), workbook=workbook)
        order = bought_with_bump(member=member, bump=bump, day=2 + number)
        redeem_coupon(coupon=coupon, order=order, amount=100, currency="EUR", now=at(2 + number))
    report = build_funnel(start=MAY[0], end=MAY[1])
    assert (report.upsells.taken, report.bumps.taken, report.coupons[0].redemptions) == (
        10,
        10,
        10,
    )
    assert queries() == 9
