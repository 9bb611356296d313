"""The report as plain-text tables for ``manage.py revenue_report`` (money per currency,
formatted for the active language; months as the site's calendar months)."""

from __future__ import annotations

from decimal import Decimal

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from dashboard.report import Report
from products.money import format_money


def _money(amounts: dict[str, int], currencies: list[str]) -> str:
    if not currencies:
        return "-"
    return "  ".join(format_money(amounts[c], c) if c in amounts else f"- {c}" for c in currencies)


def _percent(value: Decimal | None) -> str:
    if value is None:
        return "-"
    return formats.number_format(value * 100, decimal_pos=2, use_l10n=True) + " %"


def _table(headings: list[str], rows: list[list[str]]) -> list[str]:
    widths = [
        max(len(str(cell)) for cell in column) for column in zip(headings, *rows, strict=True)
    ]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True))  # noqa: E731
    return [line(headings), "  ".join("-" * w for w in widths), *(line(r) for r in rows)]


def report_lines(report: Report) -> list[str]:
    cur = report.currencies
    now = report.now
    lines = [
        _("Revenue report, %(time)s (%(zone)s)")
        % {
            "time": formats.date_format(timezone.localtime(report.generated_at), "DATETIME_FORMAT"),
            "zone": report.time_zone,
        },
        _("Test-mode orders included.") if report.include_test else _("Test-mode orders left out."),
        "",
        _("Now"),
        f"  {_('Active members')}: {now.active_members}",
        f"  {_('Paying subscriptions')}: {now.active_subscriptions}",
        f"  {_('Trialing subscriptions')}: {now.trialing_subscriptions}",
        f"  {_('Cancelling at period end')}: {now.cancelling_subscriptions}",
        f"  {_('MRR')}: {_money(now.mrr, cur)}",
        f"  {_('MRR in trials')}: {_money(now.mrr_trialing, cur)}",
        f"  {_('MRR cancelling')}: {_money(now.mrr_cancelling, cur)}",
        f"  {_('Renewals due in the next 30 days')}: {now.renewals_next_30_days}, "
        f"{_money(now.renewals_next_30_days_amount, cur)}",
    ]
    for label, revenue in ((_("This month"), now.this_month), (_("Last month"), now.last_month)):
        lines.append(
            f"  {label}: {_('gross')} {_money(revenue.gross, cur)}; "
            f"{_('refunds')} {_money(revenue.refunds, cur)}; "
            f"{_('chargebacks')} {_money(revenue.chargebacks, cur)}; "
            f"{_('VAT')} {_money(revenue.vat, cur)}; {_('net')} {_money(revenue.net, cur)}"
        )
    lines += ["", _("Month by month")]
    headings = [_("Month"), _("Gross"), _("Refunds"), _("Net"), _("New customers")]
    headings += [_("New subscriptions"), _("Churned"), _("Churn rate"), _("MRR at month end")]
    headings += [_("ARPU"), _("LTV")]
    rows = [
        [
            formats.date_format(m.month, "YEAR_MONTH_FORMAT"),
            _money(m.revenue.gross, cur),
            _money(m.revenue.refunds, cur),
            _money(m.revenue.net, cur),
            str(m.new_customers),
            str(m.new_subscriptions),
            str(m.churned_subscriptions),
            _percent(m.churn_rate),
            _money(m.mrr_end, cur),
            _money(m.arpu, cur),
            _money(m.ltv, cur),
        ]
        for m in report.months
    ]
    lines += _table(headings, rows)
    lines += ["", _("Net MRR movement")]
    headings = [_("Month"), _("New"), _("Expansion"), _("Contraction"), _("Churn")]
    headings.append(_("Reactivation"))
    rows = [
        [
            formats.date_format(m.month, "YEAR_MONTH_FORMAT"),
            *(
                _money(amounts, cur)
                for amounts in (
                    m.mrr_new,
                    m.mrr_expansion,
                    m.mrr_contraction,
                    m.mrr_churn,
                    m.mrr_reactivation,
                )
            ),
        ]
        for m in report.months
    ]
    lines += _table(headings, rows)
    lines.append(_("LTV = ARPU / churn rate"))
    lines += ["", _("By product")]
    headings = [_("Product"), _("Revenue"), _("Buyers"), _("Refunds"), _("Refund rate")]
    headings += [_("Started"), _("Finished")]
    rows = [
        [
            p.name,
            _money(p.revenue, cur),
            str(p.buyers),
            _money(p.refunds, cur),
            _percent(p.refund_rate),
            "-" if p.started is None else str(p.started),
            "-" if p.finished is None else str(p.finished),
        ]
        for p in report.products
    ]
    lines += _table(headings, rows)
    lines += ["", _("By provider")]
    headings = [_("Provider"), _("Revenue"), _("Buyers"), _("Refunds"), _("Refund rate")]
    rows = [
        [
            p.provider,
            _money(p.revenue, cur),
            str(p.buyers),
            _money(p.refunds, cur),
            _percent(p.refund_rate),
        ]
        for p in report.providers
    ]
    lines += _table(headings, rows)
    return lines
