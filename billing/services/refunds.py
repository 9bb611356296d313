"""Refunds and chargebacks: recorded on the payment, credited, and access revoked when due.

A full refund or a dispute revokes what the payment's order granted, unless another live paid
order still covers a product (``coverage``); a partial refund is recorded (with a credit note for
the newly refunded amount) and keeps access. Refund amounts in events are cumulative, so a
repeated or older event credits nothing twice. The order remembers when it was reversed
(``Order.reversed_at``): a payment made before that moment never reopens it (see ``orders``).
"""

from __future__ import annotations

from datetime import datetime

import stripe
from django.db import transaction
from django.db.models import Q

from billing import stripe_api
from billing.locks import orders_for_update, payments_for_update
from billing.models import Order, Payment, PaymentReversal, ProviderEvent
from billing.providers import get_provider
from billing.providers.base import ChargedBack, Refunded
from billing.services.coverage import end_order_grants, grant_source_for
from billing.services.ledger import record_reversal
from invoices.services import issue_credit_note_for_refund
from members.models import AccessGrant, MemberEvent, User
from members.services import grant_access
from members.support import SupportError, require_reason
from offers.bumps import (
    bump_line_refunded,
    credit_line_for,
    end_bump_grants,
    restore_bump_grants,
    revoke_bump,
)
from products.money import to_decimal
from products.selectors import products_granted_by

PaymentStatus = Payment.Status


def find_payment(
    *, provider: str, payment_intent_ref: str = "", charge_ref: str = "", payment_ref: str = ""
) -> Payment:
    """The payment an event names by payment intent, charge, payment or order reference."""
    payments = Payment.objects.filter(provider=provider)
    match = Q(pk__in=[])
    if payment_intent_ref:
        match |= Q(payment_intent_ref=payment_intent_ref)
    if charge_ref:
        match |= Q(charge_ref=charge_ref)
    if payment_ref:
        match |= Q(provider_ref=payment_ref)
    payment = payments.filter(match).order_by("-paid_at", "-pk").first()
    if payment is None and payment_ref:
        payment = payments.filter(order__provider_ref=payment_ref).order_by("-paid_at").first()
    if payment is None and payment_intent_ref:
        payment = _payment_named_by_provider(provider, payment_intent_ref, charge_ref)
    if payment is None:
        refs = ", ".join(filter(None, [payment_intent_ref, charge_ref, payment_ref])) or "(none)"
        raise ValueError(f"no recorded {provider} payment matches {refs}")
    return payment


def _payment_named_by_provider(
    provider: str, payment_intent_ref: str, charge_ref: str
) -> Payment | None:
    """Ask the provider which payment the intent paid; remember its refs for the next event."""
    provider_ref = get_provider(provider).payment_ref_for(payment_intent_ref=payment_intent_ref)
    if not provider_ref:
        return None
    payment = Payment.objects.filter(provider=provider, provider_ref=provider_ref).first()
    if payment is not None:
        refs = {"payment_intent_ref": payment_intent_ref}
        if charge_ref and not payment.charge_ref:
            refs["charge_ref"] = charge_ref
        Payment.objects.filter(pk=payment.pk, payment_intent_ref="").update(**refs)
    return payment


def _lock(payment: Payment) -> tuple[Order, Payment]:
    """Lock the order, then the payment (the order a purchase locks first)."""
    order = orders_for_update().get(pk=payment.order_id)
    return order, payments_for_update().get(pk=payment.pk)


def _revoke_order_grants(
    *, order: Order, reason: str, source_event: ProviderEvent | None, now: datetime
) -> None:
    """Revoke what the order granted, unless another live paid order still covers a product."""
    end_order_grants(
        order=order,
        state=AccessGrant.State.REVOKED,
        reason=reason,
        source_event=source_event,
        now=now,
    )
    end_bump_grants(order=order, reason=reason, source_event=source_event, now=now)


def _mark_reversed(order: Order, at: datetime) -> None:
    """Remember when the order's access was reversed: older payments never reopen it."""
    if order.reversed_at is None or at > order.reversed_at:
        order.reversed_at = at


def _paid_again_since(payment: Payment) -> bool:
    """A later payment of the same order stands: refunding an old renewal (what it bought, a
    past month, is over) leaves the period the member is paying for now alone."""
    return (
        Payment.objects.filter(
            order_id=payment.order_id,
            paid_at__gt=payment.paid_at,
            status__in=[PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED],
        )
        .exclude(pk=payment.pk)
        .exists()
    )


def record_refund(*, event: Refunded, source_event: ProviderEvent | None, now: datetime) -> str:
    found = find_payment(
        provider=event.provider,
        payment_intent_ref=event.payment_intent_ref,
        charge_ref=event.charge_ref,
        payment_ref=event.payment_ref,
    )
    order, payment = _lock(found)
    target = payment.amount if event.is_full else min(event.amount_refunded, payment.amount)
    newly_refunded = target - payment.amount_refunded
    bump_line = None
    if newly_refunded <= 0 and not (event.is_full and payment.status != PaymentStatus.REFUNDED):
        return "refund recorded before"
    if newly_refunded > 0:
        if payment.status != PaymentStatus.CHARGED_BACK:  # a lost dispute took it all back
            record_reversal(
                payment=payment,
                kind=PaymentReversal.Kind.REFUND,
                amount=newly_refunded,
                before=payment.amount_refunded,
                at=event.occurred_at,
            )
        payment.amount_refunded = target
        if payment.status == PaymentStatus.CHARGED_BACK:
            # Reported after the lost dispute, whose credit note already covers all that was
            # left: the refund is recorded, nothing is credited twice, access stays ended.
            payment.save(update_fields=["amount_refunded"])
            return "refund recorded after the chargeback: already credited"
        # An order bump's line refunded on its own (``offers.bumps``): only its product goes.
        bump_line = (
            None if event.is_full else bump_line_refunded(payment=payment, amount=newly_refunded)
        )
        issue_credit_note_for_refund(
            payment=payment, amount=newly_refunded, now=now, line=credit_line_for(bump_line)
        )
    if payment.status == PaymentStatus.CHARGED_BACK:
        return "payment charged back before: nothing more to refund"
    if bump_line is not None or event.is_full or payment.amount_refunded >= payment.amount:
        revoke_bump(
            payment=payment,
            reason=f"order bump of payment {payment.provider_ref} refunded",
            source_event=source_event,
            at=event.occurred_at,
            now=now,
        )
    if event.is_full or payment.amount_refunded >= payment.amount:
        payment.status = PaymentStatus.REFUNDED
        if not _paid_again_since(payment):
            order.status = Order.Status.REFUNDED
            _mark_reversed(order, event.occurred_at)
            order.save(update_fields=["status", "reversed_at"])
            reason = f"payment {payment.provider_ref} refunded in full"
            _revoke_order_grants(order=order, reason=reason, source_event=source_event, now=now)
    elif payment.status == PaymentStatus.SUCCEEDED:
        payment.status = PaymentStatus.PARTIALLY_REFUNDED
    payment.save(update_fields=["amount_refunded", "status"])
    return ""


def record_chargeback(
    *, event: ChargedBack, source_event: ProviderEvent | None, now: datetime
) -> str:
    """A dispute revokes access; lost, it is credited; won, access comes back."""
    found = find_payment(
        provider=event.provider,
        payment_intent_ref=event.payment_intent_ref,
        charge_ref=event.charge_ref,
        payment_ref=event.payment_ref,
    )
    order, payment = _lock(found)
    if not event.is_closed:
        if payment.status in (PaymentStatus.DISPUTED, PaymentStatus.CHARGED_BACK):
            return "dispute recorded before"
        if payment.dispute_closed_at and event.occurred_at <= payment.dispute_closed_at:
            return "this dispute was closed before it arrived: dropped"
        payment.status = PaymentStatus.DISPUTED
        payment.save(update_fields=["status"])
        _mark_reversed(order, event.occurred_at)
        order.save(update_fields=["reversed_at"])
        reason = f"payment {payment.provider_ref} disputed"
        _revoke_order_grants(order=order, reason=reason, source_event=source_event, now=now)
        return ""
    if not payment.dispute_closed_at or event.occurred_at > payment.dispute_closed_at:
        payment.dispute_closed_at = event.occurred_at
        payment.save(update_fields=["dispute_closed_at"])
    if event.outcome == "lost":
        return _chargeback_lost(
            order=order, payment=payment, at=event.occurred_at, source_event=source_event, now=now
        )
    return _dispute_won(order=order, payment=payment, source_event=source_event, now=now)


def _chargeback_lost(
    *,
    order: Order,
    payment: Payment,
    at: datetime,
    source_event: ProviderEvent | None,
    now: datetime,
) -> str:
    if payment.status == PaymentStatus.CHARGED_BACK:
        return "chargeback recorded before"
    remaining = payment.amount - payment.amount_refunded
    if remaining > 0:
        issue_credit_note_for_refund(payment=payment, amount=remaining, now=now)
        record_reversal(
            payment=payment,
            kind=PaymentReversal.Kind.CHARGEBACK,
            amount=remaining,
            before=payment.amount_refunded,
            at=at,
        )
    payment.status = PaymentStatus.CHARGED_BACK
    payment.save(update_fields=["status"])
    order.status = Order.Status.CHARGED_BACK
    _mark_reversed(order, at)
    order.save(update_fields=["status", "reversed_at"])
    reason = f"payment {payment.provider_ref} charged back"
    _revoke_order_grants(order=order, reason=reason, source_event=source_event, now=now)
    return ""


def _dispute_won(
    *, order: Order, payment: Payment, source_event: ProviderEvent | None, now: datetime
) -> str:
    if payment.status != PaymentStatus.DISPUTED:
        return "no open dispute on this payment"
    payment.status = (
        PaymentStatus.PARTIALLY_REFUNDED if payment.amount_refunded else PaymentStatus.SUCCEEDED
    )
    payment.save(update_fields=["status"])
    if order.status == Order.Status.PAID:
        # The dispute was the only reversal, and it is undone: no payment is "older" than it.
        order.reversed_at = None
        order.save(update_fields=["reversed_at"])
    latest = order.payments.order_by("-paid_at", "-pk").first()
    for product in products_granted_by(order.product):
        grant_access(
            member=order.member,
            product=product,
            order=order,
            paid_through=latest.period_end if latest else None,
            source=grant_source_for(order),
            now=now,
            is_test=order.is_test,
            source_event=source_event,
            reason=f"dispute on payment {payment.provider_ref} won",
        )
    restore_bump_grants(order=order, source_event=source_event, now=now)
    return ""


# --- Support: a refund asked of Stripe ---------------------------------------------------------


@transaction.atomic
def request_stripe_refund(
    *,
    member: User,
    payment_pk: int,
    amount: int | None,
    actor: User | None,
    reason: str,
    now: datetime,
) -> MemberEvent:
    """Ask Stripe to refund ``amount`` minor units of one of the member's payments (None: all
    that is left); an audit row names the actor and reason.

    Only the request is made here: access and the credit note follow from Stripe's
    ``charge.refunded`` webhook, exactly as for a refund made in Stripe's dashboard. The
    idempotency key is the payment, the amount and what was refunded before, so a double
    submit refunds once. Bad input raises ``SupportError`` before Stripe is asked.
    """
    reason = require_reason(reason)
    payment = payments_for_update().filter(pk=payment_pk, order__member=member).first()
    if payment is None:
        raise SupportError(f"{member.email} has no such payment")
    if payment.provider != "stripe":
        raise SupportError(
            f"payment {payment.provider_ref} was made through {payment.provider}: "
            f"refunds are made in {payment.provider}"
        )
    if not (payment.payment_intent_ref or payment.charge_ref):
        raise SupportError(
            f"payment {payment.provider_ref} has no Stripe payment intent or charge to refund"
        )
    left = payment.amount - payment.amount_refunded
    amount = left if amount is None else amount
    if amount <= 0:
        raise SupportError("the amount to refund must be above zero")
    if amount > left:
        raise SupportError(
            f"at most {_money(left, payment)} of payment {payment.provider_ref} can be "
            f"refunded ({_money(payment.amount, payment)} paid, "
            f"{_money(payment.amount_refunded, payment)} already refunded)"
        )
    target = (
        {"payment_intent": payment.payment_intent_ref}
        if payment.payment_intent_ref
        else {"charge": payment.charge_ref}
    )
    try:
        refund = stripe_api.create_refund(
            params={
                **target,
                "amount": amount,
                "reason": "requested_by_customer",
                "metadata": {
                    "payment": payment.provider_ref,
                    "member": member.email,
                    "actor": actor.email if actor else "",
                },
            },
            idempotency_key=f"refund-{payment.pk}-{payment.amount_refunded}-{amount}",
        )
    except (stripe_api.StripeNotConfigured, stripe.StripeError) as error:
        message = getattr(error, "user_message", None) or str(error)
        raise SupportError(f"Stripe refused the refund: {message}") from error
    return MemberEvent.objects.create(
        member=member,
        kind=MemberEvent.Kind.REFUND_REQUESTED,
        at=now,
        actor=actor,
        reason=(
            f"payment {payment.provider_ref}: {_money(amount, payment)} "
            f"({refund.get('id', '')}): {reason}"
        )[:500],
    )


def _money(amount: int, payment: Payment) -> str:
    return f"{to_decimal(amount, payment.currency)} {payment.currency.upper()}"
