"""Upgrade against a surcharge: offer and mail, the member's page and checkout, the paid webhook
swaps the products once, and the offline test checkout does the same end to end."""

from datetime import timedelta

import pytest
import time_machine

from billing import stripe_api
from billing.models import Order, Payment
from invoices.models import Document
from members.models import AccessGrant, MemberEvent, UpgradeOffer
from members.support import SupportError
from members.upgrade import offer_upgrade
from outbox.models import OutboxMessage
from products.models import Product
from tests.billing.stripe_stub import FakeStripeHTTP
from tests.factories import (
    GrantFactory,
    PriceFactory,
    RecurringPriceFactory,
    UserFactory,
)
from tests.invoices.helpers import make_seller
from tests.payloads.stripe import build_event
from tests.support.helpers import NOW, access, dashboard, everything

pytestmark = pytest.mark.django_db

SESSION = {
    "id": "cs_test_upgrade",
    "object": "checkout.session",
    "mode": "payment",
    "url": "https://checkout.stripe.com/c/pay/cs_test_upgrade",
}


@pytest.fixture
def bought():
    """Ada bought Habits (49.00 EUR, one-off); Mastery costs 99.00 EUR."""
    ada = UserFactory(email="ada@x.test", name="Ada")
    habits = PriceFactory(product__slug="habits", product__name="Habits", amount=4900,
                          stripe_price_id="price_habits")  # fmt: skip
    PriceFactory(product__slug="mastery", product__name="Mastery", amount=9900,
                 stripe_price_id="price_mastery")  # fmt: skip
    PriceFactory(product__slug="focus", product__name="Focus", amount=4900)
    PriceFactory(product__slug="dollars", product__name="Dollars", amount=9900, currency="USD")
    RecurringPriceFactory(product__slug="club", product__name="Club", amount=9900)
    order = Order.objects.create(
        member=ada, product=habits.product, price=habits, provider="stripe", provider_ref="cs_1",
        status=Order.Status.PAID, amount=4900, currency="EUR",
    )  # fmt: skip
    GrantFactory(member=ada, product=habits.product, order=order, starts_at=NOW - timedelta(2))
    return ada


def _offer(member, from_slug="habits", to_slug="mastery"):
    with time_machine.travel(NOW, tick=False):
        return offer_upgrade(
            member=member,
            from_product=Product.objects.get(slug=from_slug),
            to_product=Product.objects.get(slug=to_slug),
            actor=None,
            reason="wants the full course",
            now=NOW,
        )


@pytest.fixture
def offered(bought):
    offer, _ = _offer(bought)
    return offer


@pytest.fixture
def stripe_http(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_stubbed"
    fake = FakeStripeHTTP()
    stripe_api.use_http_client(fake)
    yield fake
    stripe_api.use_http_client(None)


def test_offer_records_the_difference_and_mails_the_link(
    bought, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        offer, created = _offer(bought)

    assert created is True
    assert (offer.amount, offer.currency, offer.state) == (5000, "EUR", "pending")
    assert len(offer.token) >= 32
    (row,) = OutboxMessage.objects.filter(kind="upgrade_offer_email")
    assert (row.member, row.state) == (bought, "sent")
    (mail,) = mailoutbox
    assert mail.to == ["ada@x.test"]
    assert mail.subject == "Your upgrade to Mastery"
    assert f"http://testserver/members/upgrade/{offer.token}/" in mail.body
    assert "€50.00" in mail.body
    (event,) = MemberEvent.objects.filter(kind="upgrade_offered")
    assert event.reason == "habits → mastery for €50.00: wants the full course"
    # Nothing changes hands before the payment.
    rows = access("ada@x.test")
    assert rows["habits"]["state"] == "active"
    assert "mastery" not in rows


def test_a_second_offer_for_the_pair_returns_the_open_one(offered):
    again, created = _offer(offered.member)

    assert (again.pk, created) == (offered.pk, False)
    assert OutboxMessage.objects.filter(kind="upgrade_offer_email").count() == 1


@pytest.mark.parametrize(
    ("pair", "message"),
    [
        (("habits", "focus"), "focus \\(€49.00\\) is not dearer than habits"),
        (("habits", "dollars"), "an upgrade needs the same currency"),
        (("habits", "club"), "club is a subscription"),
        (("focus", "mastery"), "cannot use focus"),
        (("habits", "habits"), "two different products"),
    ],
)
def test_upgrade_refuses_bad_input_and_changes_nothing(bought, pair, message):
    before = everything()

    with pytest.raises(SupportError, match=message):
        _offer(bought, *pair)

    assert everything() == before
    assert not UpgradeOffer.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_upgrade_refused_when_the_member_already_has_the_target(bought):
    GrantFactory(member=bought, product=Product.objects.get(slug="mastery"))
    before = everything()

    with pytest.raises(SupportError, match="already has access to mastery"):
        _offer(bought)

    assert everything() == before
    assert not UpgradeOffer.objects.exists()


def test_offer_page_is_only_for_its_member(client, offered):
    client.force_login(UserFactory(email="eve@x.test"))
    assert client.get(f"/members/upgrade/{offered.token}/").status_code == 404
    assert client.post(f"/members/upgrade/{offered.token}/").status_code == 404

    client.force_login(offered.member)
    page = client.get(f"/members/upgrade/{offered.token}/")
    assert page.status_code == 200
    assert "Upgrade from Habits to Mastery" in page.content.decode()
    assert "Pay €50.00 and upgrade" in page.content.decode()


def test_offer_page_needs_a_login(client, offered):
    response = client.get(f"/members/upgrade/{offered.token}/")
    assert response.status_code == 302
    assert "/login" in response.url


def test_pay_button_starts_a_stripe_checkout_for_the_difference(client, offered, stripe_http):
    stripe_http.add("POST", "/v1/checkout/sessions", SESSION)
    client.force_login(offered.member)

    response = client.post(f"/members/upgrade/{offered.token}/")

    assert response.status_code == 302
    assert response.url == SESSION["url"]
    (request,) = stripe_http.requests
    assert request["params"] == {
        "mode": "payment",
        "line_items[0][price_data][currency]": "eur",
        "line_items[0][price_data][unit_amount]": "5000",
        "line_items[0][price_data][product_data][name]": "Upgrade: Habits → Mastery",
        "line_items[0][quantity]": "1",
        "metadata[price_id]": "price_mastery",
        "metadata[upgrade_offer]": offered.token,
        "metadata[language]": "en",
        "locale": "en",
        "customer_email": "ada@x.test",
        "customer_creation": "always",
        "success_url": "http://testserver/billing/checkout/success/?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": f"http://testserver/members/upgrade/{offered.token}/",
    }


def _paid_event(offer) -> str:
    return build_event(
        "checkout.session.completed",
        session_id="cs_test_upgrade",
        email="ada@x.test",
        amount=5000,
        metadata={"price_id": "price_mastery", "upgrade_offer": offer.token, "language": "en"},
    )


def test_paid_webhook_swaps_once_and_issues_the_invoice(client, offered, deliver):
    make_seller()
    body = _paid_event(offered)

    for _ in range(2):
        with time_machine.travel(NOW + timedelta(hours=1), tick=False):
            assert deliver(body).status_code == 200

    offered.refresh_from_db()
    order = Order.objects.get(provider_ref="cs_test_upgrade")
    assert (offered.state, offered.order) == ("paid", order)
    assert (order.member, order.product.slug, order.amount) == (offered.member, "mastery", 5000)
    assert Payment.objects.filter(order=order).count() == 1
    (invoice,) = Document.objects.filter(payment__order=order, kind="invoice")
    assert invoice.gross_total == 5000
    rows = access("ada@x.test", at=NOW + timedelta(hours=2))
    assert (rows["habits"]["state"], rows["mastery"]["state"]) == ("revoked", "active")
    assert AccessGrant.objects.get(product__slug="mastery").order == order
    assert [h["kind"] for h in rows["habits"]["history"]] == ["swapped"]
    assert len(rows["mastery"]["history"]) == 1
    page = dashboard(client, offered.member, at=NOW + timedelta(hours=2))
    assert 'href="/members/products/mastery/"' in page
    assert 'href="/members/products/habits/"' not in page


def test_paid_offer_page_says_done(client, offered, deliver):
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        deliver(_paid_event(offered))
    client.force_login(offered.member)

    page = client.get(f"/members/upgrade/{offered.token}/").content.decode()

    assert "Done: you now have Mastery." in page
    assert "Pay €50.00" not in page


def test_offline_test_checkout_upgrades_end_to_end(
    client, offered, settings, stripe_webhook_secret, django_capture_on_commit_callbacks
):
    settings.DEBUG = True
    settings.STRIPE_SECRET_KEY = ""
    client.force_login(offered.member)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/members/upgrade/{offered.token}/")

    assert response.status_code == 302
    assert response.url.startswith("/billing/checkout/success/?session_id=cs_test_local_")
    offered.refresh_from_db()
    assert offered.state == "paid"
    assert (offered.order.amount, offered.order.is_test) == (5000, True)
    grants = {g.product.slug: g.state for g in AccessGrant.objects.select_related("product")}
    assert grants == {"habits": "revoked", "mastery": "active"}


def test_upgrade_command_offers_and_refuses(bought, mailoutbox, django_capture_on_commit_callbacks):
    from django.core.management import CommandError

    from tests.support.helpers import run

    with django_capture_on_commit_callbacks(execute=True):
        result = run("upgrade", "ada@x.test", "habits", "mastery", "--reason", "asked by mail")

    offer = UpgradeOffer.objects.get()
    assert result["changed"] is True
    assert result["offer"]["amount_minor"] == 5000
    assert result["offer"]["url"] == f"http://testserver/members/upgrade/{offer.token}/"
    assert len(mailoutbox) == 1
    again = run("upgrade", "ada@x.test", "habits", "mastery", "--reason", "asked by mail")
    assert again["changed"] is False
    with pytest.raises(CommandError, match="not dearer"):
        run("upgrade", "ada@x.test", "habits", "focus", "--reason", "x")
    assert UpgradeOffer.objects.count() == 1
