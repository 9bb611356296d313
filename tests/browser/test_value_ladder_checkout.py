"""Issue 17's acceptance journey in Debian's chromium (offline test mode): a buyer enters a
coupon AND ticks the order bump on the test checkout, then takes the one-click upsell on the
success page. They end with three products, an invoice with both lines and the discount line
(plus the upsell's own invoice), and the coupon counted once. Screenshots at 1280 and 375 px of
the checkout and the success page; no serious axe-core violation."""

from __future__ import annotations

import re

import pytest

from billing.models import Order, Payment
from invoices.models import Document, DocumentKind
from members.models import AccessGrant
from offers.models import BumpPurchase, OrderBump, Redemption, UpsellAttempt, UpsellOffer
from tests.browser.helpers import save_screenshot
from tests.browser.test_pages import AXE, AXE_SERIOUS
from tests.factories import CourseFactory, PriceFactory, ProductFactory
from tests.invoices.helpers import make_seller
from tests.offers.conftest import make_coupon

pytestmark = pytest.mark.browser


def shoot(page, name: str) -> list[str]:
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        save_screenshot(page, f"ladder-{name}-{width}.png", full_page=True)
    page.add_script_tag(path=str(AXE))
    problems = [f"{name}: axe {found}" for found in page.evaluate(AXE_SERIOUS)]
    page.set_viewport_size({"width": 1280, "height": 900})
    return problems


@pytest.mark.django_db(transaction=True)
def test_coupon_and_bump_at_checkout_then_the_upsell(live_server, browser_page, settings):
    from playwright.sync_api import expect

    settings.DEBUG = True  # offline test mode: a development site without a Stripe key
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = settings.STRIPE_OFFLINE_WEBHOOK_SECRET
    make_seller()
    price = PriceFactory(
        product=CourseFactory(name="Habit course", slug="habit-course", is_published=True),
        stripe_price_id="price_course",
        amount=4900,
        currency="EUR",
    )
    OrderBump.objects.create(
        product=price.product,
        bump_product=ProductFactory(name="Habit workbook", slug="habit-workbook"),
        amount=900,
        currency="EUR",
    )
    coaching = PriceFactory(
        product=ProductFactory(name="Coaching call", slug="coaching-call"),
        stripe_price_id="price_coaching",
        amount=9900,
        currency="EUR",
    )
    UpsellOffer.objects.create(product=price.product, price=coaching, amount=4900)
    coupon = make_coupon("SPRING20", products=[price.product], max_redemptions=100)
    page = browser_page
    problems: list[str] = []

    page.goto(f"{live_server.url}/products/habit-course/?coupon=spring20")
    page.get_by_label("Add Habit workbook for €9.00").check()
    page.get_by_role("button", name="Buy now").click()
    page.wait_for_url(re.compile(r"/billing/checkout/test/"))
    expect(page.get_by_label("Add Habit workbook for €9.00")).to_be_checked()
    expect(page.get_by_label("Coupon code (optional)")).to_have_value("SPRING20")
    expect(page.locator(".coupon-applied")).to_have_text(
        "The code SPRING20 takes €11.60 off: you pay €46.40."
    )
    page.get_by_label("E-mail address").fill("ada@example.test")
    problems += shoot(page, "checkout")
    page.locator('input[name="withdrawal_waiver"]').check()
    page.get_by_role("button", name="Pay (test mode)").click()
    page.wait_for_url(re.compile(r"/billing/checkout/success/"))

    # The upsell is still offered after a discounted purchase with a bump, bound to the main order.
    expect(page.get_by_role("heading", name="Add Coaching call for €49.00")).to_be_visible()
    problems += shoot(page, "success-offer")
    main_order = Order.objects.exclude(bump_purchase__isnull=False).get()
    assert UpsellAttempt.objects.get().order == main_order

    page.get_by_role("button", name="Yes, add it for €49.00").click()
    expect(page.get_by_text("Coaching call is yours.")).to_be_visible()
    problems += shoot(page, "success-taken")

    # Three products, once each.
    assert sorted(AccessGrant.objects.values_list("product__name", flat=True)) == [
        "Coaching call",
        "Habit course",
        "Habit workbook",
    ]
    # The checkout's one payment is what was paid after 20 % off both lines: (49 + 9) * 0.8.
    checkout_payment = Payment.objects.get(order=main_order)
    assert checkout_payment.amount == 4640
    assert main_order.amount == 3920
    assert BumpPurchase.objects.get().order.amount == 720
    # Its invoice: the course and the workbook at their prices, then the discount as its own line.
    invoice = Document.objects.get(kind=DocumentKind.INVOICE, payment=checkout_payment)
    lines = list(invoice.lines.all())
    assert [line.gross for line in lines] == [4900, 900, -1160]
    assert "Habit workbook" in lines[1].description
    assert invoice.gross_total == 4640
    # The upsell's own invoice, charged once at the special amount, without a discount.
    upsell_invoice = Document.objects.exclude(pk=invoice.pk).get(kind=DocumentKind.INVOICE)
    assert [line.gross for line in upsell_invoice.lines.all()] == [4900]
    # The coupon is counted once, on the main order (not on the bump's nor the upsell's).
    redemption = Redemption.objects.get()
    assert (redemption.coupon, redemption.order, redemption.over_limit) == (
        coupon,
        main_order,
        False,
    )
    assert problems == []
