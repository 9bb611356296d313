"""A dashboard table as a CSV file a spreadsheet opens as it is.

UTF-8 with a byte-order mark (German Excel reads umlauts), ``;`` between cells and a decimal
comma when the admin speaks German or Dutch (``,`` and a decimal point otherwise). Money is a
decimal number of the currency (``49.90``, never minor units) next to a currency column, one
line per currency. A text cell that a spreadsheet would run as a formula (``=``, ``+``, ``-``,
``@``, tab, carriage return) gets a leading ``'``.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from dashboard.tables import INT, MONEY, MONTH, RATE, Table
from products.money import to_decimal

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def uses_decimal_comma(language: str | None = None) -> bool:
    return (language or get_language() or "en").split("-")[0] in ("de", "nl")


def safe_text(text: str) -> str:
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _number(value: Decimal | int, comma: bool) -> str:
    text = str(value)
    return text.replace(".", ",") if comma else text


def _cell(value, kind: str, comma: bool) -> str:
    if value is None:
        return ""
    if kind == INT:
        return str(value)
    if kind == RATE:  # a percentage: 0.025 -> 2.50
        return _number((Decimal(value) * 100).quantize(Decimal("0.01")), comma)
    if kind == MONTH and isinstance(value, date):
        return value.strftime("%Y-%m")
    return safe_text(str(value))


def _money(amounts: dict[str, int] | None, currency: str, comma: bool) -> str:
    if amounts is None or not currency:
        return ""
    return _number(to_decimal(amounts.get(currency, 0), currency), comma)


def _header(column) -> str:
    return f"{column.label} (%)" if column.kind == RATE else str(column.label)


def table_csv(table: Table, *, language: str | None = None) -> bytes:
    comma = uses_decimal_comma(language)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if comma else ",", lineterminator="\r\n")
    plain = [i for i, column in enumerate(table.columns) if column.kind != MONEY]
    money = [i for i, column in enumerate(table.columns) if column.kind == MONEY]
    header = [safe_text(_header(table.columns[i])) for i in plain]
    if money:
        header += [_("Currency")] + [safe_text(_header(table.columns[i])) for i in money]
    writer.writerow(header)
    for row in table.rows:
        line = [_cell(row[i], table.columns[i].kind, comma) for i in plain]
        if not money:
            writer.writerow(line)
            continue
        for currency in table.currencies or [""]:
            writer.writerow([*line, currency, *(_money(row[i], currency, comma) for i in money)])
    return (BOM + out.getvalue()).encode("utf-8")


def filename(table: Table, day: date) -> str:
    return f"dashboard-{table.slug}-{day.isoformat()}.csv"
