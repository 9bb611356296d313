"""The creator's figures: one read-only selector that the admin dashboard, its CSV exports and
`manage.py revenue_report` all print, so the page and the command can never disagree.

Money is a mapping currency -> minor units (``Amounts``); currencies are never added together.
Months are calendar months in the site's time zone (settings.TIME_ZONE). Test-mode orders are
left out unless ``include_test`` is set.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal

Amounts = dict[str, int]  # currency code -> amount in minor units


@dataclass(frozen=True)
class Revenue:
    gross: Amounts = field(default_factory=dict)  # payments received, VAT included
    refunds: Amounts = field(default_factory=dict)  # refunded in the period (by refund date)
    chargebacks: Amounts = field(default_factory=dict)  # lost disputes (by dispute date)
    vat: Amounts = field(default_factory=dict)  # VAT in gross minus VAT in refunds/chargebacks
    net: Amounts = field(default_factory=dict)  # gross - refunds - chargebacks - vat


@dataclass(frozen=True)
class Now:
    active_members: int = 0  # members with at least one open grant
    active_subscriptions: int = 0  # live and paying (not trialing, not cancelling)
    trialing_subscriptions: int = 0
    cancelling_subscriptions: int = 0  # live but cancel_at_period_end
    mrr: Amounts = field(default_factory=dict)  # paying subscriptions, normalised to a month
    mrr_trialing: Amounts = field(default_factory=dict)
    mrr_cancelling: Amounts = field(default_factory=dict)
    this_month: Revenue = field(default_factory=Revenue)
    last_month: Revenue = field(default_factory=Revenue)
    renewals_next_30_days: int = 0
    renewals_next_30_days_amount: Amounts = field(default_factory=dict)


@dataclass(frozen=True)
class Month:
    month: date  # the first day of the month, site time zone
    revenue: Revenue = field(default_factory=Revenue)
    new_customers: int = 0  # members whose first paid order falls in the month
    new_subscriptions: int = 0
    churned_subscriptions: int = 0
    live_at_start: int = 0  # paying subscriptions live at the month's first instant
    churn_rate: Decimal | None = None  # churned / live_at_start; None when live_at_start is 0
    mrr_end: Amounts = field(default_factory=dict)
    mrr_new: Amounts = field(default_factory=dict)
    mrr_expansion: Amounts = field(default_factory=dict)
    mrr_contraction: Amounts = field(default_factory=dict)
    mrr_churn: Amounts = field(default_factory=dict)  # positive numbers: MRR lost
    mrr_reactivation: Amounts = field(default_factory=dict)
    arpu: Amounts = field(default_factory=dict)  # net revenue / paying members of the month
    ltv: Amounts = field(default_factory=dict)  # arpu / churn_rate; empty when churn is 0
    reactivated_subscriptions: int = 0  # paying again after a churn (not counted as new)


@dataclass(frozen=True)
class ProductRow:
    product_id: int
    name: str
    kind: str
    revenue: Amounts = field(default_factory=dict)  # net of refunds and chargebacks
    buyers: int = 0
    refunds: Amounts = field(default_factory=dict)
    refunded_orders: int = 0
    refund_rate: Decimal | None = None  # refunded_orders / orders
    started: int | None = None  # courses: buyers with a first use; None for other kinds
    finished: int | None = None  # courses: buyers who completed every lesson
    chargebacks: Amounts = field(default_factory=dict)  # lost disputes (in revenue's net)
    orders: int = 0  # orders with a payment above zero in the months


@dataclass(frozen=True)
class ProviderRow:
    provider: str
    revenue: Amounts = field(default_factory=dict)
    buyers: int = 0
    refunds: Amounts = field(default_factory=dict)
    refunded_orders: int = 0
    refund_rate: Decimal | None = None
    chargebacks: Amounts = field(default_factory=dict)
    orders: int = 0


@dataclass(frozen=True)
class Report:
    generated_at: datetime
    time_zone: str
    currencies: list[str]
    include_test: bool
    now: Now
    months: list[Month]  # oldest first
    products: list[ProductRow]
    providers: list[ProviderRow]
    ltv_formula: str = "LTV = ARPU / churn rate"

    def as_json(self) -> dict:
        """Plain JSON types: dates ISO 8601, decimals as strings, money in minor units."""
        return _jsonable(asdict(self))


def _jsonable(value):
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def build_report(
    *, now: datetime, months: int = 12, currency: str | None = None, include_test: bool = False
) -> Report:
    """Every figure of the dashboard, computed with set-based aggregates (a fixed number of
    queries whatever the data size). ``currency`` keeps only that currency's amounts."""
    from dashboard.figures.build import assemble

    return assemble(now=now, months=months, currency=currency, include_test=include_test)
