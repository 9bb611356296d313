"""The lapse sweep: past paid-through plus grace without payment becomes expired."""

from datetime import timedelta

import pytest
import time_machine

from drip import tasks
from drip.services import LAPSE_REASON, expire_lapsed_grants
from members.models import AccessGrant, GrantEvent
from tests.factories import ProductFactory
from tests.members.helpers import BOUGHT_AT, grant, make_member

pytestmark = pytest.mark.django_db
PAID_THROUGH = BOUGHT_AT + timedelta(days=30)


@pytest.fixture(autouse=True)
def _grace(settings):
    settings.MEMBERSHIP_GRACE_DAYS = 3


def run_sweep(at, capture) -> int:
    with time_machine.travel(at, tick=False), capture(execute=True):
        return tasks.expire_lapsed_grants.delay().get()


def test_a_grant_past_paid_through_plus_grace_expires_with_an_audit_row_and_an_email(
    mailoutbox, django_capture_on_commit_callbacks
):
    member = make_member(time_zone="UTC", name="Ada Lovelace")
    product = ProductFactory(name="Inner circle")
    lapsed = grant(member, product, state=AccessGrant.State.GRACE, paid_through=PAID_THROUGH)
    end = PAID_THROUGH + timedelta(days=3)

    assert run_sweep(end, django_capture_on_commit_callbacks) == 0  # last moment of grace
    assert run_sweep(end + timedelta(minutes=1), django_capture_on_commit_callbacks) == 1

    lapsed.refresh_from_db()
    assert (lapsed.state, lapsed.ended_at, lapsed.end_reason) == (
        AccessGrant.State.EXPIRED,
        end + timedelta(minutes=1),
        LAPSE_REASON,
    )
    events = GrantEvent.objects.filter(grant=lapsed).values_list("kind", "at", "reason")
    assert list(events) == [(GrantEvent.Kind.EXPIRED, end + timedelta(minutes=1), LAPSE_REASON)]
    assert len(mailoutbox) == 1
    assert mailoutbox[0].subject == "Your access to Inner circle has ended"
    assert "your access ended on 4 Dec 2025" in mailoutbox[0].body


def test_running_the_sweep_again_changes_nothing(mailoutbox, django_capture_on_commit_callbacks):
    grant(make_member(), ProductFactory(), paid_through=PAID_THROUGH)
    later = PAID_THROUGH + timedelta(days=4)

    run_sweep(later, django_capture_on_commit_callbacks)
    assert run_sweep(later + timedelta(hours=1), django_capture_on_commit_callbacks) == 0

    assert GrantEvent.objects.count() == 1
    assert len(mailoutbox) == 1


@pytest.mark.parametrize(
    "fields",
    [
        {"paid_through": None},  # lifetime access
        {"paid_through": PAID_THROUGH + timedelta(days=30)},  # renewed
        {"paid_through": PAID_THROUGH + timedelta(days=2)},  # in grace
        {"paid_through": PAID_THROUGH, "state": AccessGrant.State.REVOKED},  # already ended
    ],
)
def test_grants_that_have_not_lapsed_are_left_alone(
    mailoutbox, django_capture_on_commit_callbacks, fields
):
    kept = grant(make_member(), ProductFactory(), **fields)
    before = AccessGrant.objects.values().get(pk=kept.pk)

    run_sweep(PAID_THROUGH + timedelta(days=4), django_capture_on_commit_callbacks)

    assert AccessGrant.objects.values().get(pk=kept.pk) == before
    assert not GrantEvent.objects.exists()
    assert mailoutbox == []


def test_batches_cover_every_lapsed_grant(django_capture_on_commit_callbacks):
    for _ in range(5):
        grant(make_member(), ProductFactory(), paid_through=PAID_THROUGH)
    now = PAID_THROUGH + timedelta(days=4)

    with django_capture_on_commit_callbacks(execute=False):
        sizes = [len(expire_lapsed_grants(now=now, limit=2)) for _ in range(4)]

    assert sizes == [2, 2, 1, 0]
    assert set(AccessGrant.objects.values_list("state", flat=True)) == {AccessGrant.State.EXPIRED}


def test_a_cancelled_subscription_that_ran_out_ends_without_a_missed_payment_mail(
    mailoutbox, django_capture_on_commit_callbacks
):
    """No end event ever arrived, but the member had cancelled: nothing to fix, nothing to say."""
    from billing.models import Order, Subscription

    member = make_member(time_zone="UTC")
    product = ProductFactory(name="Inner circle")
    order = Order.objects.create(
        member=member, product=product, provider="stripe", provider_ref="sub_cancelled",
        status=Order.Status.PAID, amount=2900, currency="EUR",
    )  # fmt: skip
    Subscription.objects.create(
        member=member, order=order, provider="stripe", provider_ref="sub_cancelled",
        status=Subscription.Status.ACTIVE, current_period_end=PAID_THROUGH,
        cancel_at_period_end=True,
    )  # fmt: skip
    ran_out = grant(member, product, paid_through=PAID_THROUGH, order=order)
    unpaid = grant(make_member(), product, paid_through=PAID_THROUGH)

    run_sweep(PAID_THROUGH + timedelta(days=4), django_capture_on_commit_callbacks)

    ran_out.refresh_from_db()
    unpaid.refresh_from_db()
    assert (ran_out.state, ran_out.ended_unpaid) == (AccessGrant.State.EXPIRED, False)
    assert (unpaid.state, unpaid.ended_unpaid) == (AccessGrant.State.EXPIRED, True)
    assert [mail.to for mail in mailoutbox] == [[unpaid.member.email]]
