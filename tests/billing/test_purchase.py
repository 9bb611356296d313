"""A Stripe purchase becomes a member with access, an order, a payment and one e-mail."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from billing.models import Customer, Order, Payment, ProviderEvent
from members.models import AccessGrant, GrantEvent, User
from tests.factories import GrantFactory, UserFactory
from tests.payloads.stripe import build_event

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://testserver(/login/[^/\s]+/[^/\s]+/)")


def test_checkout_completed_provisions_member_order_payment_grant(
    deliver, course_price, mailoutbox
):
    body = build_event(
        "checkout.session.completed",
        price_id="price_course",
        email="Ada@Example.TEST",
        name="Ada Lovelace",
        amount=4900,
        currency="eur",
        session_id="cs_test_ada",
        payment_intent="pi_ada",
        customer="cus_ada",
    )

    deliver(body)

    member = User.objects.get()
    assert member.email == "Ada@example.test"
    assert member.name == "Ada Lovelace"
    assert member.has_usable_password() is False
    order = Order.objects.get()
    assert (order.provider, order.provider_ref, order.status) == ("stripe", "cs_test_ada", "paid")
    assert (order.product, order.price, order.amount, order.currency) == (
        course_price.product,
        course_price,
        4900,
        "EUR",
    )
    assert order.is_test is True
    assert order.customer == Customer.objects.get(provider_customer_id="cus_ada", member=member)
    payment = Payment.objects.get()
    assert (payment.provider_ref, payment.payment_intent_ref, payment.amount) == (
        "cs_test_ada",
        "pi_ada",
        4900,
    )
    grant = AccessGrant.objects.get()
    assert (grant.member, grant.product, grant.state, grant.source) == (
        member,
        course_price.product,
        AccessGrant.State.ACTIVE,
        AccessGrant.Source.STRIPE,
    )
    assert grant.paid_through is None
    assert grant.order == order
    assert grant.is_test is True
    audit = GrantEvent.objects.get()
    assert audit.kind == GrantEvent.Kind.GRANTED
    assert audit.source_event == ProviderEvent.objects.get()
    order.refresh_from_db()
    assert order.welcome_sent_at is not None


def test_welcome_email_link_logs_in_asks_for_password_and_shows_the_product(
    deliver, course_price, mailoutbox, client
):
    deliver(build_event("checkout.session.completed", price_id="price_course", email="ada@x.test"))

    (message,) = mailoutbox
    assert message.to == ["ada@x.test"]
    assert "Habit course" in message.subject
    html = message.alternatives[0][0]
    path = LINK.search(message.body).group(1)
    assert path in html
    assert "choose a password" in message.body

    page = client.get(path)  # a mail scanner's GET does not use the link
    assert page.status_code == 200
    assert b'<form method="post">' in page.content
    assert User.objects.get().last_login is None

    response = client.post(path)
    assert response.status_code == 302
    assert response.url == "/login/set-password/"
    form = client.post(
        response.url,
        {"new_password1": "a-long-pass-phrase-9", "new_password2": "a-long-pass-phrase-9"},
    )
    assert form.status_code == 302
    assert form.url == "/members/"
    dashboard = client.get("/members/")
    assert dashboard.status_code == 200
    assert b"Habit course" in dashboard.content
    assert User.objects.get().check_password("a-long-pass-phrase-9")


def test_known_member_gets_purchase_ready_email_and_same_account(deliver, course_price, mailoutbox):
    member = UserFactory(email="ada@x.test")

    deliver(build_event("checkout.session.completed", price_id="price_course", email="ADA@x.test"))

    assert User.objects.count() == 1
    assert AccessGrant.objects.get().member == member
    (message,) = mailoutbox
    assert message.subject == "Your purchase is ready: Habit course"
    assert LINK.search(message.body)


def test_bundle_grants_each_product_in_it(deliver, bundle_price):
    deliver(build_event("checkout.session.completed", price_id="price_bundle", amount=5900))

    granted = sorted(AccessGrant.objects.values_list("product__slug", "state"))
    assert granted == [("mini", "active"), ("workbook", "active")]
    assert set(AccessGrant.objects.values_list("order__provider_ref", flat=True)) == {
        Order.objects.get().provider_ref
    }


def test_unpaid_delayed_payment_waits_for_async_success(deliver, course_price, mailoutbox):
    fields = {"price_id": "price_course", "email": "ada@x.test", "session_id": "cs_sepa"}
    deliver(build_event("checkout.session.completed", payment_status="unpaid", **fields))

    assert ProviderEvent.objects.get().status == ProviderEvent.Status.IGNORED
    assert AccessGrant.objects.count() == 0
    assert mailoutbox == []

    deliver(build_event("checkout.session.async_payment_succeeded", **fields))

    assert AccessGrant.objects.get().state == AccessGrant.State.ACTIVE
    assert Order.objects.get().provider_ref == "cs_sepa"
    assert len(mailoutbox) == 1


def test_async_payment_failed_grants_nothing(deliver, course_price, mailoutbox):
    body = build_event(
        "checkout.session.async_payment_failed", price_id="price_course", payment_status="unpaid"
    )
    deliver(body)
    assert ProviderEvent.objects.get().status == ProviderEvent.Status.IGNORED
    assert AccessGrant.objects.count() == 0
    assert mailoutbox == []


def test_no_payment_required_grants_like_a_payment(deliver, course_price):
    body = build_event(
        "checkout.session.completed",
        price_id="price_course",
        payment_status="no_payment_required",
        amount=0,
    )
    deliver(body)
    assert AccessGrant.objects.get().state == AccessGrant.State.ACTIVE
    assert Payment.objects.get().amount == 0


def test_repurchase_after_access_ended_reactivates_the_same_grant_keeping_history(
    deliver, course_price, mailoutbox
):
    member = UserFactory(email="ada@x.test")
    started = datetime(2025, 1, 1, tzinfo=UTC)
    grant = GrantFactory(
        member=member,
        product=course_price.product,
        state=AccessGrant.State.REVOKED,
        starts_at=started,
        ended_at=datetime(2025, 2, 1, tzinfo=UTC),
        end_reason="refunded",
    )
    GrantEvent.objects.create(grant=grant, kind=GrantEvent.Kind.REVOKED, at=grant.ended_at)

    deliver(build_event("checkout.session.completed", price_id="price_course", email="ada@x.test"))

    grant.refresh_from_db()
    assert AccessGrant.objects.count() == 1
    assert grant.state == AccessGrant.State.ACTIVE
    assert grant.ended_at is None
    assert grant.end_reason == ""
    assert grant.starts_at == started  # the drip clock continues (product default)
    assert list(grant.events.values_list("kind", flat=True)) == ["revoked", "reactivated"]
    assert len(mailoutbox) == 1


def test_invoice_is_issued_for_each_new_payment_inside_the_transaction(
    deliver, course_price, monkeypatch
):
    issued = []

    def record(*, payment, now, buyer):
        stored = Payment.objects.filter(pk=payment.pk).exists()
        issued.append((payment.provider_ref, payment.amount, stored, buyer.email))

    monkeypatch.setattr("billing.services.orders.issue_invoice_for_payment", record)
    body = build_event(
        "checkout.session.completed",
        price_id="price_course",
        session_id="cs_inv",
        email="ada@x.test",
    )

    deliver(body)
    deliver(body)

    assert issued == [("cs_inv", 4900, True, "ada@x.test")]


def test_the_welcome_subject_reads_as_the_product_is_named(deliver, course_price, mailoutbox):
    course_price.product.name = "Tom & Jerry's course"
    course_price.product.save()

    deliver(build_event("checkout.session.completed", price_id="price_course", email="a@x.test"))

    assert mailoutbox[0].subject == "Welcome! Your access to Tom & Jerry's course is ready"
