"""The dashboard's charts as server-side SVG, drawn in Python from a ``Report``: no JavaScript,
no CDN. Each SVG is an image with a title and a description (``role="img"``,
``aria-labelledby``), each bar and point carries its exact figure in a ``<title>`` (a tooltip),
and each chart comes with the table of its numbers. Every label is escaped. The ``viewBox``
lets the drawing scale from a 375 px phone to a desktop; colours are CSS classes, so the
brand's accent (a CSS variable) and the admin's dark theme apply.

Money is never mixed: one revenue chart per currency.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils import formats
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from dashboard.cells import HtmlTable, format_month, html_table
from dashboard.report import Report
from dashboard.tables import INT, MONEY, MONTH, TEXT, Column, Table
from products.money import SYMBOLS, format_money, to_decimal

WIDTH = 560
LEFT, RIGHT, TOP, BOTTOM = 72, 12, 14, 44
ROW = 52  # one product's band in the bar chart: its name, then its bar
MAX_PRODUCTS = 8
LABEL_CHARS = 48


@dataclass(frozen=True)
class Chart:
    slug: str
    title: str
    description: str
    svg: SafeString
    legend: list[tuple[str, str]]  # (css class, label)
    table: HtmlTable


# --- scales and labels ----------------------------------------------------------------------


def nice_step(span: int) -> int:
    """A round step (1, 2 or 5 times a power of ten) that cuts ``span`` into at most 4 parts."""
    target = max(1, -(-span // 4))
    power = 10 ** (len(str(target)) - 1)
    for factor in (1, 2, 5, 10):
        if factor * power >= target:
            return factor * power
    return 10 * power  # pragma: no cover - the loop always returns


def scale(values: list[int]) -> tuple[int, int, int]:
    """(low, high, step) covering every value and 0, in round steps."""
    low, high = min([0, *values]), max([0, *values])
    step = nice_step(max(high - low, 1))
    low, high = step * (low // step), step * -(-high // step)
    return low, max(high, low + step), step  # never an empty range


def short_money(amount: int, currency: str) -> str:
    """An axis label: whole units with the locale's grouping ("€1,200", "1.200 €")."""
    number = formats.number_format(
        round(to_decimal(amount, currency)), decimal_pos=0, use_l10n=True, force_grouping=True
    )
    symbol = SYMBOLS.get(currency, currency)
    if formats.get_format("DECIMAL_SEPARATOR") == "." and len(symbol) == 1:
        return f"-{symbol}{number[1:]}" if number.startswith("-") else f"{symbol}{number}"
    return f"{number}\u00a0{symbol}"


def short_int(value: int) -> str:
    return formats.number_format(value, use_l10n=True, force_grouping=True)


def _text(x: float, y: float, text: str, css: str, anchor: str = "middle") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" class="{css}" text-anchor="{anchor}">{escape(text)}</text>'
    )


def _line(x1: float, x2: float, y1: float, y2: float, css: str) -> str:
    return f'<line x1="{x1:.1f}" x2="{x2:.1f}" y1="{y1:.1f}" y2="{y2:.1f}" class="{css}"/>'


def _svg(slug: str, title: str, description: str, height: int, body: list[str]) -> SafeString:
    return mark_safe(  # noqa: S308 - every label went through escape()
        f'<svg xmlns="http://www.w3.org/2000/svg" class="dash-chart" viewBox="0 0 {WIDTH} {height}"'
        f' role="img" aria-labelledby="{slug}-title {slug}-desc" focusable="false">'
        f'<title id="{slug}-title">{escape(title)}</title>'
        f'<desc id="{slug}-desc">{escape(description)}</desc>' + "".join(body) + "</svg>"
    )


class _MonthAxes:
    """The frame of a month chart: y from a scale, one band per month along x."""

    def __init__(self, months: list[date], values: list[int], label, height: int = 240) -> None:
        self.months, self.height = months, height
        self.low, self.high, self.step = scale(values)
        self.plot_height = height - TOP - BOTTOM
        self.band = (WIDTH - LEFT - RIGHT) / max(len(months), 1)
        self.label = label

    def y(self, value: int) -> float:
        return TOP + (self.high - value) / (self.high - self.low) * self.plot_height

    def x(self, index: int) -> float:
        return LEFT + index * self.band

    def frame(self) -> list[str]:
        parts = []
        for tick in range(self.low, self.high + 1, self.step):
            y = self.y(tick)
            css = "dash-axis" if tick == 0 else "dash-grid"
            parts.append(_line(LEFT, WIDTH - RIGHT, y, y, css))
            parts.append(_text(LEFT - 6, y + 4, self.label(tick), "dash-tick dash-y", "end"))
        for index, month in enumerate(self.months):
            x = self.x(index) + self.band / 2
            bottom = TOP + self.plot_height
            css = "dash-tick dash-odd" if index % 2 else "dash-tick"  # a phone shows every other
            parts.append(_text(x, bottom + 17, formats.date_format(month, "M"), css))
            if index == 0 or month.month == 1:
                parts.append(_text(x, bottom + 38, str(month.year), "dash-tick"))
        return parts

    def bar(self, index: int, value: int, css: str, tip: str, slot=0, slots=1) -> str:
        width = self.band * 0.7 / slots
        x = self.x(index) + self.band * 0.15 + slot * width
        top, bottom = sorted((self.y(value), self.y(0)))
        return (
            f'<rect class="{css}" x="{x:.1f}" y="{top:.1f}" width="{width:.1f}"'
            f' height="{bottom - top:.1f}" data-value="{value}"><title>{escape(tip)}</title></rect>'
        )


# --- the charts -----------------------------------------------------------------------------


def revenue_chart(report: Report, currency: str) -> Chart:
    """Net revenue per month as bars, MRR at each month's end as a line, in one currency."""
    months = [month.month for month in report.months]
    net = [month.revenue.net.get(currency, 0) for month in report.months]
    mrr = [month.mrr_end.get(currency, 0) for month in report.months]
    axes = _MonthAxes(months, net + mrr, lambda tick: short_money(tick, currency))
    slug = f"chart-revenue-{currency.lower()}"
    body = axes.frame()
    for index, (month, value) in enumerate(zip(months, net, strict=True)):
        tip = f"{format_month(month)}: {_('net revenue')} {format_money(value, currency)}"
        body.append(axes.bar(index, value, "dash-bar", tip))
    points = [(axes.x(i) + axes.band / 2, axes.y(value)) for i, value in enumerate(mrr)]
    if points:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        body.append(f'<polyline class="dash-line" points="{path}"/>')
    for (x, y), month, value in zip(points, months, mrr, strict=True):
        tip = f"{format_month(month)}: MRR {format_money(value, currency)}"
        body.append(
            f'<circle class="dash-point" cx="{x:.1f}" cy="{y:.1f}" r="3.5" data-value="{value}">'
            f"<title>{escape(tip)}</title></circle>"
        )
    title = _("Net revenue and MRR, %(currency)s") % {"currency": currency}
    description = _months_summary(months) + " " + _best_month(months, net, currency)
    table = Table(
        slug=slug,
        caption=title,
        columns=[
            Column(_("Month"), MONTH),
            Column(_("Net revenue"), MONEY),
            Column(_("MRR at the month's end"), MONEY),
        ],
        rows=[[m.month, m.revenue.net, m.mrr_end] for m in report.months],
        currencies=[currency],
    )
    return Chart(
        slug=slug,
        title=title,
        description=description,
        svg=_svg(slug, title, description, axes.height, body),
        legend=[("dash-key-bar", _("Net revenue")), ("dash-key-line", _("MRR"))],
        table=html_table(table),
    )


def members_chart(report: Report) -> Chart:
    """New and churned subscriptions per month, side by side."""
    months = [month.month for month in report.months]
    new = [month.new_subscriptions for month in report.months]
    churned = [month.churned_subscriptions for month in report.months]
    axes = _MonthAxes(months, new + churned, short_int)
    slug = "chart-members"
    body = axes.frame()
    for index, month in enumerate(months):
        label = format_month(month)
        tip_new = _("%(month)s: %(count)s new") % {"month": label, "count": short_int(new[index])}
        tip_churned = _("%(month)s: %(count)s churned") % {
            "month": label,
            "count": short_int(churned[index]),
        }
        body.append(axes.bar(index, new[index], "dash-bar", tip_new, 0, 2))
        body.append(axes.bar(index, churned[index], "dash-bar-churn", tip_churned, 1, 2))
    title = _("New and churned subscriptions")
    description = (
        _months_summary(months)
        + " "
        + _("%(new)s new and %(churned)s churned subscriptions in all.")
        % {"new": short_int(sum(new)), "churned": short_int(sum(churned))}
    )
    table = Table(
        slug=slug,
        caption=title,
        columns=[Column(_("Month"), MONTH), Column(_("New"), INT), Column(_("Churned"), INT)],
        rows=[[m.month, m.new_subscriptions, m.churned_subscriptions] for m in report.months],
        currencies=[],
    )
    return Chart(
        slug=slug,
        title=title,
        description=description,
        svg=_svg(slug, title, description, axes.height, body),
        legend=[("dash-key-bar", _("New")), ("dash-key-churn", _("Churned"))],
        table=html_table(table),
    )


def products_chart(report: Report, currency: str) -> Chart | None:
    """Revenue by product in one currency, largest first, as horizontal bars."""
    rows = sorted(
        (row for row in report.products if row.revenue.get(currency, 0)),
        key=lambda row: -row.revenue.get(currency, 0),
    )
    if not rows:
        return None
    shown = rows[:MAX_PRODUCTS]
    values = [row.revenue[currency] for row in shown]
    low, high, _step = scale(values)
    plot = WIDTH - RIGHT - 90  # room for the figure after the longest bar
    height = TOP + ROW * len(shown)
    slug = f"chart-products-{currency.lower()}"
    body = []
    zero = plot * (-low) / (high - low)
    for index, (row, value) in enumerate(zip(shown, values, strict=True)):
        y = TOP + index * ROW
        name = row.name if len(row.name) <= LABEL_CHARS else row.name[: LABEL_CHARS - 1] + "…"
        body.append(_text(0, y + 14, name, "dash-tick dash-name", "start"))
        end = plot * (value - low) / (high - low)
        x, width = min(zero, end), max(abs(end - zero), 1)
        tip = f"{row.name}: {format_money(value, currency)}"
        body.append(
            f'<rect class="dash-bar" x="{x:.1f}" y="{y + 20}" width="{width:.1f}"'
            f' height="{ROW - 30}" data-value="{value}"><title>{escape(tip)}</title></rect>'
        )
        figure = short_money(value, currency)
        body.append(_text(max(zero, end) + 6, y + 36, figure, "dash-tick", "start"))
    title = _("Revenue by product, %(currency)s") % {"currency": currency}
    description = _("%(count)s products with revenue; the largest is %(name)s with %(amount)s.") % {
        "count": short_int(len(rows)),
        "name": rows[0].name,
        "amount": format_money(values[0], currency),
    }
    if len(rows) > len(shown):
        description += " " + _("The chart shows the first %(shown)s; the table lists all.") % {
            "shown": len(shown)
        }
    table = Table(
        slug=slug,
        caption=title,
        columns=[Column(_("Product"), TEXT), Column(_("Revenue"), MONEY)],
        rows=[[row.name, row.revenue] for row in rows],
        currencies=[currency],
    )
    return Chart(
        slug=slug,
        title=title,
        description=description,
        svg=_svg(slug, title, description, height, body),
        legend=[],
        table=html_table(table),
    )


def _months_summary(months: list[date]) -> str:
    if not months:
        return _("No months yet.")
    return _("From %(first)s to %(last)s.") % {
        "first": format_month(months[0]),
        "last": format_month(months[-1]),
    }


def _best_month(months: list[date], values: list[int], currency: str) -> str:
    if not months:
        return ""
    best = max(range(len(values)), key=lambda index: values[index])
    return _("Highest net revenue in %(month)s: %(amount)s.") % {
        "month": format_month(months[best]),
        "amount": format_money(values[best], currency),
    }


def charts_for(report: Report) -> list[Chart]:
    charts = [revenue_chart(report, currency) for currency in report.currencies]
    charts.append(members_chart(report))
    for currency in report.currencies:
        chart = products_chart(report, currency)
        if chart is not None:
            charts.append(chart)
    return charts
