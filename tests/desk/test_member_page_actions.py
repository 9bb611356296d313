"""Support actions from the admin's member page: the member sees the change, the audit row names
the staff user, and bad input is a form error with nothing changed."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from billing.models import Order
from drip.services import apply_activation_windows
from invoices.models import DocumentMail
from invoices.services import issue_invoice_for_payment
from members.models import AccessGrant, GrantEvent, MemberEvent, StoreCreditEntry, UpgradeOffer
from outbox.models import OutboxMessage
from tests.desk.helpers import NOW, action_url, page_url
from tests.factories import GrantFactory, PriceFactory, ProductFactory, UserFactory
from tests.invoices.helpers import make_payment, make_seller
from tests.support.helpers import dashboard, everything

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada():
    return UserFactory(email="ada@x.test", name="Ada", time_zone="Europe/Berlin")


def post(client, member, action: str, data: dict, *, capture=None):
    fields = {f"{action}-{name}": value for name, value in data.items()}
    with time_machine.travel(NOW, tick=False):
        if capture is None:
            return client.post(action_url(member, action), fields)
        with capture(execute=True):
            return client.post(action_url(member, action), fields)


def audit(kind: str) -> list[tuple]:
    return list(GrantEvent.objects.filter(kind=kind).values_list("actor__email", "reason"))


def member_page_after(client, member) -> str:
    with time_machine.travel(NOW, tick=False):
        return client.get(page_url(member)).content.decode()


def test_grant_complimentary_from_the_page(creator_client, ada):
    ProductFactory(name="Habits", slug="habits", kind="course")
    product = ProductFactory(name="Focus", slug="focus")

    response = post(creator_client, ada, "grant", {"product": product.pk, "reason": "podcast"})

    assert response.status_code == 302
    assert response.url == page_url(ada)
    assert "Focus" in dashboard(Client(), ada, at=NOW)
    assert audit("granted") == [("creator@example.test", "podcast")]
    assert "complimentary access until lifetime" in member_page_after(creator_client, ada)


def test_extend_by_days_from_the_page(creator_client, ada):
    product = ProductFactory(name="Focus", slug="focus")
    grant = GrantFactory(member=ada, product=product, paid_through=NOW + timedelta(days=5))

    post(creator_client, ada, "extend", {"product": product.pk, "days": 10, "reason": "outage"})

    grant.refresh_from_db()
    assert grant.paid_through == NOW + timedelta(days=15)
    assert audit("extended") == [("creator@example.test", "outage")]


def test_give_access_anyway_keeps_the_subscribers_paid_through_date(creator_client, ada):
    product = ProductFactory(
        name="Inner circle",
        kind="membership",
        activation_window_days=14,
        activation_window_action="expire",
    )
    paid_through = NOW + timedelta(days=10)
    grant = GrantFactory(
        member=ada, product=product, starts_at=NOW - timedelta(days=20), paid_through=paid_through
    )
    apply_activation_windows(now=NOW)
    assert "Ended" in dashboard(Client(), ada, at=NOW)

    post(creator_client, ada, "give-anyway", {"grant": grant.pk, "reason": "was ill"})

    assert "Ended" not in dashboard(Client(), ada, at=NOW)
    grant.refresh_from_db()
    assert (grant.state, grant.paid_through) == (AccessGrant.State.ACTIVE, paid_through)
    assert audit("reactivated") == [("creator@example.test", "was ill")]


def test_swap_for_a_product_of_the_same_price(creator_client, ada):
    old = PriceFactory(product__name="Habits", product__slug="habits").product
    new = PriceFactory(product__name="Focus", product__slug="focus").product
    order = Order.objects.create(
        member=ada,
        product=old,
        price=old.prices.get(),
        provider="stripe",
        provider_ref="cs_1",
        status="paid",
        amount=4900,
        currency="EUR",
    )
    GrantFactory(member=ada, product=old, order=order)

    post(
        creator_client,
        ada,
        "swap",
        {"from_product": old.pk, "to_product": new.pk, "reason": "wrong course"},
    )

    states = dict(AccessGrant.objects.values_list("product__slug", "state"))
    assert states == {"habits": "revoked", "focus": "active"}
    assert AccessGrant.objects.get(product=new).order == order
    assert audit("swapped") == [("creator@example.test", "swapped for focus: wrong course")]


def test_store_credit_from_the_page_shows_on_the_profile(creator_client, ada):
    post(creator_client, ada, "credit", {"amount": "20.00", "currency": "eur", "reason": "sorry"})

    client = Client()
    client.force_login(ada)
    assert "Your store credit: €20.00" in client.get("/members/profile/").content.decode()
    entry = StoreCreditEntry.objects.get()
    assert (entry.amount, entry.currency, entry.actor.email, entry.reason) == (
        2000,
        "EUR",
        "creator@example.test",
        "sorry",
    )


def test_fresh_login_link_goes_through_the_outbox(
    creator_client, ada, mailoutbox, django_capture_on_commit_callbacks
):
    post(
        creator_client,
        ada,
        "login-link",
        {"reason": "link expired"},
        capture=django_capture_on_commit_callbacks,
    )

    assert [message.to for message in mailoutbox] == [["ada@x.test"]]
    assert "/login/" in mailoutbox[0].body
    row = OutboxMessage.objects.get()
    assert (row.kind, row.state, row.member) == ("login_link_email", "sent", ada)
    assert list(MemberEvent.objects.values_list("kind", "actor__email", "reason")) == [
        ("login_link_sent", "creator@example.test", "link expired")
    ]


def test_resend_welcome_from_the_page(
    creator_client, ada, mailoutbox, django_capture_on_commit_callbacks
):
    Order.objects.create(
        member=ada,
        product=ProductFactory(name="Habits"),
        provider="stripe",
        provider_ref="cs_9",
        status="paid",
        amount=4900,
        currency="EUR",
        welcome_sent_at=NOW,
    )

    post(
        creator_client,
        ada,
        "welcome",
        {"reason": "went to spam"},
        capture=django_capture_on_commit_callbacks,
    )

    assert len(mailoutbox) == 1
    assert "Habits" in mailoutbox[0].body
    assert OutboxMessage.objects.get().kind == "order_email_again"
    assert MemberEvent.objects.get().actor.email == "creator@example.test"


def test_resend_an_invoice_from_the_page(
    creator_client, ada, mailoutbox, django_capture_on_commit_callbacks
):
    make_seller()
    invoice = issue_invoice_for_payment(payment=make_payment(member=ada), now=NOW)
    mailoutbox.clear()

    post(
        creator_client,
        ada,
        "invoice",
        {"number": invoice.number, "reason": "lost it"},
        capture=django_capture_on_commit_callbacks,
    )

    assert [message.to for message in mailoutbox] == [["ada@x.test"]]
    assert mailoutbox[0].attachments[0][0] == invoice.pdf_filename
    mail = DocumentMail.objects.get(reason="resent")
    assert mail.actor.email == "creator@example.test"
    assert MemberEvent.objects.get().reason == f"{invoice.number}: lost it"


@pytest.mark.parametrize(
    ("action", "data", "message"),
    [
        ("grant", {"reason": ""}, "This field is required."),
        ("extend", {"days": "-3", "reason": "x"}, "greater than or equal to 1"),
        ("credit", {"amount": "-5", "currency": "EUR", "reason": "x"}, "greater than or equal to"),
        ("credit", {"amount": "5", "currency": "USD", "reason": "x"}, "not USD"),
        ("swap", {"reason": "x"}, "costs"),
    ],
)
def test_bad_input_is_a_form_error_and_changes_nothing(creator_client, ada, action, data, message):
    habits = PriceFactory(product__name="Habits", product__slug="habits", amount=4900).product
    focus = PriceFactory(product__name="Focus", product__slug="focus", amount=9900).product
    grant = GrantFactory(member=ada, product=habits, paid_through=NOW + timedelta(days=3))
    StoreCreditEntry.objects.create(
        member=ada,
        kind="credit",
        amount=500,
        currency="EUR",
        balance_after=500,
        at=NOW,
        reason="earlier",
        key="k",
    )
    fields = {
        "product": habits.pk,
        "grant": grant.pk,
        "from_product": habits.pk,
        "to_product": focus.pk,
        **data,
    }
    before = everything()

    response = post(creator_client, ada, action, fields)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert everything() == before


def test_a_post_without_the_csrf_token_is_refused(creator, ada):
    client = Client(enforce_csrf_checks=True)
    client.force_login(creator)
    before = everything()
    response = client.post(
        action_url(ada, "credit"),
        {"credit-amount": "5", "credit-currency": "EUR", "credit-reason": "x"},
    )
    assert response.status_code == 403
    assert everything() == before


def test_upgrade_from_the_page_mails_an_offer_for_the_difference(
    creator_client, ada, mailoutbox, django_capture_on_commit_callbacks
):
    habits = PriceFactory(product__name="Habits", product__slug="habits", amount=4900).product
    mastery = PriceFactory(product__name="Mastery", product__slug="mastery", amount=9900).product
    GrantFactory(member=ada, product=habits)
    page = creator_client.get(page_url(ada)).content.decode()
    assert 'id="action-upgrade"' in page

    response = post(
        creator_client,
        ada,
        "upgrade",
        {"from_product": habits.pk, "to_product": mastery.pk, "reason": "wants more"},
        capture=django_capture_on_commit_callbacks,
    )

    assert response.status_code == 302
    offer = UpgradeOffer.objects.get()
    assert (offer.amount, offer.created_by.email, offer.reason) == (
        5000,
        "creator@example.test",
        "wants more",
    )
    assert [message.to for message in mailoutbox] == [["ada@x.test"]]
    assert f"/members/upgrade/{offer.token}/" in mailoutbox[0].body
    events = MemberEvent.objects.filter(kind="upgrade_offered")
    assert list(events.values_list("actor__email", "reason")) == [
        ("creator@example.test", "habits → mastery for €50.00: wants more")
    ]


def test_upgrade_to_a_cheaper_product_is_a_form_error(creator_client, ada):
    habits = PriceFactory(product__name="Habits", product__slug="habits", amount=9900).product
    focus = PriceFactory(product__name="Focus", product__slug="focus", amount=4900).product
    GrantFactory(member=ada, product=habits)
    before = everything()

    response = post(
        creator_client,
        ada,
        "upgrade",
        {"from_product": habits.pk, "to_product": focus.pk, "reason": "x"},
    )

    assert response.status_code == 400
    assert "is not dearer than habits" in response.content.decode()
    assert everything() == before
    assert not UpgradeOffer.objects.exists()
