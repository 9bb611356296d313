"""Digistore24 IPNs through ``/billing/webhooks/digistore24/``: what buyers and creators notice.

Every delivery is a form body shaped as Digistore24 posts it, signed with the real ``sha_sign``;
the commit callbacks run, so processing (eager Celery) and e-mails happen as in production.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.core.management import call_command

from billing.models import Order, Payment, ProviderEvent, Subscription
from billing.services import reprocess_events
from invoices.models import Document
from members.models import AccessGrant, User
from tests.factories import CourseFactory, PriceFactory, UserFactory
from tests.payloads.digistore24 import (
    FORM,
    PASSPHRASE,
    URL,
    build_ipn,
    encode,
    signed,
    signed_body,
    subscription_payment,
)

pytestmark = pytest.mark.django_db

OK = "OK\nloginurl: http://testserver/members/\n"
T0 = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)  # just after the template's 10:15 Berlin payment
APRIL_1_BERLIN = datetime(2025, 3, 31, 22, 0, tzinfo=UTC)
MAY_1_BERLIN = datetime(2025, 4, 30, 22, 0, tzinfo=UTC)
State = AccessGrant.State


@pytest.fixture(autouse=True)
def passphrase(settings):
    settings.DIGISTORE24_IPN_PASSPHRASE = PASSPHRASE
    return PASSPHRASE


@pytest.fixture
def course(db):
    product = CourseFactory(
        name="Habit course", slug="habit-course", digistore24_product_id="510001"
    )
    PriceFactory(product=product, amount=4900, currency="EUR", stripe_price_id="price_course")
    return product


@pytest.fixture
def post_ipn(client, django_capture_on_commit_callbacks):
    """POST a form body (signed unless ``body`` is given) and run what its commit queues."""

    def _post(fields: dict | None = None, *, body: str | None = None, at: datetime = T0):
        data = signed_body(fields) if body is None else body
        with (
            time_machine.travel(at, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            return client.post(URL, data=data, content_type=FORM)

    return _post


def nothing_written() -> bool:
    return not (
        ProviderEvent.objects.exists()
        or User.objects.exists()
        or Order.objects.exists()
        or AccessGrant.objects.exists()
    )


def access_lines(email: str, capsys, at: datetime = T0) -> list[str]:
    with time_machine.travel(at, tick=False):
        call_command("access", email)
    return capsys.readouterr().out.strip().splitlines()


# --- a purchase ------------------------------------------------------------------------------


def test_on_payment_gives_an_active_grant_and_the_welcome_email(post_ipn, course, mailoutbox):
    fields = build_ipn("on_payment", order_id="ORDJM001", transaction_id="71000001")
    fields["email"] = fields["buyer_email"] = "Joerg.Mueller@Example.TEST"

    response = post_ipn(fields)

    assert (response.status_code, response.content.decode()) == (200, OK)
    member = User.objects.get()
    assert member.email == "Joerg.Mueller@example.test"
    assert member.name == "Jörg Müller"
    assert member.language == "de"  # the IPN's language: his e-mails come in German
    grant = AccessGrant.objects.get()
    assert (grant.member, grant.product, grant.state, grant.source) == (
        member,
        course,
        State.ACTIVE,
        AccessGrant.Source.DIGISTORE24,
    )
    assert (grant.paid_through, grant.is_test) == (None, False)
    order = Order.objects.get()
    assert (order.provider, order.provider_ref, order.amount, order.currency) == (
        "digistore24",
        "ORDJM001:510001",
        4900,
        "EUR",
    )
    assert order.invoice_url == "https://www.digistore24.com/invoice/ORDTEST1"
    assert Payment.objects.get().provider_ref == "71000001"
    event = ProviderEvent.objects.get()
    assert (event.provider, event.event_id, event.event_type, event.status) == (
        "digistore24",
        "on_payment:71000001",
        "on_payment",
        "processed",
    )
    (message,) = mailoutbox
    assert message.to == ["Joerg.Mueller@example.test"]
    assert "Habit course" in message.subject
    assert "http://testserver/login/" in message.body
    assert Document.objects.count() == 0  # Digistore24 invoices its buyers itself


def test_an_existing_member_is_found_case_insensitively(post_ipn, course, mailoutbox):
    member = UserFactory(email="ada@example.test")
    fields = build_ipn("on_payment", email="ADA@Example.Test", buyer_email="ADA@Example.Test")

    assert post_ipn(fields).status_code == 200

    assert User.objects.count() == 1
    assert AccessGrant.objects.get().member == member
    (message,) = mailoutbox
    assert message.subject == "Your purchase is ready: Habit course"


def test_the_access_command_shows_the_active_grant(post_ipn, course, capsys):
    post_ipn(build_ipn("on_payment", email="ada@example.test", transaction_id="71000009"))

    assert access_lines("ADA@example.test", capsys) == [
        "Habit course  |  active  |  since 2025-03-01 09:30 UTC  |  until lifetime  |  "
        "source digistore24  |  first used never  |  last: granted (payment 71000009)"
    ]


def test_a_test_mode_ipn_is_processed_and_marked_as_test(post_ipn, course, capsys):
    post_ipn(build_ipn("on_payment", api_mode="test", email="ada@example.test"))

    assert ProviderEvent.objects.get().is_test is True
    assert Order.objects.get().is_test is True
    assert AccessGrant.objects.get().is_test is True
    assert "active (test)" in access_lines("ada@example.test", capsys)[0]


def test_a_duplicate_delivery_is_answered_ok_and_changes_nothing(post_ipn, course, mailoutbox):
    body = signed_body(build_ipn("on_payment", transaction_id="71000001"))

    first = post_ipn(body=body)
    second = post_ipn(body=body, at=datetime(2025, 3, 1, 9, 33, tzinfo=UTC))

    assert [first.content.decode(), second.content.decode()] == [OK, OK]
    assert ProviderEvent.objects.get().attempts == 1
    assert (Order.objects.count(), Payment.objects.count(), AccessGrant.objects.count()) == (
        1,
        1,
        1,
    )
    assert len(mailoutbox) == 1


# --- refused deliveries ------------------------------------------------------------------------


def test_a_forged_signature_is_refused_and_writes_nothing(post_ipn, course, mailoutbox):
    body = encode({**build_ipn("on_payment"), "sha_sign": "AB" * 64})
    response = post_ipn(body=body)
    assert response.status_code == 403
    assert nothing_written()
    assert mailoutbox == []


def test_a_missing_signature_is_refused_and_writes_nothing(post_ipn, course):
    assert post_ipn(body=encode(build_ipn("on_payment"))).status_code == 400
    assert nothing_written()


def test_a_tampered_field_is_refused_and_writes_nothing(post_ipn, course):
    fields = signed(build_ipn("on_payment", email="buyer@example.test"))
    fields["email"] = "freeloader@example.test"
    assert post_ipn(body=encode(fields)).status_code == 403
    assert nothing_written()


def test_without_a_configured_passphrase_every_ipn_is_refused(post_ipn, course, settings):
    settings.DIGISTORE24_IPN_PASSPHRASE = ""
    response = post_ipn(body=signed_body(build_ipn("on_payment"), passphrase=""))
    assert response.status_code == 403
    assert nothing_written()


def test_a_json_body_is_refused(client, course):
    response = client.post(URL, data={"event": "on_payment"}, content_type="application/json")
    assert response.status_code == 415
    assert nothing_written()


def test_the_registration_get_is_answered_ok_and_changes_nothing(client, course):
    plain = client.get(URL)
    with_parameters = client.get(f"{URL}?{signed_body(build_ipn('on_payment'))}")

    for response in (plain, with_parameters):
        assert (response.status_code, response.content) == (200, b"OK")
    assert nothing_written()


# --- subscriptions: rebill, missed payment, cancellation, end ------------------------------


def first_payment(post_ipn, **fields):
    ipn = subscription_payment(
        1, "2025-04-01", order_id="ORDSUB01", transaction_id="72000001", **fields
    )
    assert post_ipn(ipn).content.decode() == OK
    return ipn


def test_a_rebill_extends_paid_through_to_next_payment_at(post_ipn, membership, mailoutbox):
    first_payment(post_ipn)
    grant = AccessGrant.objects.get()
    assert (grant.product, grant.state, grant.paid_through) == (
        membership,
        State.ACTIVE,
        APRIL_1_BERLIN,
    )

    rebill = subscription_payment(
        2,
        "2025-05-01",
        order_id="ORDSUB01",
        transaction_id="72000002",
        transaction_date="2025-04-01 06:00:00",
    )
    assert post_ipn(rebill, at=datetime(2025, 4, 1, 4, 5, tzinfo=UTC)).status_code == 200

    grant.refresh_from_db()
    assert (grant.state, grant.paid_through) == (State.ACTIVE, MAY_1_BERLIN)
    assert Subscription.objects.get().current_period_end == MAY_1_BERLIN
    assert list(Payment.objects.order_by("paid_at").values_list("provider_ref", "amount")) == [
        ("72000001", 2900),
        ("72000002", 2900),
    ]
    assert len(mailoutbox) == 1  # the welcome e-mail only


def test_a_missed_payment_gives_grace_and_a_late_payment_lifts_it(post_ipn, membership, mailoutbox):
    first_payment(post_ipn)
    missed = build_ipn(
        "on_payment_missed",
        order_id="ORDSUB01",
        product_id="510003",
        transaction_date="2025-04-01 06:00:00",
    )

    assert post_ipn(missed, at=datetime(2025, 4, 1, 4, 5, tzinfo=UTC)).status_code == 200

    grant = AccessGrant.objects.get()
    assert (grant.state, grant.paid_through) == (State.GRACE, APRIL_1_BERLIN)
    assert Subscription.objects.get().status == Subscription.Status.PAST_DUE
    assert len(mailoutbox) == 2  # welcome, then "your payment failed"

    late = subscription_payment(
        2,
        "2025-05-01",
        order_id="ORDSUB01",
        transaction_id="72000002",
        transaction_date="2025-04-02 09:00:00",
    )
    post_ipn(late, at=datetime(2025, 4, 2, 7, 5, tzinfo=UTC))

    grant.refresh_from_db()
    assert (grant.state, grant.paid_through) == (State.ACTIVE, MAY_1_BERLIN)
    assert Subscription.objects.get().status == Subscription.Status.ACTIVE


def test_rebill_resumed_by_support_lifts_the_suspension(post_ipn, membership):
    """Contract: support restarted rebilling (no money moved): lift a suspension only."""
    first_payment(post_ipn)
    post_ipn(
        build_ipn(
            "on_payment_missed",
            order_id="ORDSUB01",
            product_id="510003",
            transaction_date="2025-04-01 06:00:00",
        ),
        at=datetime(2025, 4, 1, 4, 5, tzinfo=UTC),
    )
    post_ipn(
        build_ipn(
            "on_rebill_resumed",
            order_id="ORDSUB01",
            product_id="510003",
            transaction_date="2025-04-02 10:00:00",
        ),
        at=datetime(2025, 4, 2, 8, 5, tzinfo=UTC),
    )

    grant = AccessGrant.objects.get()
    assert (grant.state, grant.paid_through) == (State.ACTIVE, APRIL_1_BERLIN)  # no money moved
    assert Subscription.objects.get().status == Subscription.Status.ACTIVE
    assert list(grant.events.values_list("kind", flat=True))[-2:] == ["grace", "restored"]


def test_rebill_cancelled_keeps_access_until_last_paid_day_ends_it(post_ipn, membership):
    first_payment(post_ipn)
    cancelled = build_ipn(
        "on_rebill_cancelled",
        order_id="ORDSUB01",
        product_id="510003",
        transaction_date="2025-03-10 12:00:00",
        next_payment_at="2025-04-01",
    )
    post_ipn(cancelled, at=datetime(2025, 3, 10, 11, 5, tzinfo=UTC))

    subscription = Subscription.objects.get()
    assert (subscription.cancel_at_period_end, subscription.status) == (True, "active")
    grant = AccessGrant.objects.get()
    assert (grant.state, grant.paid_through) == (State.ACTIVE, APRIL_1_BERLIN)

    resumed = build_ipn(
        "on_rebill_resumed",
        order_id="ORDSUB01",
        product_id="510003",
        transaction_date="2025-03-12 12:00:00",
    )
    post_ipn(resumed, at=datetime(2025, 3, 12, 11, 5, tzinfo=UTC))
    assert Subscription.objects.get().cancel_at_period_end is False

    last_day = build_ipn(
        "last_paid_day",
        order_id="ORDSUB01",
        product_id="510003",
        transaction_date="2025-04-01 00:00:00",
    )
    post_ipn(last_day, at=datetime(2025, 4, 1, 0, 5, tzinfo=UTC))

    grant.refresh_from_db()
    assert grant.state == State.EXPIRED
    assert grant.end_reason == "Digistore24: last paid day"
    assert Subscription.objects.get().status == Subscription.Status.CANCELED
    statuses = set(ProviderEvent.objects.values_list("status", flat=True))
    assert statuses == {"processed"}


# --- refunds and chargebacks -----------------------------------------------------------------


def test_a_refund_ends_access_and_a_replayed_payment_does_not_reopen_it(post_ipn, course, capsys):
    payment = build_ipn(
        "on_payment", order_id="ORDJM001", transaction_id="71000001", email="ada@example.test"
    )
    payment_body = signed_body(payment)
    post_ipn(body=payment_body)
    refund = build_ipn(
        "on_refund",
        order_id="ORDJM001",
        transaction_id="74000001",
        parent_transaction_id="71000001",
        transaction_amount="-49.00",
        transaction_date="2025-03-05 16:30:00",
    )

    assert post_ipn(refund, at=datetime(2025, 3, 5, 15, 35, tzinfo=UTC)).content.decode() == OK

    grant = AccessGrant.objects.get()
    assert grant.state == State.REVOKED
    assert Order.objects.get().status == Order.Status.REFUNDED
    assert Payment.objects.get().status == Payment.Status.REFUNDED

    replay = post_ipn(body=payment_body, at=datetime(2025, 3, 20, 8, 0, tzinfo=UTC))

    assert replay.content.decode() == OK
    grant.refresh_from_db()
    assert grant.state == State.REVOKED
    assert Payment.objects.count() == 1
    later = datetime(2025, 3, 20, 8, 0, tzinfo=UTC)
    assert access_lines("ada@example.test", capsys, at=later)[0].startswith(
        "Habit course  |  revoked  |"
    )


def test_a_chargeback_ends_access(post_ipn, course):
    post_ipn(build_ipn("on_payment", order_id="ORDJM001", transaction_id="71000001"))
    chargeback = build_ipn(
        "on_chargeback",
        order_id="ORDJM001",
        transaction_id="75000001",
        parent_transaction_id="71000001",
        transaction_amount="-49.00",
        transaction_date="2025-03-20 08:00:00",
    )

    post_ipn(chargeback, at=datetime(2025, 3, 20, 7, 5, tzinfo=UTC))

    assert AccessGrant.objects.get().state == State.REVOKED
    assert Order.objects.get().status == Order.Status.CHARGED_BACK
    assert ProviderEvent.objects.get(event_type="on_chargeback").status == "processed"


# --- events we ignore, failures, reprocessing ------------------------------------------------


def test_connection_test_is_stored_ignored_and_answered_ok(post_ipn):
    fields = build_ipn("connection_test", product_id="", email="", transaction_amount="")

    assert post_ipn(fields).content.decode() == OK

    event = ProviderEvent.objects.get()
    assert (event.event_type, event.status) == ("connection_test", "ignored")
    assert not User.objects.exists()


def test_a_bad_amount_is_stored_failed_naming_the_field(post_ipn, course, mailoutbox):
    response = post_ipn(build_ipn("on_payment", transaction_amount="abc"))

    assert response.content.decode() == OK
    event = ProviderEvent.objects.get()
    assert event.status == "failed"
    assert "Digistore24 field transaction_amount is not an amount: 'abc'" in event.error
    assert (User.objects.count(), Order.objects.count(), AccessGrant.objects.count()) == (0, 0, 0)
    assert mailoutbox == []


def test_an_unknown_product_fails_then_completes_once_the_creator_maps_it(
    post_ipn, mailoutbox, django_capture_on_commit_callbacks
):
    course = CourseFactory(name="Habit course", slug="habit-course")
    post_ipn(build_ipn("on_payment", product_id="999999", email="ada@example.test"))
    event = ProviderEvent.objects.get()
    assert event.status == "failed"
    assert "unknown Digistore24 product id 999999" in event.error
    assert not User.objects.exists()

    course.digistore24_product_id = "999999"
    course.save(update_fields=["digistore24_product_id"])
    with django_capture_on_commit_callbacks(execute=True):
        results = reprocess_events(now=T0, pks=[event.pk])

    assert [status for _event, status in results] == ["processed"]
    grant = AccessGrant.objects.get()
    assert (grant.member.email, grant.product, grant.state) == (
        "ada@example.test",
        course,
        State.ACTIVE,
    )
    assert len(mailoutbox) == 1


def test_a_purchase_of_the_demo_course_by_its_digistore24_id(
    post_ipn, mailoutbox, capsys, settings
):
    settings.DEBUG = True  # seed_demo runs on a development site
    call_command("seed_demo")
    settings.DEBUG = False
    capsys.readouterr()
    fields = build_ipn(
        "on_payment", product_id="510002", transaction_id="71000042", email="ada@example.test"
    )

    assert post_ipn(fields).content.decode() == OK

    assert access_lines("ada@example.test", capsys)[0].startswith(
        "Six-day habit course  |  active  |"
    )
    (message,) = mailoutbox
    assert message.to == ["ada@example.test"]


def test_an_upsell_in_the_same_order_is_its_own_purchase_and_refunds_alone(post_ipn, course):
    workbook = CourseFactory(name="Workbook", slug="workbook", digistore24_product_id="510009")
    main = build_ipn(
        "on_payment", order_id="ORDUP001", transaction_id="75000001", email="ada@example.test"
    )
    upsell = build_ipn(
        "on_payment", order_id="ORDUP001", product_id="510009", transaction_id="75000002",
        email="ada@example.test", amount="19.00", transaction_amount="19.00",
    )  # fmt: skip
    post_ipn(main)
    post_ipn(upsell)
    assert sorted(Order.objects.values_list("provider_ref", "product__slug")) == [
        ("ORDUP001:510001", "habit-course"),
        ("ORDUP001:510009", "workbook"),
    ]

    refund = build_ipn(
        "on_refund", order_id="ORDUP001", product_id="510009", transaction_id="75000003",
        parent_transaction_id="75000002", transaction_amount="-19.00",
        transaction_date="2025-03-05 16:30:00",
    )  # fmt: skip
    post_ipn(refund, at=datetime(2025, 3, 5, 15, 35, tzinfo=UTC))

    states = dict(AccessGrant.objects.values_list("product__slug", "state"))
    assert states == {"habit-course": State.ACTIVE, workbook.slug: State.REVOKED}
