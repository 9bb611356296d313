"""The creator's figures' ledgers, written by the services that handle each event.

* ``record_reversal``: money given back on a payment (a refund, a lost dispute), dated when the
  provider says it happened, with the VAT it takes back (the invoice's rate, split on the running
  total exactly as the credit notes are, so the figures match the documents).
* ``sync_subscription_mrr``: after any change of a subscription's state or plan, one movement
  row for the change of its paying MRR (nothing when it did not change). A subscription pays
  while it is active or past due and has received a payment above zero (a trial's zero invoice
  does not count). Its first paying MRR is *new*, unless the member had a subscription that
  churned before (then *reactivation*, as is a subscription paying again after it ended).
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from billing.models import Payment, PaymentReversal, Subscription, SubscriptionMovement
from invoices.models import Document, DocumentKind
from invoices.vat import split_gross
from products.models import Price

Kind = SubscriptionMovement.Kind
PAYING_STATUSES = (Subscription.Status.ACTIVE, Subscription.Status.PAST_DUE)

# Months per interval: a price every ``interval_count`` intervals is worth amount / (count x this).
MONTHS_PER_INTERVAL = {
    Price.Interval.DAY: Decimal(12) / Decimal(365),
    Price.Interval.WEEK: Decimal(12) / Decimal(52),
    Price.Interval.MONTH: Decimal(1),
    Price.Interval.YEAR: Decimal(12),
}


def monthly_amount(*, amount: int, interval: str, interval_count: int) -> int:
    """A recurring price normalised to a month, in minor units rounded half up.

    Yearly / 12, weekly x 52 / 12, daily x 365 / 12, each divided by the interval count (a price
    every 3 months is worth a third of it a month). A one-off price (no interval) is worth 0.
    """
    months = MONTHS_PER_INTERVAL.get(interval)
    if months is None or amount <= 0:
        return 0
    exact = Decimal(amount) / (months * max(interval_count, 1))
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def price_mrr(price: Price | None) -> int:
    if price is None or not price.is_recurring:
        return 0
    return monthly_amount(
        amount=price.amount, interval=price.interval, interval_count=price.interval_count
    )


def _vat_of(invoice: Document | None, cumulative: int) -> int:
    if invoice is None or cumulative <= 0:
        return 0
    if cumulative >= invoice.gross_total:
        return invoice.vat_total
    return split_gross(gross=cumulative, rate=invoice.vat_rate).vat


def record_reversal(*, payment: Payment, kind: str, amount: int, before: int, at: datetime) -> None:
    """``amount`` minor units of ``payment`` went back at ``at``; ``before`` had gone before."""
    if amount <= 0:
        return
    invoice = Document.objects.filter(payment=payment, kind=DocumentKind.INVOICE).first()
    vat = _vat_of(invoice, before + amount) - _vat_of(invoice, before)
    PaymentReversal.objects.create(
        payment=payment,
        kind=kind,
        amount=amount,
        vat=max(vat, 0),
        currency=payment.currency.upper(),
        is_test=payment.order.is_test,
        occurred_at=at,
    )


def _pays(subscription: Subscription, *, order_paid: bool) -> bool:
    return subscription.status in PAYING_STATUSES and (
        order_paid or Payment.objects.filter(order_id=subscription.order_id, amount__gt=0).exists()
    )


def _start_kind(subscription: Subscription) -> str:
    churned_before = SubscriptionMovement.objects.filter(
        subscription__member_id=subscription.member_id, kind=Kind.CHURN
    ).exists()
    return Kind.REACTIVATION if churned_before else Kind.NEW


def sync_subscription_mrr(
    *, subscription: Subscription, at: datetime, order_paid: bool = False
) -> None:
    """Bring ``paying_mrr`` up to date and record the movement (the subscription is locked).

    ``order_paid``: the caller has just recorded a payment above zero of the subscription's
    order, so there is no need to look for one.
    """
    if subscription.price_id is None and subscription.order.price_id is not None:
        subscription.price = subscription.order.price
    value = price_mrr(subscription.price)
    paying = value if _pays(subscription, order_paid=order_paid) else 0
    before = subscription.paying_mrr
    changed = value != subscription.mrr or paying != before
    subscription.mrr = value
    subscription.paying_mrr = paying
    if changed:
        subscription.save(update_fields=["price", "mrr", "paying_mrr"])
    if paying == before:
        return
    if before == 0:
        kind = _start_kind(subscription)
    elif paying == 0:
        kind = Kind.CHURN
    else:
        kind = Kind.EXPANSION if paying > before else Kind.CONTRACTION
    SubscriptionMovement.objects.create(
        subscription=subscription,
        kind=kind,
        mrr_delta=paying - before,
        currency=subscription.order.currency.upper(),
        is_test=subscription.order.is_test,
        occurred_at=at,
    )
