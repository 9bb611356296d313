"""Subscriptions: the state now (paying, trialing, cancelling, MRR, renewals due), and the MRR
movements by month from the ledger (``billing.SubscriptionMovement``). Four grouped queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth

from billing.models import Subscription, SubscriptionMovement
from dashboard.figures.common import Amounts, Period, add, as_month

Status = Subscription.Status
Kind = SubscriptionMovement.Kind
PAYING = (Status.ACTIVE, Status.PAST_DUE)
RENEWING = (Status.ACTIVE, Status.PAST_DUE, Status.TRIALING)
STARTS = (Kind.NEW, Kind.REACTIVATION)


@dataclass
class SubscriptionsNow:
    active: int = 0
    trialing: int = 0
    cancelling: int = 0
    mrr: Amounts = field(default_factory=dict)
    mrr_trialing: Amounts = field(default_factory=dict)
    mrr_cancelling: Amounts = field(default_factory=dict)
    renewals: int = 0
    renewals_amount: Amounts = field(default_factory=dict)


def _live(period: Period) -> Q:
    return period.live(test_field="order__is_test", currency_field="order__currency")


def subscriptions_now(period: Period) -> SubscriptionsNow:
    now = SubscriptionsNow()
    rows = (
        Subscription.objects.filter(_live(period), status__in=RENEWING)
        .values("status", "cancel_at_period_end", "order__currency")
        .annotate(count=Count("id"), value=Sum("mrr"), paying=Sum("paying_mrr"))
    )
    for row in rows:
        currency = row["order__currency"]
        if row["status"] == Status.TRIALING:
            now.trialing += row["count"]
            add(now.mrr_trialing, currency, row["value"])
        elif row["cancel_at_period_end"]:
            now.cancelling += row["count"]
            add(now.mrr_cancelling, currency, row["paying"])
        else:
            now.active += row["count"]
            add(now.mrr, currency, row["paying"])
    due = (
        Subscription.objects.filter(
            _live(period),
            status__in=RENEWING,
            cancel_at_period_end=False,
            current_period_end__gt=period.now,
            current_period_end__lte=period.now + timedelta(days=30),
        )
        .values("order__currency")
        .annotate(count=Count("id"), amount=Sum("price__amount"))
    )
    for row in due:
        now.renewals += row["count"]
        add(now.renewals_amount, row["order__currency"], row["amount"])
    return now


@dataclass
class MonthMovements:
    new: int = 0
    reactivated: int = 0
    churned: int = 0
    amounts: dict[str, Amounts] = field(default_factory=lambda: defaultdict(dict))  # by kind


@dataclass
class Movements:
    live_before: int  # paying subscriptions at the report's first instant
    mrr_before: Amounts
    months: dict[date, MonthMovements]


def _movements(period: Period):
    return SubscriptionMovement.objects.filter(
        period.live(test_field="is_test", currency_field="currency")
    )


def movements_by_month(period: Period) -> Movements:
    before = (
        _movements(period)
        .filter(occurred_at__lt=period.start)
        .values("currency", "kind")
        .annotate(count=Count("id"), delta=Sum("mrr_delta"))
    )
    live_before = 0
    mrr_before: Amounts = {}
    for row in before:
        add(mrr_before, row["currency"], row["delta"])
        if row["kind"] in STARTS:
            live_before += row["count"]
        elif row["kind"] == Kind.CHURN:
            live_before -= row["count"]
    months: dict[date, MonthMovements] = defaultdict(MonthMovements)
    rows = (
        _movements(period)
        .filter(period.bounds("occurred_at"))
        .annotate(month=TruncMonth("occurred_at", tzinfo=period.tz))
        .values("month", "currency", "kind")
        .annotate(count=Count("id"), delta=Sum("mrr_delta"))
    )
    for row in rows:
        entry = months[as_month(row["month"])]
        kind = row["kind"]
        if kind == Kind.NEW:
            entry.new += row["count"]
        elif kind == Kind.REACTIVATION:
            entry.reactivated += row["count"]
        elif kind == Kind.CHURN:
            entry.churned += row["count"]
        add(entry.amounts[kind], row["currency"], row["delta"])
    return Movements(live_before=live_before, mrr_before=mrr_before, months=months)
