"""Stripe: list every subscription with its latest invoice, and compare with ours.

- "paid, no access": Stripe has the subscription active or trialing with its latest invoice
  paid, and we record no subscription for it or none of its grants gives access now.
- "access, not paying": Stripe has ended the subscription (or does not know it) while one of
  our grants for it still gives access.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.db.models import Q

from billing import stripe_api
from billing.models import Customer, Payment, ReconcileFinding, Subscription
from billing.providers.stripe import site_is_live
from billing.providers.stripe_listing import (
    NAME,
    ListedSubscription,
    invoice_paid_replay,
    listed_subscription,
    subscription_ended_replay,
)
from billing.reconcile.evidence import grant_evidence, moment, money
from members.access import grant_allows_access
from members.models import AccessGrant

Kind = ReconcileFinding.Kind
Fix = ReconcileFinding.Fix


def _ours(*, is_live: bool) -> tuple[dict[str, Subscription], dict[int, list[AccessGrant]]]:
    """Our Stripe subscriptions by id, and per subscription the grants that stand for it: those
    its order gave (a bundle's items too), and the member's grant of the order's product when
    another order last extended it."""
    subscriptions = {
        subscription.provider_ref: subscription
        for subscription in Subscription.objects.filter(
            provider=NAME, order__is_test=not is_live
        ).select_related("member", "order")
    }
    order_pks = {subscription.order_id for subscription in subscriptions.values()}
    member_pks = {subscription.member_id for subscription in subscriptions.values()}
    candidates = AccessGrant.objects.filter(
        Q(order_id__in=order_pks) | Q(member_id__in=member_pks)
    ).select_related("product")
    by_order: dict[int, list[AccessGrant]] = defaultdict(list)
    by_member_product: dict[tuple[int, int], AccessGrant] = {}
    for grant in candidates:
        by_order[grant.order_id].append(grant)
        by_member_product[(grant.member_id, grant.product_id)] = grant
    grants: dict[int, list[AccessGrant]] = {}
    for subscription in subscriptions.values():
        its = list(by_order.get(subscription.order_id, []))
        held = by_member_product.get((subscription.member_id, subscription.order.product_id))
        if held is not None and held not in its:
            its.append(held)
        grants[subscription.order_id] = its
    return subscriptions, grants


def _stripe_evidence(listed: ListedSubscription) -> dict:
    invoice = listed.latest_invoice
    return {
        "subscription": listed.ref,
        "customer": listed.customer_ref,
        "status": listed.status,
        "current_period_end": moment(listed.current_period_end),
        "cancel_at_period_end": listed.cancel_at_period_end,
        "ended_at": moment(listed.ended_at),
        "latest_invoice": None
        if invoice is None
        else {
            "id": invoice.ref,
            "status": invoice.status,
            "paid_at": moment(invoice.paid_at),
            "paid_through": moment(invoice.paid_through),
            **money(invoice.amount_paid, invoice.currency),
        },
    }


def _our_evidence(subscription: Subscription | None, grants: list[AccessGrant], now) -> dict:
    if subscription is None:
        return {"subscription": None, "grants": []}
    return {
        "subscription": subscription.status,
        "current_period_end": moment(subscription.current_period_end),
        "member": subscription.member.email,
        "grants": [grant_evidence(grant, now=now) for grant in grants],
    }


def _finding(kind, listed_ref, *, member, email, summary, evidence, fix=Fix.NONE, payload=None):
    return ReconcileFinding(
        provider=NAME,
        kind=kind,
        subject_ref=listed_ref,
        member=member,
        email=email,
        summary=summary[:300],
        evidence=evidence,
        fix=fix,
        fix_payload=payload or {},
    )


def _paid_no_access(raw, listed, subscription, grants, *, now, recorded_invoices):
    invoice = listed.latest_invoice
    customer = Customer.objects.filter(provider=NAME, provider_customer_id=listed.customer_ref)
    member = subscription.member if subscription else getattr(customer.first(), "member", None)
    fix, payload = Fix.NONE, None
    if invoice.ref not in recorded_invoices:
        fix = Fix.REPLAY_INVOICE_PAID
        payload = {"event": invoice_paid_replay(raw, occurred_at=now)}
    if subscription is None:
        summary = f"Stripe {listed.status}, invoice {invoice.ref} paid; no subscription recorded"
    else:
        summary = f"Stripe {listed.status}, invoice {invoice.ref} paid; no grant gives access"
    return _finding(
        Kind.PAID_NO_ACCESS,
        listed.ref,
        member=member,
        email=member.email if member else invoice.email,
        summary=summary,
        evidence={
            "stripe": _stripe_evidence(listed),
            "ours": _our_evidence(subscription, grants, now),
            "invoice_recorded": invoice.ref in recorded_invoices,
        },
        fix=fix,
        payload=payload,
    )


def _access_not_paying(raw, listed, subscription, grants, *, now):
    if listed is None:
        summary = "access open, but Stripe does not list this subscription"
        fix, payload, stripe_evidence = Fix.NONE, None, None
    else:
        summary = f"access open, but Stripe has the subscription {listed.status}"
        fix = Fix.REPLAY_SUBSCRIPTION_ENDED
        payload = {"event": subscription_ended_replay(raw, occurred_at=now)}
        stripe_evidence = _stripe_evidence(listed)
    return _finding(
        Kind.ACCESS_NOT_PAYING,
        subscription.provider_ref,
        member=subscription.member,
        email=subscription.member.email,
        summary=summary,
        evidence={"stripe": stripe_evidence, "ours": _our_evidence(subscription, grants, now)},
        fix=fix,
        payload=payload,
    )


def _running(subscription: Subscription | None) -> bool:
    """We have not recorded its end. Access to an ended subscription's product is a support
    decision (given anyway, extended, complimentary), not a difference with Stripe."""
    return subscription is not None and subscription.status != Subscription.Status.CANCELED


def compare(*, now: datetime) -> tuple[int, list[ReconcileFinding]]:
    """(subscriptions checked, findings not yet saved). Reads only; raises on API errors that
    outlast the retries."""
    is_live = site_is_live()
    ours, grants = _ours(is_live=is_live)
    listed_all = [
        (raw, listed_subscription(raw))
        for raw in stripe_api.list_subscriptions()
        if (raw.get("livemode") is True) == is_live
    ]
    invoice_refs = [listed.latest_invoice.ref for _, listed in listed_all if listed.latest_invoice]
    recorded_invoices = set(
        Payment.objects.filter(provider=NAME, provider_ref__in=invoice_refs).values_list(
            "provider_ref", flat=True
        )
    )
    findings: list[ReconcileFinding] = []
    for raw, listed in listed_all:
        subscription = ours.get(listed.ref)
        its_grants = grants.get(subscription.order_id, []) if subscription else []
        has_access = any(grant_allows_access(grant, now=now) for grant in its_grants)
        if listed.is_entitled and not has_access:
            findings.append(
                _paid_no_access(
                    raw,
                    listed,
                    subscription,
                    its_grants,
                    now=now,
                    recorded_invoices=recorded_invoices,
                )
            )
        elif listed.has_ended and has_access and _running(subscription):
            findings.append(_access_not_paying(raw, listed, subscription, its_grants, now=now))
    listed_refs = {listed.ref for _, listed in listed_all}
    for ref, subscription in ours.items():
        its_grants = grants.get(subscription.order_id, [])
        has_access = any(grant_allows_access(grant, now=now) for grant in its_grants)
        if ref not in listed_refs and has_access and _running(subscription):
            findings.append(_access_not_paying(None, None, subscription, its_grants, now=now))
    return len(listed_all), findings
