"""The dashboard's tables, built from a ``Report`` alone: the page renders them as HTML and the
exports write them as CSV, so the two always show the same rows.

A ``Table`` holds raw values (counts, ``Decimal`` rates, month dates, money as ``Amounts`` in
minor units); ``cells.py`` formats them for the page and ``exports.py`` for a spreadsheet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _

from dashboard.report import Amounts, Month, Report, Revenue
from products.models import Product

TEXT, INT, MONEY, RATE, MONTH = "text", "int", "money", "rate", "month"
EXPORTS = ("now", "revenue", "months", "members", "mrr", "products", "providers")

Value = str | int | Decimal | date | Amounts | None


@dataclass(frozen=True)
class Column:
    label: str
    kind: str


@dataclass(frozen=True)
class Table:
    slug: str  # also the export's name: /admin/dashboard/<slug>.csv
    caption: str
    columns: list[Column]
    rows: list[list[Value]]
    currencies: list[str]

    @property
    def has_money(self) -> bool:
        return any(column.kind == MONEY for column in self.columns)


def _or_none(amounts: Amounts) -> Amounts | None:
    """An empty mapping means "not defined" (LTV without churn, ARPU without payers)."""
    return amounts or None


def add(*parts: Amounts, minus: tuple[Amounts, ...] = ()) -> Amounts:
    """Per currency sum of ``parts`` minus ``minus``; currencies are never mixed."""
    total: dict[str, int] = {}
    for amounts in parts:
        for currency, amount in amounts.items():
            total[currency] = total.get(currency, 0) + amount
    for amounts in minus:
        for currency, amount in amounts.items():
            total[currency] = total.get(currency, 0) - amount
    return total


def mrr_movement(month: Month) -> Amounts:
    return add(
        month.mrr_new,
        month.mrr_expansion,
        month.mrr_reactivation,
        minus=(month.mrr_contraction, month.mrr_churn),
    )


def now_table(report: Report) -> Table:
    now = report.now
    return Table(
        slug="now",
        caption=_("Now"),
        columns=[Column(_("Figure"), TEXT), Column(_("Count"), INT), Column(_("Amount"), MONEY)],
        rows=[
            [_("Active members"), now.active_members, None],
            [_("Paying subscriptions (MRR)"), now.active_subscriptions, now.mrr],
            [_("In a trial (MRR after the trial)"), now.trialing_subscriptions, now.mrr_trialing],
            [
                _("Cancelling at the period's end (MRR until then)"),
                now.cancelling_subscriptions,
                now.mrr_cancelling,
            ],
            [
                _("Renewals in the next 30 days (upcoming payouts)"),
                now.renewals_next_30_days,
                now.renewals_next_30_days_amount,
            ],
        ],
        currencies=report.currencies,
    )


def _revenue_rows(this: Revenue, last: Revenue) -> list[list[Value]]:
    return [
        [_("Gross (VAT included)"), this.gross, last.gross],
        [_("Refunds"), this.refunds, last.refunds],
        [_("Chargebacks"), this.chargebacks, last.chargebacks],
        [_("VAT"), this.vat, last.vat],
        [_("Net revenue"), this.net, last.net],
    ]


def revenue_table(report: Report) -> Table:
    return Table(
        slug="revenue",
        caption=_("Revenue this month and last month"),
        columns=[
            Column(_("Figure"), TEXT),
            Column(_("This month"), MONEY),
            Column(_("Last month"), MONEY),
        ],
        rows=_revenue_rows(report.now.this_month, report.now.last_month),
        currencies=report.currencies,
    )


def months_table(report: Report) -> Table:
    return Table(
        slug="months",
        caption=_("Revenue month by month"),
        columns=[
            Column(_("Month"), MONTH),
            Column(_("Gross"), MONEY),
            Column(_("Refunds"), MONEY),
            Column(_("Chargebacks"), MONEY),
            Column(_("VAT"), MONEY),
            Column(_("Net"), MONEY),
        ],
        rows=[
            [
                month.month,
                month.revenue.gross,
                month.revenue.refunds,
                month.revenue.chargebacks,
                month.revenue.vat,
                month.revenue.net,
            ]
            for month in report.months
        ],
        currencies=report.currencies,
    )


def members_table(report: Report) -> Table:
    return Table(
        slug="members",
        caption=_("Customers and churn month by month"),
        columns=[
            Column(_("Month"), MONTH),
            Column(_("New customers"), INT),
            Column(_("New subscriptions"), INT),
            Column(_("Churned"), INT),
            Column(_("Live at start"), INT),
            Column(_("Churn rate"), RATE),
            Column(_("ARPU"), MONEY),
            Column(_("LTV"), MONEY),
        ],
        rows=[
            [
                month.month,
                month.new_customers,
                month.new_subscriptions,
                month.churned_subscriptions,
                month.live_at_start,
                month.churn_rate,
                _or_none(month.arpu),
                _or_none(month.ltv),
            ]
            for month in report.months
        ],
        currencies=report.currencies,
    )


def mrr_table(report: Report) -> Table:
    return Table(
        slug="mrr",
        caption=_("MRR month by month"),
        columns=[
            Column(_("Month"), MONTH),
            Column(_("MRR at the month's end"), MONEY),
            Column(_("New"), MONEY),
            Column(_("Expansion"), MONEY),
            Column(_("Contraction"), MONEY),
            Column(_("Churn"), MONEY),
            Column(_("Reactivation"), MONEY),
            Column(_("Net movement"), MONEY),
        ],
        rows=[
            [
                month.month,
                month.mrr_end,
                month.mrr_new,
                month.mrr_expansion,
                month.mrr_contraction,
                month.mrr_churn,
                month.mrr_reactivation,
                mrr_movement(month),
            ]
            for month in report.months
        ],
        currencies=report.currencies,
    )


def products_table(report: Report) -> Table:
    return Table(
        slug="products",
        caption=_("By product"),
        columns=[
            Column(_("Product"), TEXT),
            Column(_("Kind"), TEXT),
            Column(_("Revenue"), MONEY),
            Column(_("Buyers"), INT),
            Column(_("Refunds"), MONEY),
            Column(_("Refunded orders"), INT),
            Column(_("Refund rate"), RATE),
            Column(_("Started"), INT),
            Column(_("Finished"), INT),
        ],
        rows=[
            [
                row.name,
                _kind_label(row.kind),
                row.revenue,
                row.buyers,
                row.refunds,
                row.refunded_orders,
                row.refund_rate,
                row.started,
                row.finished,
            ]
            for row in report.products
        ],
        currencies=report.currencies,
    )


def providers_table(report: Report) -> Table:
    return Table(
        slug="providers",
        caption=_("By provider"),
        columns=[
            Column(_("Provider"), TEXT),
            Column(_("Revenue"), MONEY),
            Column(_("Buyers"), INT),
            Column(_("Refunds"), MONEY),
            Column(_("Refunded orders"), INT),
            Column(_("Refund rate"), RATE),
        ],
        rows=[
            [
                _provider_label(row.provider),
                row.revenue,
                row.buyers,
                row.refunds,
                row.refunded_orders,
                row.refund_rate,
            ]
            for row in report.providers
        ],
        currencies=report.currencies,
    )


def _kind_label(kind: str) -> str:
    return str(dict(Product.Kind.choices).get(kind, kind))


def _provider_label(provider: str) -> str:
    return {"stripe": "Stripe", "digistore24": "Digistore24"}.get(provider, provider)


BUILDERS = {
    "now": now_table,
    "revenue": revenue_table,
    "months": months_table,
    "members": members_table,
    "mrr": mrr_table,
    "products": products_table,
    "providers": providers_table,
}


def table_for(report: Report, slug: str) -> Table:
    return BUILDERS[slug](report)
