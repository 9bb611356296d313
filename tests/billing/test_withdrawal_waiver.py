"""The withdrawal-right waiver (``billing.waiver``): with it access starts at once and the e-mail
and invoice confirm it; without it the product is pending until day 14, computed from data."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import translation

from billing.models import Order
from billing.waiver import WAIVER_VERSION, release_withheld_grants, waiver_text
from invoices.models import Document
from members.access import lesson_state, product_allows_access
from members.explain import explain_product
from members.models import AccessGrant, GrantEvent, User
from tests.factories import LessonFactory, ModuleFactory
from tests.invoices.helpers import make_seller
from tests.payloads.stripe import build_event

pytestmark = pytest.mark.django_db

BOUGHT = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
OPENS = BOUGHT + timedelta(days=14)
TEXT_EN = (
    "I expressly agree that my access starts immediately, before the 14-day withdrawal period "
    "ends. I know that I lose my right of withdrawal once access has started."
)


def _buy(deliver, *, waiver=WAIVER_VERSION, **fields) -> None:
    fields = {"price_id": "price_course", "email": "ada@x.test", "amount": 4900, **fields}
    with time_machine.travel(BOUGHT, tick=False):
        deliver(build_event("checkout.session.completed", waiver=waiver, **fields))


def _access_rows(capsys, email="ada@x.test") -> list[dict]:
    call_command("access", email, "--json")
    return json.loads(capsys.readouterr().out)["products"]


def test_a_purchase_without_the_waiver_opens_only_on_day_14(deliver, course_price, capsys):
    lesson = LessonFactory(module=ModuleFactory(product=course_price.product), drip_days=0)
    make_seller()

    _buy(deliver, waiver=None)

    member = User.objects.get(email="ada@x.test")
    order = Order.objects.get()
    assert (order.withdrawal_waiver_version, order.withdrawal_waiver_at) == ("", None)
    grant = AccessGrant.objects.get()
    assert (grant.state, grant.withheld_until, grant.starts_at) == ("active", OPENS, OPENS)
    granted = grant.events.get(kind=GrantEvent.Kind.GRANTED)
    assert granted.reason.endswith("; no withdrawal waiver: access opens 2026-05-18 10:00 UTC")
    for moment in (BOUGHT, OPENS - timedelta(minutes=1)):
        assert product_allows_access(member=member, product=grant.product, now=moment) is False
        assert lesson_state(member=member, lesson=lesson, now=moment).has_access is False
    # No worker runs in between: the clock alone opens it.
    assert product_allows_access(member=member, product=grant.product, now=OPENS) is True
    assert lesson_state(member=member, lesson=lesson, now=OPENS).is_open is True
    with time_machine.travel(BOUGHT + timedelta(days=3), tick=False):
        (row,) = _access_rows(capsys)
    assert (row["state"], row["opens_at"], row["withdrawal_waiver"]) == (
        "pending",
        "2026-05-18T10:00:00+00:00",
        None,
    )
    with time_machine.travel(OPENS, tick=False):
        (row,) = _access_rows(capsys)
    assert (row["state"], row["opens_at"]) == ("active", None)
    invoice = Document.objects.get()
    assert (invoice.access_withheld_until, invoice.withdrawal_waiver_version) == (OPENS, "")


def test_the_invoice_and_the_welcome_email_say_when_access_opens_without_the_waiver(
    deliver, course_price, mailoutbox, client
):
    make_seller()

    _buy(deliver, waiver=None)

    welcome = next(message for message in mailoutbox if not message.attachments)
    assert "It opens after the 14-day withdrawal period" in welcome.body
    assert "so it opens on 18 May 2026" in welcome.body
    assert "Your access is ready" not in welcome.body
    client.force_login(User.objects.get(email="ada@x.test"))
    invoice = Document.objects.get()
    page = client.get(f"/members/invoices/{invoice.number}/").content.decode()
    assert "you did not agree that access starts before the 14-day withdrawal period" in page
    assert "Your access opens on 18 May 2026" in page


def test_with_the_waiver_access_is_immediate_and_the_email_quotes_the_text(
    deliver, course_price, mailoutbox, client
):
    make_seller()

    _buy(deliver)

    order = Order.objects.get()
    assert (order.withdrawal_waiver_version, order.withdrawal_waiver_at) == (WAIVER_VERSION, BOUGHT)
    grant = AccessGrant.objects.get()
    assert (grant.withheld_until, grant.starts_at) == (None, BOUGHT)
    member = grant.member
    assert product_allows_access(member=member, product=grant.product, now=BOUGHT) is True
    welcome = next(message for message in mailoutbox if not message.attachments)
    assert f'"{TEXT_EN}" (text version {WAIVER_VERSION})' in welcome.body
    assert TEXT_EN in welcome.alternatives[0][0]
    invoice = Document.objects.get()
    assert (invoice.withdrawal_waiver_version, invoice.withdrawal_waiver_at) == (
        WAIVER_VERSION,
        BOUGHT,
    )
    client.force_login(member)
    page = client.get(f"/members/invoices/{invoice.number}/").content.decode()
    assert f"(text version {WAIVER_VERSION})" in page
    assert TEXT_EN in page


def test_the_text_is_translated_and_the_german_buyer_reads_it_in_german(
    deliver, course_price, mailoutbox
):
    _buy(deliver, metadata={"price_id": "price_course", "language": "de"})

    (welcome,) = mailoutbox
    with translation.override("de"):
        german = waiver_text(WAIVER_VERSION)
    with translation.override("nl"):
        dutch = waiver_text(WAIVER_VERSION)
    assert german.startswith("Ich stimme ausdrücklich zu")
    assert dutch.startswith("Ik ga er uitdrukkelijk mee akkoord")
    assert german in welcome.body


def test_an_unknown_version_or_an_unticked_box_records_no_waiver(deliver, course_price):
    _buy(deliver, waiver="1999-v0")  # not a text we ever showed
    assert Order.objects.get().withdrawal_waiver_version == ""
    assert AccessGrant.objects.get().withheld_until == OPENS


def test_the_creator_switch_off_means_no_waiting(deliver, course_price):
    course_price.product.requires_withdrawal_waiver = False
    course_price.product.save()

    _buy(deliver, waiver=None)

    assert AccessGrant.objects.get().withheld_until is None


def test_switching_it_off_later_opens_the_waiting_grants_with_an_audit_row(
    deliver, course_price, creator
):
    _buy(deliver, waiver=None)
    product = course_price.product
    product.requires_withdrawal_waiver = False
    product.save()
    later = BOUGHT + timedelta(days=2)

    opened = release_withheld_grants(product=product, now=later, actor=creator)

    grant = AccessGrant.objects.get()
    assert opened == [grant.pk]
    assert (grant.withheld_until, grant.starts_at) == (None, later)
    note = grant.events.filter(kind=GrantEvent.Kind.NOTE).get()
    assert note.actor == creator
    assert "no longer required" in note.reason
    assert release_withheld_grants(product=product, now=later, actor=creator) == []


def test_a_subscription_whose_first_invoice_carries_the_waiver_opens_at_once(
    deliver, membership_price
):
    with time_machine.travel(BOUGHT, tick=False):
        deliver(build_event("invoice.paid", price_id="price_monthly", subscription="sub_1"))

    assert Order.objects.get().withdrawal_waiver_version == WAIVER_VERSION
    assert AccessGrant.objects.get().withheld_until is None


def test_a_late_checkout_event_with_the_waiver_opens_what_the_invoice_held_back(
    deliver, membership_price
):
    with time_machine.travel(BOUGHT, tick=False):
        deliver(
            build_event("invoice.paid", price_id="price_monthly", subscription="sub_1", waiver=None)
        )
    assert AccessGrant.objects.get().withheld_until == OPENS
    arrived = BOUGHT + timedelta(minutes=1)

    with time_machine.travel(arrived, tick=False):
        deliver(
            build_event("checkout.session.completed", mode="subscription", subscription="sub_1")
        )

    grant = AccessGrant.objects.get()
    assert (grant.withheld_until, grant.starts_at, grant.state) == (None, arrived, "active")
    assert Order.objects.get().withdrawal_waiver_at == arrived


def test_a_renewal_needs_no_new_waiver(deliver, membership_price):
    first = build_event(
        "invoice.paid",
        price_id="price_monthly",
        subscription="sub_1",
        period_end=int((BOUGHT + timedelta(days=31)).timestamp()),
    )
    with time_machine.travel(BOUGHT, tick=False):
        deliver(first)
    renewal = build_event(
        "invoice.paid",
        price_id="price_monthly",
        subscription="sub_1",
        billing_reason="subscription_cycle",
        waiver=None,
        period_end=int((BOUGHT + timedelta(days=61)).timestamp()),
    )
    with time_machine.travel(BOUGHT + timedelta(days=30), tick=False):
        deliver(renewal)

    grant = AccessGrant.objects.get()
    assert grant.withheld_until is None
    assert grant.paid_through == BOUGHT + timedelta(days=61)


def test_a_free_price_needs_no_waiver(deliver, course_price):
    course_price.amount = 0
    course_price.save()

    _buy(deliver, waiver=None, amount=0)

    assert AccessGrant.objects.get().withheld_until is None


def test_support_sees_why_in_explain(deliver, course_price):
    _buy(deliver, waiver=None)
    member = User.objects.get(email="ada@x.test")

    explanation = explain_product(
        member=member, product=course_price.product, now=BOUGHT + timedelta(days=1)
    )

    rule = next(rule for rule in explanation.rules if rule.rule == "withdrawal waiver")
    assert rule.value == (
        "none recorded: pending until 2026-05-18T10:00:00+00:00, when the 14-day withdrawal "
        "period is over"
    )


def test_the_member_area_says_why_and_when(deliver, course_price, client):
    _buy(deliver, waiver=None)
    client.force_login(User.objects.get(email="ada@x.test"))

    with time_machine.travel(BOUGHT + timedelta(days=1), tick=False):
        dashboard = client.get("/members/").content.decode()
        product_page = client.get(course_price.product.get_absolute_url())

    assert "Opens on 18 May 2026" in dashboard
    assert "Habit course opens on 18 May 2026" in dashboard
    assert "you did not agree that your access starts before the 14-day" in dashboard
    assert product_page.status_code == 403
    assert "Habit course is not open yet" in product_page.content.decode()
    assert "Buy again" not in product_page.content.decode()


def test_the_offline_checkout_requires_the_box_and_records_version_and_ip(
    client, course_price, offline_test_mode, django_capture_on_commit_callbacks
):
    url = f"/billing/checkout/test/{course_price.pk}/"
    page = client.get(url).content.decode()
    assert 'name="withdrawal_waiver"' in page
    assert "required" in page.split('name="withdrawal_waiver"')[1].split(">")[0]

    refused = client.post(url, {"email": "ada@x.test"})

    assert refused.status_code == 200
    assert "Please agree that your access starts at once, to buy." in refused.content.decode()
    assert Order.objects.count() == 0
    with (
        time_machine.travel(BOUGHT, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        client.post(url, {"email": "ada@x.test", "withdrawal_waiver": "on"})

    order = Order.objects.get()
    assert (order.withdrawal_waiver_version, order.withdrawal_waiver_ip) == (
        WAIVER_VERSION,
        "127.0.0.1",
    )
    assert AccessGrant.objects.get().withheld_until is None
