"""The buyer's coupon code at checkout: refused with a clear message before anything exists, or
passed to Stripe's Checkout Session as its promotion code."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.messages import get_messages

from billing.models import Order, ProviderEvent
from offers.models import Redemption, StripeCode
from tests.factories import CourseFactory, UserFactory
from tests.offers.conftest import make_coupon

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)
SESSION = {
    "id": "cs_test_coupon",
    "object": "checkout.session",
    "mode": "payment",
    "url": "https://checkout.stripe.com/c/pay/cs_test_coupon",
}


def at_stripe(coupon, promotion_code: str = "promo_spring") -> StripeCode:
    """The coupon as ``sync_coupon`` leaves it after Stripe said yes."""
    from offers.stripe_sync import code_terms, coupon_terms

    return StripeCode.objects.create(
        coupon=coupon,
        coupon_ref="co_spring",
        promotion_code_ref=promotion_code,
        coupon_terms=coupon_terms(coupon),
        code_terms=code_terms(coupon),
        is_active=True,
        created_at=NOW,
    )


def buy(client, price, code: str):
    return client.post(f"/billing/checkout/{price.pk}/", {"coupon": code})


def flash(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def assert_refused(client, stripe_http, price, code: str, message: str) -> None:
    orders = Order.objects.count()
    response = buy(client, price, code)
    assert response.status_code == 302
    assert response.url == f"/products/habit-course/?coupon={code.strip().upper()}"
    assert flash(response) == [message]
    assert stripe_http.requests == []  # no Checkout Session, no Stripe coupon
    assert Order.objects.count() == orders
    assert not ProviderEvent.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_an_unknown_code_is_refused(client, course_price, stripe_http):
    assert_refused(client, stripe_http, course_price, "nope", "The code NOPE is not valid.")


@time_machine.travel(NOW, tick=False)
def test_a_switched_off_code_is_refused_like_an_unknown_one(client, course_price, stripe_http):
    at_stripe(make_coupon(is_active=False))
    assert_refused(client, stripe_http, course_price, "spring20", "The code SPRING20 is not valid.")


@time_machine.travel(NOW, tick=False)
def test_a_code_before_its_start_is_refused_with_the_start(client, course_price, stripe_http):
    at_stripe(make_coupon(valid_from=NOW + timedelta(days=2)))
    assert_refused(
        client,
        stripe_http,
        course_price,
        "SPRING20",
        "The code SPRING20 can be used from 12 Mar 2026, 13:00.",
    )


@time_machine.travel(NOW, tick=False)
def test_an_expired_code_is_refused_with_its_end(client, course_price, stripe_http):
    at_stripe(make_coupon(valid_until=NOW - timedelta(hours=1)))
    assert_refused(
        client,
        stripe_http,
        course_price,
        "SPRING20",
        "The code SPRING20 expired on 10 Mar 2026, 12:00.",
    )


@time_machine.travel(NOW, tick=False)
def test_a_used_up_code_is_refused(client, course_price, stripe_http):
    coupon = make_coupon(max_redemptions=1)
    at_stripe(coupon)
    order = Order.objects.create(
        member=UserFactory(), product=course_price.product, provider="stripe",
        provider_ref="cs_earlier", amount=3920, currency="EUR",
    )  # fmt: skip
    Redemption.objects.create(
        coupon=coupon, order=order, member=order.member, amount=980, currency="EUR",
        redeemed_at=NOW,
    )  # fmt: skip
    assert_refused(
        client, stripe_http, course_price, "SPRING20", "The code SPRING20 has been used up."
    )


@time_machine.travel(NOW, tick=False)
def test_a_code_for_another_product_is_refused(client, course_price, stripe_http):
    at_stripe(make_coupon(products=[CourseFactory(name="Other course")]))
    assert_refused(
        client,
        stripe_http,
        course_price,
        "SPRING20",
        "The code SPRING20 does not apply to Habit course.",
    )


@time_machine.travel(NOW, tick=False)
def test_a_fixed_code_without_the_price_currency_is_refused(client, course_price, stripe_http):
    at_stripe(make_coupon("FIVEOFF", amounts={"USD": 500}))
    assert_refused(
        client,
        stripe_http,
        course_price,
        "fiveoff",
        "The code FIVEOFF cannot be used for payments in EUR.",
    )


@time_machine.travel(NOW, tick=False)
def test_a_code_not_yet_at_stripe_is_refused(client, course_price, stripe_http):
    make_coupon()  # saved while Stripe refused, or before a key was set
    assert_refused(
        client,
        stripe_http,
        course_price,
        "SPRING20",
        "The code SPRING20 cannot be used right now. Please try again later.",
    )


@time_machine.travel(NOW, tick=False)
def test_a_first_payment_code_is_refused_for_a_free_trial(client, membership_price, stripe_http):
    membership_price.trial_days = 14
    membership_price.save()
    at_stripe(make_coupon())
    response = buy(client, membership_price, "SPRING20")
    assert flash(response) == ["The code SPRING20 cannot be combined with a free trial."]
    assert stripe_http.requests == []


@time_machine.travel(NOW, tick=False)
def test_the_refusal_is_in_german_for_a_german_buyer(client, course_price, stripe_http):
    response = client.post(
        f"/billing/checkout/{course_price.pk}/", {"coupon": "nope"}, HTTP_ACCEPT_LANGUAGE="de"
    )
    assert flash(response) == ["Der Code NOPE ist nicht gültig."]


@time_machine.travel(NOW, tick=False)
def test_guessing_codes_is_rate_limited(client, course_price, stripe_http):
    for _attempt in range(30):
        buy(client, course_price, "GUESS")
    response = buy(client, course_price, "GUESS")
    assert flash(response)[-1] == "Too many codes tried. Please try again in a few minutes."


@time_machine.travel(NOW, tick=False)
def test_a_valid_code_goes_to_stripe_as_its_promotion_code(client, course_price, stripe_http):
    at_stripe(make_coupon(products=[course_price.product], valid_until=NOW + timedelta(days=1)))
    stripe_http.add("POST", "/v1/checkout/sessions", SESSION)

    response = buy(client, course_price, " spring20 ")

    assert response.status_code == 302
    assert response.url == SESSION["url"]
    (request,) = stripe_http.requests
    assert request["path"] == "/v1/checkout/sessions"
    assert request["params"]["discounts[0][promotion_code]"] == "promo_spring"
    assert request["params"]["metadata[coupon_code]"] == "SPRING20"
    assert request["params"]["metadata[price_id]"] == "price_course"
    assert not Redemption.objects.exists()  # counted when paid, not when opened


@time_machine.travel(NOW, tick=False)
def test_a_subscription_carries_the_code_in_its_metadata(client, membership_price, stripe_http):
    at_stripe(make_coupon(duration="forever"))
    stripe_http.add("POST", "/v1/checkout/sessions", {**SESSION, "mode": "subscription"})

    buy(client, membership_price, "SPRING20")

    params = stripe_http.requests[0]["params"]
    assert params["discounts[0][promotion_code]"] == "promo_spring"
    assert params["subscription_data[metadata][coupon_code]"] == "SPRING20"


def test_without_a_code_the_session_has_no_discount(client, course_price, stripe_http):
    stripe_http.add("POST", "/v1/checkout/sessions", SESSION)
    buy(client, course_price, "")
    params = stripe_http.requests[0]["params"]
    assert not any(key.startswith("discounts") for key in params)


def test_a_coupon_link_prefills_the_code_on_the_product_page(client, course_price, stripe_http):
    page = client.get("/products/habit-course/?coupon=spring20")
    assert b'name="coupon"' in page.content
    assert b'value="SPRING20"' in page.content


def test_the_product_page_escapes_a_hostile_code(client, course_price, stripe_http):
    page = client.get('/products/habit-course/?coupon="><script>x</script>')
    assert b"<script>x</script>" not in page.content
