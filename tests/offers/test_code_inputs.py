"""A coupon code with a NUL character (PostgreSQL cannot store or compare one) is refused with
the usual message, never a 500. (A URL carrying NUL is refused by the middleware already.)"""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages

from billing.models import Order
from tests.offers.conftest import make_coupon

pytestmark = pytest.mark.django_db

NUL_CODE = "SPRING\x0020"


def test_the_buy_button_refuses_a_nul_code(client, course_price, stripe_http):
    make_coupon()

    response = client.post(f"/billing/checkout/{course_price.pk}/", {"coupon": NUL_CODE})

    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "The code SPRING\ufffd20 is not valid."
    ]
    assert stripe_http.requests == []
    assert not Order.objects.exists()


def test_the_test_checkout_refuses_a_nul_code(client, course_price, offline_test_mode):
    make_coupon()

    response = client.post(
        f"/billing/checkout/test/{course_price.pk}/",
        {"withdrawal_waiver": "on", "email": "ada@x.test", "coupon": NUL_CODE},
    )

    assert response.status_code == 200
    assert not Order.objects.exists()
