"""What enrols a member: one query per active sequence over data other apps already keep.

* lead magnet confirmed: an access grant of the watched (free) product with source "free"
  (the lead magnet's confirmation creates it);
* purchase: a paid order of the watched product;
* win-back: a subscription of the watched product that ended (cancelled and run out, or ended
  at the provider), or a grant of it that expired for want of payment; not while the member
  has live access to the product again.

Each query yields ``(member_pk, triggered_at, is_test, time_zone)`` for triggers from the
sequence's ``enrol_from`` on, of active members not yet enrolled. Test-mode purchases enrol like
live ones (as the drip notices treat test-mode grants); the enrolment keeps ``is_test``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.db.models import Exists, OuterRef, QuerySet

from billing.models import Order, Subscription
from members.access import LIVE_STATES
from members.models import AccessGrant
from sequences.models import Enrolment, Sequence

Trigger = Sequence.Trigger
Row = tuple[int, object, bool, str]


def _not_enrolled(sequence: Sequence) -> Exists:
    return ~Exists(
        Enrolment.objects.filter(sequence_id=sequence.pk, member_id=OuterRef("member_id"))
    )


def _lead_confirmations(sequence: Sequence) -> QuerySet:
    return AccessGrant.objects.filter(
        _not_enrolled(sequence),
        product_id=sequence.product_id,
        source=AccessGrant.Source.FREE,
        starts_at__gte=sequence.enrol_from,
        member__is_active=True,
    ).values_list("member_id", "starts_at", "is_test", "member__time_zone")


def _purchases(sequence: Sequence) -> QuerySet:
    return Order.objects.filter(
        _not_enrolled(sequence),
        product_id=sequence.product_id,
        status=Order.Status.PAID,
        created_at__gte=sequence.enrol_from,
        member__is_active=True,
    ).values_list("member_id", "created_at", "is_test", "member__time_zone")


def _without_access_again(sequence: Sequence) -> Exists:
    return ~Exists(
        AccessGrant.objects.filter(
            member_id=OuterRef("member_id"), product_id=sequence.product_id, state__in=LIVE_STATES
        )
    )


def _ended_subscriptions(sequence: Sequence) -> QuerySet:
    return Subscription.objects.filter(
        _not_enrolled(sequence),
        _without_access_again(sequence),
        order__product_id=sequence.product_id,
        status=Subscription.Status.CANCELED,
        ended_at__gte=sequence.enrol_from,
        member__is_active=True,
    ).values_list("member_id", "ended_at", "order__is_test", "member__time_zone")


def _unpaid_endings(sequence: Sequence) -> QuerySet:
    return AccessGrant.objects.filter(
        _not_enrolled(sequence),
        _without_access_again(sequence),
        product_id=sequence.product_id,
        ended_unpaid=True,
        ended_at__gte=sequence.enrol_from,
        member__is_active=True,
    ).values_list("member_id", "ended_at", "is_test", "member__time_zone")


def trigger_queries(sequence: Sequence) -> list[QuerySet]:
    if sequence.trigger == Trigger.LEAD_CONFIRMED:
        return [_lead_confirmations(sequence)]
    if sequence.trigger == Trigger.PURCHASE:
        return [_purchases(sequence)]
    return [_ended_subscriptions(sequence), _unpaid_endings(sequence)]


def first_per_member(rows: Iterable[Row]) -> Iterator[Row]:
    """The earliest trigger of each member (a member may have bought twice)."""
    earliest: dict[int, Row] = {}
    for row in rows:
        known = earliest.get(row[0])
        if known is None or row[1] < known[1]:
            earliest[row[0]] = row
    return iter(earliest.values())
