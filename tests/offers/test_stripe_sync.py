"""Saving a coupon creates or updates its Stripe coupon and promotion code (the exact request
bodies, against a stub of Stripe's HTTP layer); without a key nothing is asked."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine

from offers.models import Coupon, StripeCode
from offers.stripe_sync import sync_coupon
from tests.offers.conftest import make_coupon

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)
UNTIL = datetime(2026, 6, 1, tzinfo=UTC)


def answer(stripe_http, *, coupon: str = "co_1", promotion_code: str = "promo_1") -> None:
    stripe_http.add("POST", "/v1/coupons", {"id": coupon, "object": "coupon"})
    stripe_http.add(
        "POST", "/v1/promotion_codes", {"id": promotion_code, "object": "promotion_code"}
    )
    stripe_http.add("POST", "/v1/promotion_codes/promo_1", {"id": "promo_1"})
    stripe_http.add("POST", "/v1/coupons/co_1", {"id": "co_1", "object": "coupon"})


def sent(stripe_http) -> list[tuple[str, dict]]:
    return [(request["path"], request["params"]) for request in stripe_http.requests]


def test_a_percent_coupon_becomes_a_stripe_coupon_and_promotion_code(stripe_http):
    answer(stripe_http)
    coupon = make_coupon(name="Spring sale", max_redemptions=50, valid_until=UNTIL)

    code = sync_coupon(coupon=coupon, now=NOW)

    metadata = {"metadata[coupon_pk]": str(coupon.pk), "metadata[coupon_code]": "SPRING20"}
    assert sent(stripe_http) == [
        (
            "/v1/coupons",
            {"name": "Spring sale", "duration": "once", "percent_off": "20", **metadata},
        ),
        (
            "/v1/promotion_codes",
            {
                "promotion[type]": "coupon",
                "promotion[coupon]": "co_1",
                "code": "SPRING20",
                "active": "true",
                "max_redemptions": "50",
                "expires_at": str(int(UNTIL.timestamp())),
                **metadata,
            },
        ),
    ]
    assert (code.coupon_ref, code.promotion_code_ref, code.is_active) == ("co_1", "promo_1", True)


def test_a_fixed_coupon_names_its_amount_per_currency(stripe_http):
    answer(stripe_http)
    coupon = make_coupon("FIVEOFF", amounts={"EUR": 500, "USD": 600, "CHF": 550})

    sync_coupon(coupon=coupon, now=NOW)

    path, params = sent(stripe_http)[0]
    assert path == "/v1/coupons"
    assert params == {
        "name": "FIVEOFF",
        "duration": "once",
        "amount_off": "550",
        "currency": "chf",
        "currency_options[eur][amount_off]": "500",
        "currency_options[usd][amount_off]": "600",
        "metadata[coupon_pk]": str(coupon.pk),
        "metadata[coupon_code]": "FIVEOFF",
    }


def test_saving_again_unchanged_asks_stripe_nothing(stripe_http):
    answer(stripe_http)
    coupon = make_coupon()
    sync_coupon(coupon=coupon, now=NOW)
    stripe_http.requests.clear()

    sync_coupon(coupon=coupon, now=NOW)

    assert stripe_http.requests == []


def test_a_new_name_and_switching_off_change_the_stripe_objects_in_place(stripe_http):
    answer(stripe_http)
    coupon = make_coupon()
    sync_coupon(coupon=coupon, now=NOW)
    stripe_http.requests.clear()
    Coupon.objects.filter(pk=coupon.pk).update(name="Spring", is_active=False)

    sync_coupon(coupon=Coupon.objects.get(pk=coupon.pk), now=NOW)

    assert sent(stripe_http) == [
        ("/v1/coupons/co_1", {"name": "Spring"}),
        ("/v1/promotion_codes/promo_1", {"active": "false"}),
    ]
    assert StripeCode.objects.get().is_active is False


def test_a_new_discount_is_a_new_stripe_coupon_and_the_old_code_is_switched_off(stripe_http):
    answer(stripe_http)
    coupon = make_coupon()
    sync_coupon(coupon=coupon, now=NOW)
    stripe_http.requests.clear()
    answer(stripe_http, coupon="co_2", promotion_code="promo_2")
    Coupon.objects.filter(pk=coupon.pk).update(percent_off=Decimal("25"))

    sync_coupon(coupon=Coupon.objects.get(pk=coupon.pk), now=NOW)

    paths = [path for path, _params in sent(stripe_http)]
    assert paths == ["/v1/coupons", "/v1/promotion_codes/promo_1", "/v1/promotion_codes"]
    assert sent(stripe_http)[0][1]["percent_off"] == "25"
    assert sent(stripe_http)[1][1] == {"active": "false"}  # before the same code is made again
    assert sent(stripe_http)[2][1]["promotion[coupon]"] == "co_2"
    assert list(
        StripeCode.objects.order_by("pk").values_list("promotion_code_ref", "is_active")
    ) == [
        ("promo_1", False),
        ("promo_2", True),
    ]


@time_machine.travel(NOW, tick=False)
def test_a_new_limit_keeps_the_coupon_and_counts_what_is_left(stripe_http):
    from billing.models import Order
    from offers.models import Redemption
    from tests.factories import ProductFactory, UserFactory

    answer(stripe_http)
    coupon = make_coupon(max_redemptions=10)
    sync_coupon(coupon=coupon, now=NOW)
    member = UserFactory()
    for number in range(3):
        order = Order.objects.create(
            member=member, product=ProductFactory(), provider="stripe",
            provider_ref=f"cs_{number}", amount=100, currency="EUR",
        )  # fmt: skip
        Redemption.objects.create(
            coupon=coupon, order=order, member=member, amount=20, currency="EUR", redeemed_at=NOW
        )
    stripe_http.requests.clear()
    answer(stripe_http, promotion_code="promo_2")
    Coupon.objects.filter(pk=coupon.pk).update(max_redemptions=20)

    sync_coupon(coupon=Coupon.objects.get(pk=coupon.pk), now=NOW)

    paths = [path for path, _params in sent(stripe_http)]
    assert paths == ["/v1/promotion_codes/promo_1", "/v1/promotion_codes"]
    assert sent(stripe_http)[1][1]["promotion[coupon]"] == "co_1"
    assert sent(stripe_http)[1][1]["max_redemptions"] == "17"


def test_without_a_stripe_key_saving_asks_nothing(settings):
    settings.STRIPE_SECRET_KEY = ""
    coupon = make_coupon()
    assert sync_coupon(coupon=coupon, now=NOW) is None
    assert not StripeCode.objects.exists()


# --- through the admin ------------------------------------------------------------------------


def admin_form(**fields) -> dict:
    data = {
        "code": "summer10",
        "name": "",
        "is_active": "on",
        "kind": "percent",
        "percent_off": "10",
        "duration": "once",
        "valid_from_0": "",
        "valid_from_1": "",
        "valid_until_0": "",
        "valid_until_1": "",
        "max_redemptions": "",
        "amounts-TOTAL_FORMS": "1",
        "amounts-INITIAL_FORMS": "0",
        "amounts-MIN_NUM_FORMS": "0",
        "amounts-MAX_NUM_FORMS": "1000",
        "amounts-0-currency": "",
        "amounts-0-amount": "",
        "stripe_codes-TOTAL_FORMS": "0",
        "stripe_codes-INITIAL_FORMS": "0",
        "stripe_codes-MIN_NUM_FORMS": "0",
        "stripe_codes-MAX_NUM_FORMS": "1000",
    }
    data.update(fields)
    return data


def test_adding_a_coupon_in_the_admin_creates_it_at_stripe(creator_client, stripe_http):
    answer(stripe_http)

    response = creator_client.post("/admin/offers/coupon/add/", admin_form())

    assert response.status_code == 302
    coupon = Coupon.objects.get()
    assert coupon.code == "SUMMER10"
    assert [request["path"] for request in stripe_http.requests] == [
        "/v1/coupons",
        "/v1/promotion_codes",
    ]
    assert StripeCode.objects.get().promotion_code_ref == "promo_1"


def test_a_stripe_refusal_keeps_the_coupon_and_says_so(creator_client, stripe_http):
    stripe_http.add(
        "POST",
        "/v1/coupons",
        {"error": {"type": "invalid_request_error", "message": "Invalid percent_off"}},
        status=400,
    )

    response = creator_client.post("/admin/offers/coupon/add/", admin_form(), follow=True)

    assert Coupon.objects.count() == 1
    assert not StripeCode.objects.exists()
    assert "Stripe refused it (Invalid percent_off)" in response.content.decode()


def test_the_same_code_in_other_case_is_refused(creator_client, stripe_http):
    make_coupon("SUMMER10")
    response = creator_client.post("/admin/offers/coupon/add/", admin_form(code="Summer10"))
    assert response.status_code == 200
    assert Coupon.objects.count() == 1
    assert stripe_http.requests == []


def test_a_fixed_forever_coupon_is_refused(creator_client, stripe_http):
    response = creator_client.post(
        "/admin/offers/coupon/add/",
        admin_form(
            kind="fixed", percent_off="", duration="forever",
            **{"amounts-0-currency": "EUR", "amounts-0-amount": "500"},
        ),
    )  # fmt: skip
    assert response.status_code == 200
    assert "Stripe accepts a fixed amount for the first payment only" in response.content.decode()
    assert not Coupon.objects.exists()


def test_the_admin_help_explains_what_stripe_cannot_change(creator_client, stripe_http):
    page = creator_client.get("/admin/offers/coupon/add/").content.decode()
    assert "switches the old promotion code off" in page
    assert "Leave empty for a coupon that applies to every product." in page


def test_the_admin_lists_show_counts_and_flag_over_limit_orders(creator_client, settings):
    from billing.models import Order
    from offers.models import Redemption
    from tests.factories import ProductFactory, UserFactory

    settings.STRIPE_SECRET_KEY = ""
    coupon = make_coupon(max_redemptions=1)
    member = UserFactory(email="bob@x.test")
    for number, over_limit in enumerate([False, True]):
        order = Order.objects.create(
            member=member, product=ProductFactory(), provider="stripe",
            provider_ref=f"cs_{number}", amount=3920, currency="EUR",
        )  # fmt: skip
        Redemption.objects.create(
            coupon=coupon, order=order, member=member, amount=980, currency="EUR",
            over_limit=over_limit, redeemed_at=NOW,
        )  # fmt: skip

    coupons = creator_client.get("/admin/offers/coupon/").content.decode()
    flagged = creator_client.get("/admin/offers/redemption/?over_limit__exact=1")

    assert '<td class="field-redeemed">1 / 1</td>' in coupons
    assert '<td class="field-over_limit_count">1</td>' in coupons
    assert flagged.context["cl"].result_count == 1
