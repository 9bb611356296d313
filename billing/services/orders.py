"""Purchases and renewals: member, customer, order, payment, subscription and grants in one go.

Called inside the event's transaction, so either everything exists afterwards or nothing does
(no account without its order, no order without its grant). Rows are found through unique
constraints, then locked and re-checked: a repeated or concurrent event records nothing twice.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction

from billing.locks import orders_for_update, subscriptions_for_update
from billing.models import CheckoutLink, Customer, Order, Payment, ProviderEvent, Subscription
from billing.providers.base import (
    Buyer,
    CheckoutCompleted,
    PaymentSucceeded,
    SubscriptionRenewed,
)
from billing.services.catalog import Purchase, resolve_purchases
from billing.services.coverage import grant_source_for
from billing.services.ledger import sync_subscription_mrr
from billing.waiver import access_withheld_until, record_waiver, waiver_fields
from invoices.services import issue_invoice_for_payment
from members.credit import use_checkout_credit
from members.models import AccessGrant, GrantEvent, User
from members.services import find_or_create_member, grant_access, record_grant_event
from offers.bumps import record_bump_purchase
from offers.services import record_payment_discount
from outbox.models import OutboxMessage
from outbox.services import Outgoing, enqueue
from products.selectors import products_granted_by

OutboxKind = OutboxMessage.Kind

REVERSED_NOTE = (
    "payment {payment} was made before order {order} was refunded or charged back: recorded, "
    "access stays ended"
)


def _create_once(model, *, lookup: dict, defaults: dict):
    """Get or create through a unique constraint: the loser of a race reads the winner's row."""
    row = model.objects.filter(**lookup).first()
    if row is not None:
        return row, False
    return _insert_once(model, lookup=lookup, defaults=defaults)


def _insert_once(model, *, lookup: dict, defaults: dict):
    """Create a row the caller has just looked for and not found; a parallel worker that
    created it in between wins, and this reads its row (``created`` False).

    A row created here is visible to no other transaction until commit, and another insert of
    its unique key waits for that: the caller need not lock it again.
    """
    try:
        with transaction.atomic():
            return model.objects.create(**lookup, **defaults), True
    except IntegrityError:
        return model.objects.get(**lookup), False


def _member_for(*, provider: str, buyer: Buyer, now: datetime) -> User:
    if buyer.email:
        member, _created = find_or_create_member(
            email=buyer.email, name=buyer.name, language=buyer.language, now=now
        )
        return member
    if buyer.provider_customer_id:
        customer = Customer.objects.filter(
            provider=provider, provider_customer_id=buyer.provider_customer_id
        ).first()
        if customer is not None:
            return customer.member
    raise ValueError(
        f"the event carries no buyer e-mail and customer {buyer.provider_customer_id or '(none)'} "
        "is unknown: cannot find or create the member"
    )


def _customer_for(*, provider: str, buyer: Buyer, member: User) -> Customer | None:
    if not buyer.provider_customer_id:
        return None
    customer, _created = _create_once(
        Customer,
        lookup={"provider": provider, "provider_customer_id": buyer.provider_customer_id},
        defaults={"member": member},
    )
    return customer


def _links_of(event: PaymentSucceeded | SubscriptionRenewed) -> dict[str, str]:
    """The provider's pages for the buyer that the event names (Digistore24 sends them)."""
    links = {
        "invoice_url": getattr(event, "invoice_url", ""),
        "receipt_url": event.receipt_url,
        "rebilling_stop_url": event.rebilling_stop_url,
    }
    return {name: url for name, url in links.items() if url}


def _remember_links(*, order: Order, event: PaymentSucceeded | SubscriptionRenewed) -> None:
    """Keep the provider's pages for the buyer (Digistore24 sends them with each payment), so
    orders recorded before we stored them gain them with the next rebill. The order is locked."""
    links = _links_of(event)
    changed = [name for name, url in links.items() if getattr(order, name) != url]
    for name in changed:
        setattr(order, name, links[name])
    if changed:
        order.save(update_fields=changed)


def _record_payment(
    *,
    order: Order,
    event: PaymentSucceeded | SubscriptionRenewed,
    now: datetime,
) -> Payment | None:
    """The payment, once; None if it was recorded before (order is locked). The caller issues
    its invoice (``_issue_invoice_last``).

    A repeat that knows the payment intent or charge the first report lacked (a 2025 invoice
    names neither; its Checkout Session does) fills them in, so refunds and disputes match.
    """
    recorded = Payment.objects.filter(provider=event.provider, provider_ref=event.provider_ref)
    if recorded.exists():
        if event.payment_intent_ref:
            recorded.filter(payment_intent_ref="").update(
                payment_intent_ref=event.payment_intent_ref
            )
        if event.charge_ref:
            recorded.filter(charge_ref="").update(charge_ref=event.charge_ref)
        return None
    payment = Payment.objects.create(
        order=order,
        provider=event.provider,
        provider_ref=event.provider_ref,
        payment_intent_ref=event.payment_intent_ref,
        charge_ref=event.charge_ref,
        amount=event.amount,
        currency=event.currency.upper(),
        paid_at=event.occurred_at,
        period_end=event.paid_through,
    )
    discount = getattr(event, "discount", None)
    if discount is not None:  # before the invoice: it shows the discount as its own line
        record_payment_discount(order=order, payment=payment, discount=discount, now=now)
    if getattr(event, "bump", None) is not None:  # its own order and grant; before the invoice
        record_bump_purchase(
            order=order, payment=payment, line=event.bump, discount=discount, now=now
        )
    return payment


def _issue_invoice_last(
    *, payment: Payment, event: PaymentSucceeded | SubscriptionRenewed, now: datetime
) -> None:
    """The payment's invoice, issued as the last write of the event's transaction.

    Its number comes from the invoice series row, locked until commit (gapless numbers), so
    every event that issues an invoice waits for that lock: taken last, it is held for the
    commit only, not while the member, grants and subscription are written. During a launch
    burst that keeps concurrent purchases (and their access) from queueing behind each other.
    A renewal carries no buyer; its invoice copies the order's previous snapshot.
    """
    buyer = event.buyer if isinstance(event, PaymentSucceeded) else None
    issue_invoice_for_payment(payment=payment, now=now, buyer=buyer)


def _subscription_after_payment(
    *,
    order: Order,
    subscription_ref: str,
    paid_through: datetime | None,
    provider: str,
    at: datetime,
    amount: int,
) -> Subscription:
    """The subscription a payment of ``amount`` (just recorded on ``order``) pays for."""
    subscription, created = _create_once(
        Subscription,
        lookup={"provider": provider, "provider_ref": subscription_ref},
        defaults={
            "member": order.member,
            "order": order,
            "status": Subscription.Status.ACTIVE,
            "current_period_end": paid_through,
        },
    )
    if created:  # ours until commit; its order (and price) are the ones in hand
        sync_subscription_mrr(subscription=subscription, at=at, order_paid=amount > 0)
        return subscription
    subscription = subscriptions_for_update().get(pk=subscription.pk)
    if subscription.order_id == order.pk:
        subscription.order = order  # the locked order in hand: no query for it and its price
    if subscription.status == Subscription.Status.CANCELED:
        return subscription
    if subscription.status in (Subscription.Status.INCOMPLETE, Subscription.Status.PAST_DUE):
        subscription.status = Subscription.Status.ACTIVE
    if paid_through and (
        subscription.current_period_end is None or paid_through > subscription.current_period_end
    ):
        subscription.current_period_end = paid_through
    subscription.save(update_fields=["status", "current_period_end"])
    paid = amount > 0 and subscription.order_id == order.pk
    sync_subscription_mrr(subscription=subscription, at=at, order_paid=paid)
    return subscription


def _ended_before(
    subscription: Subscription, event: PaymentSucceeded | SubscriptionRenewed
) -> bool:
    """The subscription ended and this payment does not reopen it.

    A payment made after the end that pays for time after it (Digistore24: the buyer pays late,
    after ``last_paid_day``) gives access for its period. An older payment delivered late, or a
    final invoice that only settles the time up to the end, gives nothing.
    """
    if subscription.status != Subscription.Status.CANCELED:
        return False
    ended_at = subscription.ended_at
    return not (
        ended_at
        and event.paid_through
        and event.occurred_at > ended_at
        and event.paid_through > ended_at
    )


def _older_than_reversal(order: Order, event: PaymentSucceeded | SubscriptionRenewed) -> bool:
    """The order was refunded or charged back after this payment was made.

    Such a payment (delivered late, or an IPN that support replays weeks later) is recorded but
    reopens nothing; only a payment newer than the reversal gives the purchase back.
    """
    return order.reversed_at is not None and event.occurred_at <= order.reversed_at


def _note_older_payment(
    *,
    order: Order,
    event: PaymentSucceeded | SubscriptionRenewed,
    source_event: ProviderEvent | None,
    now: datetime,
) -> str:
    """Tell support, on the order's grants, why this payment gave no access; returns the note."""
    note = REVERSED_NOTE.format(payment=event.provider_ref, order=order.provider_ref)
    for grant in AccessGrant.objects.filter(order=order).order_by("pk"):
        record_grant_event(
            grant=grant, kind=GrantEvent.Kind.NOTE, now=now, reason=note, source_event=source_event
        )
    return note


def _reopen_if_reversed(order: Order) -> None:
    """A payment newer than the refund or chargeback: the order is paid again."""
    if order.status in (Order.Status.REFUNDED, Order.Status.CHARGED_BACK):
        order.status = Order.Status.PAID
        order.save(update_fields=["status"])


def _grant_purchases(
    *,
    order: Order,
    purchases: list[Purchase],
    paid_through: datetime | None,
    is_test: bool,
    source_event: ProviderEvent | None,
    now: datetime,
    reason: str,
) -> None:
    """Grant or extend each product bought; a bundle grants each product in it."""
    seen: set[int] = set()
    for purchase in purchases:
        withheld_until = access_withheld_until(order=order, product=purchase.product, now=now)
        for product in products_granted_by(purchase.product):
            if product.pk in seen:
                continue
            seen.add(product.pk)
            grant_access(
                member=order.member,
                product=product,
                order=order,
                paid_through=paid_through,
                source=grant_source_for(order),
                now=now,
                is_test=is_test,
                source_event=source_event,
                reason=reason,
                withheld_until=withheld_until,
            )


def _use_store_credit(*, order: Order, event: PaymentSucceeded, now: datetime) -> None:
    """The store credit our checkout's coupon took off, recorded in the member's ledger once
    per checkout key; only for the member who opened that checkout."""
    if not event.store_credit or str(order.member_id) != event.store_credit_member:
        return
    use_checkout_credit(
        member=order.member,
        amount=event.store_credit,
        currency=event.currency,
        key=event.store_credit_key,
        order=order,
        now=now,
    )


def _new_order(*, event: PaymentSucceeded, purchase: Purchase, now: datetime) -> tuple[Order, bool]:
    """The member and the order of a first payment (the caller found no order); ``created``
    is False if a parallel worker recorded the order first."""
    member = _member_for(provider=event.provider, buyer=event.buyer, now=now)
    return _insert_once(
        Order,
        lookup={"provider": event.provider, "provider_ref": event.order_ref},
        defaults={
            "member": member,
            "product": purchase.product,
            "price": purchase.price,
            "status": Order.Status.PAID,
            "customer": _customer_for(provider=event.provider, buyer=event.buyer, member=member),
            "amount": event.amount,
            "currency": event.currency.upper(),
            "is_test": event.is_test,
            **waiver_fields(event.waiver),
            **_links_of(event),
        },
    )


def record_payment_succeeded(
    *, event: PaymentSucceeded, source_event: ProviderEvent | None, now: datetime
) -> str:
    """A first payment, a renewal by invoice, a trial start: order, payment, access, e-mail.

    The welcome (or "your purchase is ready") e-mail is queued once, when the order is created,
    as an outbox row in this transaction.
    """
    order = (
        Order.objects.filter(provider=event.provider, provider_ref=event.order_ref)
        .select_related("product", "price")
        .first()
    )
    try:
        if order is not None and event.subscription_ref and order.price is not None:
            # A further invoice of a known subscription pays for its current plan: after a
            # plan change its lines may still name the old price (a proration credit).
            purchases = [Purchase(product=order.product, price=order.price)]
        else:
            purchases = resolve_purchases(
                provider=event.provider, refs=event.price_refs, currency=event.currency
            )
    except ValueError:
        if order is None:
            raise
        # A further payment of a known order (a renewal) pays for what the order bought, even
        # if the creator has since given its price a new id (Stripe prices are immutable, so a
        # price rise is a new id and existing subscribers stay on the old one).
        purchases = [Purchase(product=order.product, price=order.price)]
    created = False
    if order is None:
        order, created = _new_order(event=event, purchase=purchases[0], now=now)
    elif event.waiver is not None:  # the checkout's waiver, after its first invoice
        record_waiver(order=order, consent=event.waiver, now=now)
    if not created:  # a new order is ours until commit, with its links: no lock, no update
        order = orders_for_update().select_related("member", "price").get(pk=order.pk)
        _remember_links(order=order, event=event)
    payment = _record_payment(order=order, event=event, now=now)
    if payment is None:
        return f"payment {event.provider_ref} was recorded before"
    note = _apply_payment(
        order=order,
        event=event,
        purchases=purchases,
        created=created,
        source_event=source_event,
        now=now,
    )
    _issue_invoice_last(payment=payment, event=event, now=now)
    return note


def _apply_payment(
    *,
    order: Order,
    event: PaymentSucceeded,
    purchases: list[Purchase],
    created: bool,
    source_event: ProviderEvent | None,
    now: datetime,
) -> str:
    """What a recorded payment changes: store credit, subscription, access, welcome e-mail."""
    _use_store_credit(order=order, event=event, now=now)
    if _older_than_reversal(order, event):
        return _note_older_payment(order=order, event=event, source_event=source_event, now=now)
    _reopen_if_reversed(order)
    if event.subscription_ref:
        subscription = _subscription_after_payment(
            order=order,
            subscription_ref=event.subscription_ref,
            paid_through=event.paid_through,
            provider=event.provider,
            at=event.occurred_at,
            amount=event.amount,
        )
        if _ended_before(subscription, event):
            return f"subscription {event.subscription_ref} has ended: access not extended"
    note = ""
    if event.upgrade_offer:  # support's upgrade offer: the new product replaces the old one
        from members.upgrade import complete_upgrade

        note = complete_upgrade(
            token=event.upgrade_offer, order=order, source_event=source_event, now=now
        )
    else:
        _grant_purchases(
            order=order,
            purchases=purchases,
            paid_through=event.paid_through,
            is_test=event.is_test,
            source_event=source_event,
            now=now,
            reason=f"payment {event.provider_ref}",
        )
    if event.replaces_order_ref:  # a Digistore24 upgrade: the replaced order's access ends
        from billing.services.plan_changes import replace_upgraded_order

        note = replace_upgraded_order(
            order=order, upgraded_order_ref=event.replaces_order_ref,
            source_event=source_event, now=now,
        )  # fmt: skip
    if created:  # the welcome (or "ready") e-mail, sent after commit and once per order
        enqueue(
            Outgoing(
                kind=OutboxKind.ORDER_EMAIL,
                member_id=order.member_id,
                payload={"order_pk": order.pk},
            ),
            now=now,
        )
    return note


def record_renewal(
    *, event: SubscriptionRenewed, source_event: ProviderEvent | None, now: datetime
) -> str:
    """A paid renewal of a known subscription: payment once, paid-through extended."""
    subscription = (
        Subscription.objects.filter(provider=event.provider, provider_ref=event.subscription_ref)
        .select_related("order__product")
        .first()
    )
    if subscription is None:
        raise ValueError(f"renewal of unknown subscription {event.subscription_ref}")
    order = (
        orders_for_update()
        .select_related("member", "product", "price")
        .get(pk=subscription.order_id)
    )
    _remember_links(order=order, event=event)
    payment = _record_payment(order=order, event=event, now=now)
    if payment is None:
        return f"payment {event.provider_ref} was recorded before"
    note = _apply_renewal(order=order, event=event, source_event=source_event, now=now)
    _issue_invoice_last(payment=payment, event=event, now=now)
    return note


def _apply_renewal(
    *,
    order: Order,
    event: SubscriptionRenewed,
    source_event: ProviderEvent | None,
    now: datetime,
) -> str:
    """What a recorded renewal changes: the subscription's period and the access it pays for."""
    if _older_than_reversal(order, event):
        return _note_older_payment(order=order, event=event, source_event=source_event, now=now)
    _reopen_if_reversed(order)
    subscription = _subscription_after_payment(
        order=order,
        subscription_ref=event.subscription_ref,
        paid_through=event.paid_through,
        provider=event.provider,
        at=event.occurred_at,
        amount=event.amount,
    )
    if _ended_before(subscription, event):
        return f"subscription {event.subscription_ref} has ended: access not extended"
    _grant_purchases(
        order=order,
        purchases=[Purchase(product=order.product, price=order.price)],
        paid_through=event.paid_through,
        is_test=order.is_test,
        source_event=source_event,
        now=now,
        reason=f"renewal {event.provider_ref}",
    )
    return ""


def record_checkout(
    *, event: CheckoutCompleted, source_event: ProviderEvent | None, now: datetime
) -> str:
    """Remember which order a checkout produced, for the buyer's success page; a waiver the
    checkout collected is recorded on that order if its first invoice came first."""
    if event.waiver is not None:
        order = Order.objects.filter(provider=event.provider, provider_ref=event.order_ref).first()
        if order is not None:
            record_waiver(order=order, consent=event.waiver, now=now)
    CheckoutLink.objects.bulk_create(
        [
            CheckoutLink(
                provider=event.provider,
                checkout_ref=event.checkout_ref,
                order_ref=event.order_ref,
            )
        ],
        ignore_conflicts=True,
    )
    return ""
