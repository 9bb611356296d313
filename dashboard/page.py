"""Everything the dashboard page shows, from a ``Report`` alone (no query): the headline
figures, the tables and the charts. The real report and a hand-built one render the same way."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext as _

from dashboard.cells import HtmlTable, format_int, html_table
from dashboard.charts import Chart, charts_for
from dashboard.report import Amounts, Report
from dashboard.tables import (
    members_table,
    months_table,
    mrr_table,
    now_table,
    products_table,
    providers_table,
    revenue_table,
)
from products.money import format_money

gettext_noop("LTV = ARPU / churn rate")  # the report's formula, so it is translated


@dataclass(frozen=True)
class Headline:
    label: str
    figures: list[str]  # one per currency for money, one for a count
    note: str = ""


@dataclass(frozen=True)
class Page:
    report: Report
    headlines: list[Headline]
    now: HtmlTable
    revenue: HtmlTable
    months: HtmlTable
    members: HtmlTable
    mrr: HtmlTable
    products: HtmlTable
    providers: HtmlTable
    charts: list[Chart]
    ltv_formula: str  # the report's, in the admin's language when we know its words


def _money(amounts: Amounts, currencies: list[str]) -> list[str]:
    return [format_money(amounts.get(currency, 0), currency) for currency in currencies] or ["–"]


def headlines(report: Report) -> list[Headline]:
    now, currencies = report.now, report.currencies
    return [
        Headline(_("Active members"), [format_int(now.active_members)]),
        Headline(
            _("Paying subscriptions"),
            [format_int(now.active_subscriptions)],
            _("%(trialing)s in a trial, %(cancelling)s cancelling")
            % {
                "trialing": format_int(now.trialing_subscriptions),
                "cancelling": format_int(now.cancelling_subscriptions),
            },
        ),
        Headline(_("MRR"), _money(now.mrr, currencies), _("paying subscriptions only")),
        Headline(_("Net revenue this month"), _money(now.this_month.net, currencies)),
        Headline(
            _("Upcoming payouts"),
            _money(now.renewals_next_30_days_amount, currencies),
            _("%(count)s renewals in the next 30 days")
            % {"count": format_int(now.renewals_next_30_days)},
        ),
    ]


def build_page(report: Report) -> Page:
    return Page(
        report=report,
        headlines=headlines(report),
        now=html_table(now_table(report)),
        revenue=html_table(revenue_table(report)),
        months=html_table(months_table(report)),
        members=html_table(members_table(report)),
        ltv_formula=gettext(report.ltv_formula),
        mrr=html_table(mrr_table(report)),
        products=html_table(products_table(report)),
        providers=html_table(providers_table(report)),
        charts=charts_for(report),
    )
