"""The order bump's checkbox at checkout: Stripe's Checkout Session gets a second line at our
price, an id that is not this product's bump is refused, and the offline test checkout sends
both lines in its signed event, with a coupon over both."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages

from billing.models import Order, ProviderEvent
from invoices.models import Document
from members.models import AccessGrant
from offers.models import OrderBump
from tests.factories import ProductFactory, RecurringPriceFactory
from tests.invoices.helpers import make_seller
from tests.offers.conftest import make_coupon

pytestmark = pytest.mark.django_db

SESSION = {
    "id": "cs_test_bump",
    "object": "checkout.session",
    "mode": "payment",
    "url": "https://checkout.stripe.com/c/pay/cs_test_bump",
}


def flash(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_the_product_page_shows_the_bump_checkbox(client, course_price, bump, stripe_http):
    page = client.get(course_price.product.get_catalog_url()).content.decode()

    assert f'name="bump" value="{bump.pk}"' in page
    assert "Add Habit workbook for €9.00" in page


def test_a_subscription_is_offered_no_bump(client, stripe_http):
    price = RecurringPriceFactory(stripe_price_id="price_monthly")
    OrderBump.objects.create(
        product=price.product, bump_product=ProductFactory(), amount=900, currency="EUR"
    )

    page = client.get(price.product.get_catalog_url()).content.decode()

    assert 'name="bump"' not in page


def test_ticked_the_session_has_two_lines_at_our_price(client, course_price, bump, stripe_http):
    stripe_http.add("POST", "/v1/checkout/sessions", SESSION)

    response = client.post(
        f"/billing/checkout/{course_price.pk}/",
        {"bump": str(bump.pk), "bump_amount": "1", "unit_amount": "1"},  # amounts are ignored
    )

    assert response.url == SESSION["url"]
    params = stripe_http.requests[0]["params"]
    assert params["line_items[0][price]"] == "price_course"
    assert params["line_items[1][price_data][unit_amount]"] == "900"
    assert params["line_items[1][price_data][currency]"] == "eur"
    assert params["line_items[1][price_data][product_data][name]"] == "Habit workbook"
    assert params["metadata[bump_id]"] == str(bump.pk)
    assert params["metadata[bump_amount]"] == "900"


def test_not_ticked_the_session_has_one_line(client, course_price, bump, stripe_http):
    stripe_http.add("POST", "/v1/checkout/sessions", SESSION)

    client.post(f"/billing/checkout/{course_price.pk}/", {})

    params = stripe_http.requests[0]["params"]
    assert "line_items[1][price_data][unit_amount]" not in params
    assert "metadata[bump_id]" not in params


@pytest.mark.parametrize("kind", ["another product's", "inactive", "unknown"])
def test_a_bump_that_is_not_this_checkouts_is_refused(
    client, course_price, bump, stripe_http, kind
):
    bump_id = "999999"
    if kind == "another product's":
        other = OrderBump.objects.create(
            product=ProductFactory(), bump_product=ProductFactory(), amount=100, currency="EUR"
        )
        bump_id = str(other.pk)
    elif kind == "inactive":
        OrderBump.objects.filter(pk=bump.pk).update(is_active=False)
        bump_id = str(bump.pk)

    response = client.post(f"/billing/checkout/{course_price.pk}/", {"bump": bump_id})

    assert response.status_code == 302
    assert response.url == "/products/habit-course/"
    assert flash(response) == ["This add-on is not available with Habit course."]
    assert stripe_http.requests == []


# --- the offline test checkout -----------------------------------------------------------------


@pytest.fixture
def pay(client, django_capture_on_commit_callbacks):
    def _pay(price, data: dict):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                f"/billing/checkout/test/{price.pk}/",
                {"withdrawal_waiver": "on", "email": "ada@x.test", **data},
            )

    return _pay


def test_the_buy_button_carries_the_ticked_bump_to_the_test_checkout(
    client, course_price, bump, offline_test_mode
):
    response = client.post(f"/billing/checkout/{course_price.pk}/", {"bump": str(bump.pk)})
    assert response.url == f"/billing/checkout/test/{course_price.pk}/?bump={bump.pk}"

    page = client.get(response.url).content.decode()

    assert "Add Habit workbook for €9.00" in page
    assert '<input type="checkbox" name="bump" id="id_bump" checked>' in page


def test_the_test_checkout_opened_with_code_and_bump_shows_the_discount_over_both(
    client, course_price, bump, offline_test_mode
):
    make_coupon()  # 20 %
    response = client.post(
        f"/billing/checkout/{course_price.pk}/", {"coupon": "spring20", "bump": str(bump.pk)}
    )

    page = client.get(response.url).content.decode()

    assert "The code SPRING20 takes €11.60 off: you pay €46.40." in page  # (49 + 9) - 20 %


def test_the_test_checkout_sends_both_lines_and_a_coupon_over_both(
    course_price, bump, offline_test_mode, pay
):
    make_seller()
    make_coupon()  # 20 %

    response = pay(course_price, {"bump": "on", "coupon": "SPRING20"})

    assert response.status_code == 302
    session = ProviderEvent.objects.get().payload["data"]["object"]
    assert (session["amount_subtotal"], session["amount_total"]) == (5800, 4640)
    assert session["metadata"]["bump_id"] == str(bump.pk)
    assert session["metadata"]["bump_amount"] == "900"
    assert Order.objects.count() == 2
    assert set(AccessGrant.objects.values_list("product__name", flat=True)) == {
        "Habit course",
        "Habit workbook",
    }
    invoice = Document.objects.get()
    assert [line.gross for line in invoice.lines.all()] == [4900, 900, -1160]


def test_the_test_checkout_without_the_tick_buys_one_product(
    course_price, bump, offline_test_mode, pay
):
    pay(course_price, {})

    assert "bump_id" not in ProviderEvent.objects.get().payload["data"]["object"]["metadata"]
    assert Order.objects.count() == 1


@pytest.mark.parametrize(
    ("language", "text"),
    [("de", "Habit workbook für 9,00\xa0€ dazunehmen"), ("nl", "Habit workbook toevoegen voor")],
)
def test_the_checkbox_speaks_the_buyers_language(
    client, course_price, bump, stripe_http, language, text
):
    page = client.get(course_price.product.get_catalog_url(), HTTP_ACCEPT_LANGUAGE=language)

    assert text in page.content.decode()


def test_the_creators_own_headline_is_shown_escaped(client, course_price, bump, stripe_http):
    OrderBump.objects.filter(pk=bump.pk).update(headline="Yes! <b>Workbook</b> for 9 €")

    page = client.get(course_price.product.get_catalog_url()).content.decode()

    assert "Yes! &lt;b&gt;Workbook&lt;/b&gt; for 9 €" in page
