"""Subscription lifecycle: provider state, failed payments (grace), cancellation, the end.

A subscription row is created by its first paid invoice (see ``orders``). Events about a
subscription we do not know yet change nothing, except its end, which fails and is retried so
that it still applies once the first invoice has been recorded. An event older than the state it
would overwrite is dropped, and an ended subscription stays ended.
"""

from __future__ import annotations

from datetime import datetime

from billing.locks import orders_for_update, subscriptions_for_update
from billing.models import Order, Payment, ProviderEvent, Subscription
from billing.providers.base import (
    CancelledAtPeriodEnd,
    PaymentFailed,
    SubscriptionEnded,
    SubscriptionResumed,
    SubscriptionUpdated,
)
from billing.services.catalog import resolve_purchases
from billing.services.coverage import end_order_grants
from billing.services.ledger import sync_subscription_mrr
from billing.services.pausing import apply_pause_state
from billing.services.plan_changes import apply_price_change
from members.access import LIVE_STATES
from members.models import AccessGrant
from members.services import move_to_grace, note_cancellation, restore_grant
from outbox.models import OutboxMessage
from outbox.services import Outgoing, enqueue

Status = Subscription.Status
STATUSES = {
    "incomplete": Status.INCOMPLETE,
    "trialing": Status.TRIALING,
    "active": Status.ACTIVE,
    "past_due": Status.PAST_DUE,
    # Retries exhausted, but not final: paying the open invoice makes it active again. Access
    # runs out at paid-through plus grace like any missed payment, and a payment restores it.
    "unpaid": Status.PAST_DUE,
}
ENDED_STATUSES = {"canceled", "incomplete_expired"}


class SubscriptionNotRecorded(ValueError):
    """The subscription's first paid invoice has not been processed yet (the event is retried)."""


def _locked(provider: str, subscription_ref: str) -> Subscription | None:
    return (
        subscriptions_for_update()
        .select_related("member")
        .filter(provider=provider, provider_ref=subscription_ref)
        .first()
    )


def _live_grant_pks(subscription: Subscription) -> list[int]:
    return list(
        AccessGrant.objects.filter(order_id=subscription.order_id, state__in=LIVE_STATES)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _is_stale(subscription: Subscription, occurred_at: datetime) -> bool:
    return (
        subscription.provider_updated_at is not None
        and occurred_at < subscription.provider_updated_at
    )


def _paid_since(subscription: Subscription, moment: datetime) -> bool:
    """A payment of the subscription's order at or after ``moment`` is recorded."""
    return Payment.objects.filter(order_id=subscription.order_id, paid_at__gte=moment).exists()


def _end(
    *, subscription: Subscription, occurred_at: datetime, reason: str, source_event, now: datetime
) -> str:
    subscription.status = Status.CANCELED
    subscription.ended_at = occurred_at
    subscription.provider_updated_at = max(
        filter(None, [subscription.provider_updated_at, occurred_at])
    )
    subscription.save(update_fields=["status", "ended_at", "provider_updated_at"])
    sync_subscription_mrr(subscription=subscription, at=occurred_at)
    # The same rule as a refund: a product another live paid order covers stays open.
    end_order_grants(
        order=subscription.order,
        state=AccessGrant.State.EXPIRED,
        reason=reason,
        source_event=source_event,
        now=now,
        unpaid_if_in_grace=True,
    )
    return ""


def end_subscription(
    *, event: SubscriptionEnded, source_event: ProviderEvent | None, now: datetime
) -> str:
    """The provider ended the subscription: access ends now. Final: later events change nothing."""
    subscription = _locked(event.provider, event.subscription_ref)
    if subscription is None:
        raise SubscriptionNotRecorded(
            f"subscription {event.subscription_ref} is not recorded yet (its first paid invoice "
            "has not arrived); this event is retried"
        )
    if subscription.status == Status.CANCELED:
        return "subscription had ended before"
    if Payment.objects.filter(
        order_id=subscription.order_id, paid_at__gt=event.occurred_at
    ).exists():
        return "a payment made after this end is recorded (delivered late): dropped"
    reason = event.reason or "subscription ended"
    return _end(
        subscription=subscription,
        occurred_at=event.occurred_at,
        reason=reason,
        source_event=source_event,
        now=now,
    )


def _note_cancellation_change(
    *, subscription: Subscription, scheduled: bool, source_event, now: datetime, actor=None
) -> None:
    if scheduled:
        when = subscription.current_period_end
        reason = "cancels at period end" + (f" ({when:%Y-%m-%d})" if when else "")
    else:
        reason = "cancellation withdrawn: renews again"
    if actor is not None:
        reason = f"{reason}, by the member"
    for pk in _live_grant_pks(subscription):
        note_cancellation(
            grant_pk=pk,
            scheduled=scheduled,
            now=now,
            reason=reason,
            source_event=source_event,
            actor=actor,
        )


def apply_subscription_update(
    *, event: SubscriptionUpdated, source_event: ProviderEvent | None, now: datetime
) -> str:
    """Apply the provider's newer view of a subscription (status, period end, cancel flag,
    its current price: a plan change moves access, and a pause)."""
    order = _lock_order_of(event.provider, event.subscription_ref)
    subscription = _locked(event.provider, event.subscription_ref)
    if subscription is None:
        if event.status == "canceled":
            raise SubscriptionNotRecorded(
                f"subscription {event.subscription_ref} ended before it was recorded; retried"
            )
        return "unknown subscription: its first paid invoice provisions it"
    if subscription.status == Status.CANCELED:
        return "subscription had ended before"
    if _is_stale(subscription, event.occurred_at):
        return "older than the state already applied: dropped"
    if event.status in ENDED_STATUSES:
        reason = f"subscription {event.status} at the provider"
        return _end(
            subscription=subscription,
            occurred_at=event.occurred_at,
            reason=reason,
            source_event=source_event,
            now=now,
        )
    status = STATUSES.get(event.status, subscription.status)
    if status == Status.PAST_DUE and _paid_since(subscription, event.occurred_at):
        status = subscription.status  # an older view: the payment that settled it is recorded
    if status != Status.INCOMPLETE:  # a recorded subscription never goes back to incomplete
        subscription.status = status
    was_cancelling = subscription.cancel_at_period_end
    subscription.current_period_end = event.current_period_end or subscription.current_period_end
    subscription.cancel_at_period_end = event.cancel_at_period_end
    subscription.provider_updated_at = event.occurred_at
    note = ""
    if order is not None:
        note = apply_price_change(
            subscription=subscription, order=order, price_refs=event.price_refs,
            source_event=source_event, now=now,
        )  # fmt: skip
    apply_pause_state(
        subscription=subscription, paused=event.paused, behavior=event.pause_behavior,
        occurred_at=event.occurred_at, source_event=source_event, now=now,
    )  # fmt: skip
    _change_plan(subscription, event.price_refs)
    subscription.save()
    sync_subscription_mrr(subscription=subscription, at=event.occurred_at)
    if was_cancelling != event.cancel_at_period_end:
        _note_cancellation_change(
            subscription=subscription,
            scheduled=event.cancel_at_period_end,
            source_event=source_event,
            now=now,
        )
    if subscription.status == Status.PAST_DUE:
        _start_grace(
            subscription=subscription, reason="payment past due", event=source_event, now=now
        )
    return note


def _lock_order_of(provider: str, subscription_ref: str) -> Order | None:
    """The subscription's order, locked first (billing's lock order: order, then
    subscription), since a plan change moves the order to the new price."""
    order_pk = (
        Subscription.objects.filter(provider=provider, provider_ref=subscription_ref)
        .values_list("order_id", flat=True)
        .first()
    )
    if order_pk is None:
        return None
    return orders_for_update().select_related("member", "product", "price").get(pk=order_pk)


def _change_plan(subscription: Subscription, price_refs: tuple[str, ...]) -> None:
    """A plan change at the provider (an upgrade or downgrade): the price billed from now on."""
    if not price_refs:
        return
    try:
        purchases = resolve_purchases(
            provider=subscription.provider, refs=price_refs, currency=subscription.order.currency
        )
    except ValueError:
        return  # a price we do not sell (any more): the plan stays as recorded
    if purchases[0].price is not None:
        subscription.price = purchases[0].price


def _start_grace(
    *, subscription: Subscription, reason: str, event: ProviderEvent | None, now: datetime
) -> list[int]:
    """Move the live grants to grace; the member is told once, after commit (an outbox row)."""
    moved = [
        pk
        for pk in _live_grant_pks(subscription)
        if move_to_grace(grant_pk=pk, now=now, reason=reason, source_event=event)
    ]
    if moved:
        enqueue(
            Outgoing(
                kind=OutboxMessage.Kind.PAYMENT_FAILED_EMAIL,
                member_id=subscription.member_id,
                payload={"order_pk": subscription.order_id},
            ),
            now=now,
        )
    return moved


def record_payment_failed(
    *, event: PaymentFailed, source_event: ProviderEvent | None, now: datetime
) -> str:
    """A failed renewal: grace period (access kept until paid-through plus grace), member told."""
    subscription = _locked(event.provider, event.subscription_ref)
    if subscription is None:
        return "unknown subscription: nothing was granted, nothing to suspend"
    if subscription.status == Status.CANCELED:
        return "subscription had ended before"
    if _paid_since(subscription, event.occurred_at):
        return "a payment arrived after this failure: dropped"
    subscription.status = Status.PAST_DUE
    subscription.save(update_fields=["status"])
    reason = event.reason or "payment failed"
    _start_grace(subscription=subscription, reason=reason, event=source_event, now=now)
    return ""


def schedule_cancellation(
    *, event: CancelledAtPeriodEnd | SubscriptionResumed, source_event, now: datetime
) -> str:
    """Cancel at period end (access kept until then), or withdraw that cancellation."""
    scheduled = isinstance(event, CancelledAtPeriodEnd)
    subscription = _locked(event.provider, event.subscription_ref)
    if subscription is None:
        return "unknown subscription"
    if subscription.status == Status.CANCELED or _is_stale(subscription, event.occurred_at):
        return "ended or older than the state already applied: dropped"
    # Remember the time even when nothing else changes: an older opposite event must not apply.
    subscription.provider_updated_at = event.occurred_at
    changed = subscription.cancel_at_period_end != scheduled
    subscription.cancel_at_period_end = scheduled
    if scheduled and event.period_end:
        subscription.current_period_end = event.period_end
    if not scheduled and subscription.status == Status.PAST_DUE:
        subscription.status = Status.ACTIVE  # rebilling restarted: the suspension is lifted
        for pk in _live_grant_pks(subscription):
            restore_grant(
                grant_pk=pk, now=now, reason="rebilling resumed", source_event=source_event
            )
    subscription.save()
    if changed:
        _note_cancellation_change(
            subscription=subscription, scheduled=scheduled, source_event=source_event, now=now
        )
    return ""


def show_provider_answer(
    *, event: SubscriptionUpdated, actor, now: datetime
) -> Subscription | None:
    """Show the cancel flag the provider's API just answered, before its webhook arrives.

    Only the flag and the period end change, and ``provider_updated_at`` stays as it was, so the
    ``customer.subscription.updated`` that follows still applies in full: it finds the flag
    already set and records nothing twice (the audit row is written by whichever comes first).
    None if the subscription is unknown; an ended one is left alone.
    """
    subscription = _locked(event.provider, event.subscription_ref)
    if subscription is None or subscription.status == Status.CANCELED:
        return subscription
    if subscription.cancel_at_period_end == event.cancel_at_period_end:
        return subscription
    subscription.cancel_at_period_end = event.cancel_at_period_end
    subscription.current_period_end = event.current_period_end or subscription.current_period_end
    subscription.save(update_fields=["cancel_at_period_end", "current_period_end"])
    _note_cancellation_change(
        subscription=subscription,
        scheduled=event.cancel_at_period_end,
        source_event=None,
        now=now,
        actor=actor,
    )
    return subscription
