"""The creator's admin lists in Debian's chromium at 1280 px: who, what, state, amount and when
fit without sideways scrolling. Screenshots land in ``var/screenshots/admin-*.png``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from billing.models import ProviderEvent, Subscription
from invoices.services import issue_invoice_for_payment
from outbox.models import OutboxMessage
from tests.browser.helpers import save_screenshot
from tests.factories import GrantFactory, PriceFactory, ProductFactory, UserFactory
from tests.invoices.helpers import checkout_buyer, make_payment, make_seller

pytestmark = pytest.mark.browser

PAGES = {
    "grants": "/admin/members/accessgrant/",
    "orders": "/admin/billing/order/",
    "payments": "/admin/billing/payment/",
    "subscriptions": "/admin/billing/subscription/",
    "events": "/admin/billing/providerevent/",
    "invoices": "/admin/invoices/document/",
    "outbox": "/admin/outbox/outboxmessage/",
    "products": "/admin/products/product/",
    "connect-payments": "/admin/connect-payments/",
}
# The page does not scroll sideways, and neither does a list's table inside its box.
FITS = """() => document.documentElement.scrollWidth <= window.innerWidth
  && [...document.querySelectorAll(".results, .tabular")].every(
       box => box.scrollWidth <= box.clientWidth + 1)"""


def build_rows() -> int:
    """A few realistic rows per list (long names and e-mail addresses); the product's pk."""
    now = timezone.now()
    make_seller()
    course = ProductFactory(name="Six-week calm money course for freelancers", kind="course")
    PriceFactory(product=course, amount=29900, stripe_price_id=None)
    for number in range(5):
        member = UserFactory(
            email=f"alexandra.vandenberg-{number}@example-company.test", name="Alexandra Berg"
        )
        payment = make_payment(member=member, product=course, amount=29900)
        issue_invoice_for_payment(payment=payment, now=now, buyer=checkout_buyer())
        GrantFactory(member=member, product=course, paid_through=now + timedelta(days=30))
        Subscription.objects.create(
            member=member, order=payment.order, provider="stripe",
            provider_ref=f"sub_1QxYzAbCdEfGhIjKlMnOp{number}", status="active",
            current_period_end=now + timedelta(days=30),
        )  # fmt: skip
        ProviderEvent.objects.create(
            provider="stripe", event_id=f"evt_1QxYzAbCdEfGhIjKlMnOpQrSt{number}",
            event_type="customer.subscription.updated", payload={}, status="failed",
            error="Traceback ...\nValueError: unknown Stripe price id price_1QxYzAbCdEfGhIjKl: "
            "set it as the Stripe price id of a price in the admin, then reprocess this event",
            received_at=now,
        )  # fmt: skip
        OutboxMessage.objects.create(
            kind=OutboxMessage.Kind.ORDER_EMAIL, state=OutboxMessage.State.FAILED, member=member,
            payload={}, created_at=now, due_at=now, last_error="SMTPRecipientsRefused: 550",
        )  # fmt: skip
    return course.pk


@pytest.mark.django_db(transaction=True)
def test_admin_lists_fit_1280_px(live_server, browser_page, django_user_model):
    product_pk = build_rows()
    django_user_model.objects.create_superuser("creator@example.test", "pw-creator-1")
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "creator@example.test")
    page.fill("#id_password", "pw-creator-1")
    page.locator("input[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/admin/")

    too_wide = []
    for name, path in {
        **PAGES,
        "product-form": f"/admin/products/product/{product_pk}/change/",
    }.items():
        page.goto(f"{live_server.url}{path}")
        save_screenshot(page, f"admin-{name}-1280.png", full_page=True)
        if not page.evaluate(FITS):
            widths = page.evaluate(
                "() => [...document.querySelectorAll('.results, .tabular')]"
                ".map(box => `${box.scrollWidth}/${box.clientWidth}`).join(' ')"
            )
            too_wide.append(f"{name}: {widths}")

    assert too_wide == []
