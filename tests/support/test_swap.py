"""``swap``: one product for another of the same price; the order follows the new access."""

from datetime import timedelta

import pytest
from django.core.management import CommandError

from billing.models import Order
from members.models import AccessGrant
from tests.factories import (
    GrantFactory,
    PriceFactory,
    ProductFactory,
    RecurringPriceFactory,
    UserFactory,
)
from tests.support.helpers import NOW, access, dashboard, everything, run

pytestmark = pytest.mark.django_db


@pytest.fixture
def bought():
    """Ada bought Habits (49.00 EUR, one-off); Focus costs the same, Mastery more."""
    ada = UserFactory(email="ada@x.test")
    habits = PriceFactory(product__slug="habits", product__name="Habits", amount=4900)
    PriceFactory(product__slug="focus", product__name="Focus", amount=4900)
    PriceFactory(product__slug="mastery", product__name="Mastery", amount=9900)
    order = Order.objects.create(
        member=ada, product=habits.product, price=habits, provider="stripe", provider_ref="cs_1",
        status=Order.Status.PAID, amount=4900, currency="EUR",
    )  # fmt: skip
    GrantFactory(member=ada, product=habits.product, order=order, starts_at=NOW - timedelta(2))
    return ada, order


def test_swap_ends_the_old_access_and_gives_the_new_on_the_same_order(client, bought):
    ada, order = bought

    result = run("swap", "ada@x.test", "habits", "focus", "--reason", "wrong course bought")

    assert result["changed"] is True
    rows = access("ada@x.test")
    assert (rows["habits"]["state"], rows["focus"]["state"]) == ("revoked", "active")
    assert rows["focus"]["order"] == "cs_1"
    assert AccessGrant.objects.get(product__slug="focus").order == order
    assert [(h["kind"], h["reason"]) for h in rows["habits"]["history"]] == [
        ("swapped", "swapped for focus: wrong course bought")
    ]
    assert [(h["kind"], h["reason"]) for h in rows["focus"]["history"]] == [
        ("granted", "swapped from habits: wrong course bought")
    ]
    page = dashboard(client, ada)
    assert 'href="/members/products/focus/"' in page
    assert 'href="/members/products/habits/"' not in page


def test_swapping_again_changes_nothing(bought):
    run("swap", "ada@x.test", "habits", "focus", "--reason", "wrong course")
    before = everything()

    again = run("swap", "ada@x.test", "habits", "focus", "--reason", "wrong course")

    assert again["changed"] is False
    assert everything() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["habits", "mastery"], "habits costs €49.00 but mastery costs €99.00"),
        (["habits", "habits"], "two different products"),
        (["focus", "habits"], "cannot use focus"),
        (["habits", "nope"], "no product with slug nope"),
    ],
)
def test_swap_refuses_bad_input_and_changes_nothing(bought, args, message):
    before = everything()
    with pytest.raises(CommandError, match=message):
        run("swap", "ada@x.test", *args, "--reason", "x")
    assert everything() == before


def test_swap_refuses_a_subscription(bought):
    ada, _order = bought
    monthly = RecurringPriceFactory(product__slug="club", amount=1900)
    RecurringPriceFactory(product__slug="club-plus", amount=1900)
    order = Order.objects.create(
        member=ada, product=monthly.product, price=monthly, provider="stripe",
        provider_ref="in_1", status=Order.Status.PAID, amount=1900, currency="EUR",
    )  # fmt: skip
    GrantFactory(member=ada, product=monthly.product, order=order,
                 paid_through=NOW + timedelta(days=20))  # fmt: skip
    before = everything()

    with pytest.raises(CommandError, match="paid by a subscription"):
        run("swap", "ada@x.test", "club", "club-plus", "--reason", "x")
    assert everything() == before


def test_a_complimentary_product_swaps_by_its_list_price(bought):
    ProductFactory(slug="gift")
    PriceFactory(product__slug="gift-two", amount=2500)
    run("grant", "ada@x.test", "gift", "--reason", "gift")

    with pytest.raises(CommandError, match="gift costs nothing but gift-two costs €25.00"):
        run("swap", "ada@x.test", "gift", "gift-two", "--reason", "x")
