"""Each trigger enrols a member once, from data other apps keep; nothing else enrols."""

from datetime import timedelta

import pytest

from billing.models import Order
from members.models import AccessGrant
from sequences.models import Enrolment
from tests.factories import ProductFactory
from tests.members.helpers import BOUGHT_AT, grant, make_member
from tests.sequences.helpers import (
    SEQUENCE_FROM,
    Trigger,
    confirm_lead,
    ended_subscription,
    make_sequence,
    paid_order,
    run_beat,
)

pytestmark = pytest.mark.django_db

SOON = BOUGHT_AT + timedelta(minutes=15)


def enrolled(sequence) -> list[str]:
    return sorted(
        Enrolment.objects.filter(sequence=sequence).values_list("member__email", flat=True)
    )


def test_a_confirmed_lead_magnet_enrols_once(django_capture_on_commit_callbacks):
    sequence = make_sequence(trigger=Trigger.LEAD_CONFIRMED)
    lead = make_member()
    confirm_lead(lead, sequence.product)
    bought_it = make_member()  # the same product, but not through the lead magnet
    grant(bought_it, sequence.product, source=AccessGrant.Source.STRIPE)

    assert run_beat(SOON, django_capture_on_commit_callbacks)["enrolled"] == 1
    assert (
        run_beat(SOON + timedelta(minutes=15), django_capture_on_commit_callbacks)["enrolled"] == 0
    )

    assert enrolled(sequence) == [lead.email]
    enrolment = Enrolment.objects.get()
    assert enrolment.triggered_at == BOUGHT_AT
    assert enrolment.enrolled_at == SOON


def test_a_paid_order_enrols_once_even_with_two_orders(django_capture_on_commit_callbacks):
    course = ProductFactory()
    sequence = make_sequence(trigger=Trigger.PURCHASE, product=course)
    buyer = make_member()
    paid_order(buyer, course, at=BOUGHT_AT - timedelta(days=1))
    paid_order(buyer, course)
    test_buyer = make_member()
    paid_order(test_buyer, course, is_test=True)
    paid_order(make_member(), course, status=Order.Status.PENDING)
    paid_order(make_member(), ProductFactory())  # another product

    run_beat(SOON, django_capture_on_commit_callbacks)
    run_beat(SOON + timedelta(hours=1), django_capture_on_commit_callbacks)

    assert enrolled(sequence) == sorted([buyer.email, test_buyer.email])
    assert Enrolment.objects.get(member=buyer).triggered_at == BOUGHT_AT - timedelta(days=1)
    # Test-mode purchases enrol like live ones (as drip treats test grants); marked as such.
    assert Enrolment.objects.get(member=test_buyer).is_test is True


def test_an_ended_subscription_or_unpaid_lapse_enrols_in_win_back(
    django_capture_on_commit_callbacks,
):
    membership = ProductFactory(kind="membership")
    sequence = make_sequence(trigger=Trigger.SUBSCRIPTION_ENDED, product=membership)
    cancelled = make_member()
    ended_subscription(cancelled, membership)
    lapsed = make_member()
    grant(
        lapsed,
        membership,
        state=AccessGrant.State.EXPIRED,
        ended_unpaid=True,
        ended_at=BOUGHT_AT,
    )
    paying = make_member()
    grant(paying, membership)
    back_already = make_member()  # ended, but has live access again (bought once more)
    ended_subscription(back_already, membership)
    AccessGrant.objects.filter(member=back_already).update(state=AccessGrant.State.ACTIVE)

    run_beat(SOON, django_capture_on_commit_callbacks)
    run_beat(SOON + timedelta(hours=1), django_capture_on_commit_callbacks)

    assert enrolled(sequence) == sorted([cancelled.email, lapsed.email])


def test_triggers_before_the_sequence_started_or_of_paused_sequences_do_not_enrol(
    django_capture_on_commit_callbacks,
):
    sequence = make_sequence(trigger=Trigger.LEAD_CONFIRMED)
    paused = make_sequence(trigger=Trigger.LEAD_CONFIRMED, product=sequence.product)
    paused.is_active = False
    paused.save()
    confirm_lead(make_member(), sequence.product, at=SEQUENCE_FROM - timedelta(seconds=1))
    inactive = make_member(is_active=False)
    confirm_lead(inactive, sequence.product)

    run_beat(SOON, django_capture_on_commit_callbacks)

    assert not Enrolment.objects.exists()
