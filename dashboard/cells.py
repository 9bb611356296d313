"""A ``Table`` as the page shows it: every value formatted in the active language, money in one
column per currency when the site sells in several (a two-row header: the figure, then its
currencies)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils import formats
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from dashboard.tables import INT, MONEY, MONTH, RATE, Table
from products.money import format_money

DASH = "–"


@dataclass(frozen=True)
class HeadCell:
    text: str
    colspan: int = 1
    rowspan: int = 1


@dataclass(frozen=True)
class Cell:
    text: str
    numeric: bool = False
    row_header: bool = False


@dataclass(frozen=True)
class HtmlTable:
    slug: str
    caption: str
    head: list[list[HeadCell]]
    body: list[list[Cell]]

    def head_html(self) -> str:
        """The header rows, written here rather than by the template: the page has a dozen
        tables of up to 13 × 30 cells, and a template loop per cell cost more than the rest of
        the page's Python together."""
        return mark_safe("".join(f"<tr>{''.join(map(_th, row))}</tr>" for row in self.head))  # noqa: S308 - every text escaped in _th

    def body_html(self) -> str:
        return mark_safe("".join(f"<tr>{''.join(map(_td, row))}</tr>\n" for row in self.body))  # noqa: S308 - every text escaped in _td


def _th(head: HeadCell) -> str:
    scope = "colgroup" if head.colspan > 1 else "col"
    span = f' colspan="{head.colspan}"' if head.colspan > 1 else ""
    span += f' rowspan="{head.rowspan}"' if head.rowspan > 1 else ""
    return f'<th scope="{scope}"{span}>{conditional_escape(head.text)}</th>'


def _td(cell: Cell) -> str:
    if cell.row_header:
        return f'<th scope="row">{conditional_escape(cell.text)}</th>'
    numeric = ' class="num"' if cell.numeric else ""
    return f"<td{numeric}>{conditional_escape(cell.text)}</td>"


def format_int(value: int | None) -> str:
    if value is None:
        return DASH
    return formats.number_format(value, use_l10n=True, force_grouping=True)


def format_rate(value: Decimal | None) -> str:
    """0.025 as "2.5%" in English, "2,5 %" in German and Dutch."""
    if value is None:
        return DASH
    number = formats.number_format(value * 100, decimal_pos=1, use_l10n=True)
    return f"{number}%" if formats.get_format("DECIMAL_SEPARATOR") == "." else f"{number}\u00a0%"


def format_month(value: date) -> str:
    return formats.date_format(value, "YEAR_MONTH_FORMAT")


def format_value(value, kind: str) -> str:
    if kind == INT:
        return format_int(value)
    if kind == RATE:
        return format_rate(value)
    if kind == MONTH:
        return format_month(value)
    return DASH if value in (None, "") else str(value)


def money_cell(amounts: dict[str, int] | None, currency: str) -> str:
    if amounts is None or not currency:
        return DASH
    return format_money(amounts.get(currency, 0), currency)


def html_table(table: Table) -> HtmlTable:
    currencies = table.currencies
    split = table.has_money and len(currencies) > 1
    top: list[HeadCell] = []
    for column in table.columns:
        if column.kind == MONEY and split:
            top.append(HeadCell(column.label, colspan=len(currencies)))
        else:
            top.append(HeadCell(column.label, rowspan=2 if split else 1))
    head = [top]
    if split:
        money_columns = sum(1 for column in table.columns if column.kind == MONEY)
        head.append([HeadCell(currency) for currency in currencies] * money_columns)
    body = []
    for row in table.rows:
        cells = []
        for index, (column, value) in enumerate(zip(table.columns, row, strict=True)):
            if column.kind == MONEY:
                cells += [Cell(money_cell(value, c), numeric=True) for c in currencies or [""]]
            else:
                numeric = column.kind in (INT, RATE)
                cells.append(Cell(format_value(value, column.kind), numeric, row_header=index == 0))
        body.append(cells)
    return HtmlTable(slug=table.slug, caption=table.caption, head=head, body=body)
