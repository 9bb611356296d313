"""Steps go out after their delay at the member's local morning, once, in their language."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from members.models import AccessGrant
from offers.models import Coupon
from offers.services import redeem_coupon
from outbox.models import OutboxMessage
from sequences.models import Enrolment, SequenceEmail, Step
from sequences.services import run_sequences
from tests.factories import ProductFactory
from tests.members.helpers import BOUGHT_AT, make_member
from tests.sequences.helpers import (
    Trigger,
    confirm_lead,
    ended_subscription,
    make_sequence,
    paid_order,
    run_beat,
)

pytestmark = pytest.mark.django_db

# BOUGHT_AT is 2025-11-01 12:00 UTC: 21:00 in Tokyo, 05:00 (PDT) in Los Angeles, where the
# clocks go back an hour on 2 November at 02:00.
ENROLLED = BOUGHT_AT + timedelta(minutes=15)


def recipients(mailoutbox) -> list[tuple[str, str]]:
    return [(mail.to[0], mail.subject) for mail in mailoutbox]


def test_steps_go_out_at_local_morning_in_two_zones_across_a_dst_change(
    mailoutbox, django_capture_on_commit_callbacks
):
    sequence = make_sequence(delays=(1, 2))
    tokyo = make_member(time_zone="Asia/Tokyo", name="Kenji Sato")
    los_angeles = make_member(time_zone="America/Los_Angeles", name="Lena Diaz")
    for member in (tokyo, los_angeles):
        confirm_lead(member, sequence.product)

    def run(at: datetime) -> None:
        run_beat(at, django_capture_on_commit_callbacks)

    run(ENROLLED)
    assert mailoutbox == []  # a delay of one day: the next local morning at the earliest

    run(datetime(2025, 11, 1, 22, 45, tzinfo=UTC))  # 07:45 on 2 Nov in Tokyo
    assert mailoutbox == []
    run(datetime(2025, 11, 1, 23, 0, tzinfo=UTC))  # 08:00 on 2 Nov in Tokyo
    assert recipients(mailoutbox) == [(tokyo.email, "Step 1 for Kenji")]

    # 08:00 PDT would be 15:00 UTC; after the change 08:00 PST is 16:00 UTC.
    run(datetime(2025, 11, 2, 15, 0, tzinfo=UTC))
    assert len(mailoutbox) == 1
    run(datetime(2025, 11, 2, 16, 0, tzinfo=UTC))
    assert recipients(mailoutbox)[1] == (los_angeles.email, "Step 1 for Lena")

    # Step 2 comes two days after step 1, again at 08:00 local.
    run(datetime(2025, 11, 3, 22, 45, tzinfo=UTC))
    assert len(mailoutbox) == 2
    run(datetime(2025, 11, 3, 23, 0, tzinfo=UTC))
    assert recipients(mailoutbox)[2] == (tokyo.email, "Step 2 for Kenji")
    run(datetime(2025, 11, 4, 16, 0, tzinfo=UTC))
    assert recipients(mailoutbox)[3] == (los_angeles.email, "Step 2 for Lena")

    run(datetime(2025, 11, 20, 16, 0, tzinfo=UTC))  # the steps ran out
    assert len(mailoutbox) == 4
    assert Enrolment.objects.filter(finished_at__isnull=False, next_due_at=None).count() == 2


def test_each_step_goes_out_once_however_often_the_beat_runs(
    mailoutbox, django_capture_on_commit_callbacks
):
    sequence = make_sequence(delays=(0, 1))
    member = make_member(time_zone="UTC")
    confirm_lead(member, sequence.product, at=datetime(2025, 11, 1, 6, 0, tzinfo=UTC))

    for minutes in (0, 15, 15, 30, 45):  # the 15-minute run twice
        run_beat(datetime(2025, 11, 1, 8, minutes, tzinfo=UTC), django_capture_on_commit_callbacks)

    assert [mail.subject for mail in mailoutbox] == ["Step 1 for " + member.get_short_name()]
    assert SequenceEmail.objects.count() == 1
    assert OutboxMessage.objects.filter(kind=OutboxMessage.Kind.SEQUENCE_EMAIL).count() == 1


def test_the_email_is_in_the_members_language_with_placeholders_and_unsubscribe_headers(
    mailoutbox, django_capture_on_commit_callbacks
):
    activator = ProductFactory(name="Quick-start kit", slug="quick-start-kit")
    sequence = make_sequence(delays=(1,), target=activator)
    german = make_member(time_zone="UTC", language="de", name="Jana Berg")
    dutch = make_member(time_zone="UTC", language="nl", name="Sem de Vries")  # no Dutch text
    default = make_member(time_zone="UTC", language="", name="Alex Reed")
    for member in (german, dutch, default):
        confirm_lead(member, sequence.product)

    run_beat(ENROLLED, django_capture_on_commit_callbacks)
    run_beat(datetime(2025, 11, 2, 8, 0, tzinfo=UTC), django_capture_on_commit_callbacks)

    by_member = {mail.to[0]: mail for mail in mailoutbox}
    assert by_member[german.email].subject == "Schritt 1"
    assert by_member[german.email].body.startswith(
        "Hallo Jana, Schritt 1: http://testserver/products/quick-start-kit/"
    )
    assert "Melde dich von diesen E-Mails ab" in by_member[german.email].alternatives[0][0]
    assert by_member[dutch.email].subject == "Step 1 for Sem"
    english = by_member[default.email]
    assert english.subject == "Step 1 for Alex"
    assert english.body.startswith(
        "Hello Alex, step 1: Quick-start kit at http://testserver/products/quick-start-kit/"
    )
    unsubscribe = english.extra_headers["List-Unsubscribe"]
    assert unsubscribe.startswith("<http://testserver/email/unsubscribe/")
    assert unsubscribe.strip("<>") in english.body
    assert english.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_a_purchase_of_the_target_stops_the_sequence(
    mailoutbox, django_capture_on_commit_callbacks
):
    activator = ProductFactory(name="Quick-start kit")
    sequence = make_sequence(delays=(1, 1, 1), target=activator)
    buyer = make_member(time_zone="UTC")
    stays = make_member(time_zone="UTC")
    for member in (buyer, stays):
        confirm_lead(member, sequence.product)
    run_beat(ENROLLED, django_capture_on_commit_callbacks)
    run_beat(datetime(2025, 11, 2, 8, 0, tzinfo=UTC), django_capture_on_commit_callbacks)
    assert len(mailoutbox) == 2

    paid_order(buyer, activator, at=datetime(2025, 11, 2, 12, 0, tzinfo=UTC))
    run_beat(datetime(2025, 11, 3, 8, 0, tzinfo=UTC), django_capture_on_commit_callbacks)
    run_beat(datetime(2025, 11, 4, 8, 0, tzinfo=UTC), django_capture_on_commit_callbacks)

    assert [mail.to[0] for mail in mailoutbox[2:]] == [stays.email, stays.email]
    enrolment = Enrolment.objects.get(member=buyer)
    assert enrolment.stop_reason == Enrolment.StopReason.TARGET_BOUGHT
    assert enrolment.next_due_at is None


def test_a_member_who_owns_the_target_already_gets_nothing(
    mailoutbox, django_capture_on_commit_callbacks
):
    activator = ProductFactory()
    sequence = make_sequence(delays=(0,), target=activator)
    member = make_member(time_zone="UTC")
    confirm_lead(member, sequence.product)
    paid_order(member, activator, at=BOUGHT_AT - timedelta(days=100))
    AccessGrant.objects.create(
        member=member, product=activator, state="active", source="stripe", starts_at=BOUGHT_AT
    )

    run_beat(ENROLLED, django_capture_on_commit_callbacks)
    run_beat(datetime(2025, 11, 2, 8, 0, tzinfo=UTC), django_capture_on_commit_callbacks)

    assert mailoutbox == []
    assert Enrolment.objects.get().stop_reason == Enrolment.StopReason.TARGET_BOUGHT


def test_win_back_carries_the_coupon_and_a_new_subscription_stops_it(
    mailoutbox, django_capture_on_commit_callbacks
):
    membership = ProductFactory(kind="membership", name="Inner circle")
    Coupon.objects.create(code="COMEBACK10", percent_off=Decimal("10"))
    sequence = make_sequence(
        trigger=Trigger.SUBSCRIPTION_ENDED,
        product=membership,
        target=membership,
        delays=(1, 3),
        coupon_code="COMEBACK10",
    )
    sequence.steps.update(body_en="We miss you, {first_name}. Use {coupon} at {link}")
    member = make_member(time_zone="UTC", name="Ada Byron", language="en")
    ended_subscription(member, membership)

    run_beat(ENROLLED, django_capture_on_commit_callbacks)
    run_beat(datetime(2025, 11, 2, 8, 0, tzinfo=UTC), django_capture_on_commit_callbacks)
    assert mailoutbox[0].body.startswith(
        f"We miss you, Ada. Use COMEBACK10 at http://testserver/products/{membership.slug}/"
    )

    paid_order(member, membership, at=datetime(2025, 11, 3, 9, 0, tzinfo=UTC))
    run_beat(datetime(2025, 11, 5, 8, 0, tzinfo=UTC), django_capture_on_commit_callbacks)
    assert len(mailoutbox) == 1


def _win_back_with_coupon(**coupon_fields):
    membership = ProductFactory(kind="membership", name="Inner circle")
    coupon = Coupon.objects.create(code="COMEBACK10", percent_off=Decimal("10"), **coupon_fields)
    sequence = make_sequence(
        trigger=Trigger.SUBSCRIPTION_ENDED,
        product=membership,
        target=membership,
        delays=(1, 3),
        coupon_code="COMEBACK10",
    )
    sequence.steps.update(body_en="Use {coupon} at {link}")
    member = make_member(time_zone="UTC", name="Ada Byron", language="en")
    ended_subscription(member, membership)
    return coupon, member, membership


@pytest.mark.parametrize("why", ["expired", "inactive", "used_up"])
def test_a_win_back_e_mail_whose_coupon_became_unusable_is_not_sent_and_says_why(
    mailoutbox, django_capture_on_commit_callbacks, why
):
    day_two = datetime(2025, 11, 2, 8, 0, tzinfo=UTC)
    coupon, member, membership = _win_back_with_coupon(max_redemptions=1)
    run_beat(ENROLLED, django_capture_on_commit_callbacks)
    if why == "expired":  # valid until the evening before the e-mail goes out
        coupon.valid_until = day_two - timedelta(hours=10)
    elif why == "inactive":
        coupon.is_active = False
    else:
        other = make_member(time_zone="UTC", email="other@example.test")
        redeem_coupon(
            coupon=coupon,
            order=paid_order(other, membership, at=ENROLLED),
            amount=290,
            currency="EUR",
            now=ENROLLED,
        )
    coupon.save()

    run_beat(day_two, django_capture_on_commit_callbacks)

    assert mailoutbox == []
    email = SequenceEmail.objects.get(enrolment__member=member)
    assert email.status == SequenceEmail.Status.COUPON_INVALID
    assert email.sent_at is None


def test_a_step_without_the_coupon_in_its_text_goes_out_whatever_the_coupon(
    mailoutbox, django_capture_on_commit_callbacks
):
    coupon, member, _membership = _win_back_with_coupon()
    Coupon.objects.filter(pk=coupon.pk).update(is_active=False)
    Step.objects.update(body_en="We miss you at {link}")
    run_beat(ENROLLED, django_capture_on_commit_callbacks)
    run_beat(datetime(2025, 11, 2, 8, 0, tzinfo=UTC), django_capture_on_commit_callbacks)

    assert len(mailoutbox) == 1


def _enrol_due_members(count: int) -> datetime:
    sequence = make_sequence(delays=(1, 1))
    for number in range(count):
        zone = "Europe/Berlin" if number % 2 else "Asia/Tokyo"
        confirm_lead(make_member(time_zone=zone), sequence.product)
    run_sequences(now=ENROLLED)
    return datetime(2025, 11, 2, 9, 0, tzinfo=UTC)  # step 1 due in both zones


@pytest.mark.parametrize("members", [2, 40])
def test_a_beat_run_takes_the_same_queries_whatever_the_number_of_members(members):
    due = _enrol_due_members(members)
    confirm_lead(make_member(), ProductFactory())  # a trigger no sequence watches

    with CaptureQueriesContext(connection) as queries:
        result = run_sequences(now=due)

    assert result["handled"] == members
    assert SequenceEmail.objects.count() == members
    # Enrol: steps, sequences, one trigger query per sequence (3); stop: 4 checks; the claim:
    # steps, select due, insert e-mails, insert outbox rows (one statement for both on
    # PostgreSQL), one enrolment update per group moving alike (2 zones: 2) = 6 (5); the last,
    # empty claim: steps, select due (2).
    statements = [
        query["sql"]
        for query in queries.captured_queries
        if not query["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]
    assert len(statements) == (14 if connection.vendor == "postgresql" else 15)
