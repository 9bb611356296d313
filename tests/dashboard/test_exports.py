"""Every dashboard table as CSV: what German Excel and an English spreadsheet open as they are."""

from __future__ import annotations

import csv
import io

import pytest
from django.utils import translation

from dashboard.exports import BOM, table_csv
from dashboard.tables import products_table, revenue_table
from tests.dashboard.hand_built import realistic_report, small_report
from tests.dashboard.test_page import served  # noqa: F401 - the fixture

UTF8_BOM = b"\xef\xbb\xbf"


def read(content: bytes, delimiter: str) -> list[list[str]]:
    assert content.startswith(UTF8_BOM)
    return list(
        csv.reader(io.StringIO(content.decode("utf-8").removeprefix(BOM)), delimiter=delimiter)
    )


def test_german_uses_semicolons_a_decimal_comma_and_a_currency_column():
    with translation.override("de"):
        content = table_csv(revenue_table(realistic_report()))

    assert content.startswith(UTF8_BOM)
    rows = read(content, ";")
    assert rows[0] == ["Kennzahl", "Währung", "Dieser Monat", "Letzter Monat"]
    assert rows[1:3] == [
        ["Brutto (inkl. USt)", "EUR", "1234,56", "4385,00"],
        ["Brutto (inkl. USt)", "USD", "310,00", "1071,00"],
    ]


def test_english_uses_commas_and_a_decimal_point():
    with translation.override("en"):
        rows = read(table_csv(revenue_table(realistic_report())), ",")

    assert rows[0] == ["Figure", "Currency", "This month", "Last month"]
    assert rows[-1] == ["Net revenue", "USD", "244.88", "846.00"]


def test_dutch_reads_like_german():
    with translation.override("nl"):
        content = table_csv(revenue_table(realistic_report()))
    assert read(content, ";")[1][2] == "1234,56"


def test_zero_decimal_currencies_stay_whole():
    report = small_report()
    object.__setattr__(report, "currencies", ["JPY"])
    object.__setattr__(report.products[0], "revenue", {"JPY": 4_900})

    rows = read(table_csv(products_table(report), language="en"), ",")

    assert rows[0][7:9] == ["Currency", "Revenue"]
    assert rows[1][7:9] == ["JPY", "4900"]


def test_formula_cells_are_defused_and_quotes_kept():
    rows = read(table_csv(products_table(realistic_report()), language="en"), ",")

    names = [row[0] for row in rows[1:]]
    assert '\'=HYPERLINK("http://evil") bundle' in names
    assert "Workbook <PDF> & templates" in names
    assert "Sauerteig für Anfänger" in names
    # A negative amount is a number, not a formula: no quote mark in front of it.
    report = small_report()
    object.__setattr__(report.products[0], "revenue", {"EUR": -500})
    assert read(table_csv(products_table(report), language="en"), ",")[1][8] == "-5.00"


def test_rates_are_percentages_and_missing_figures_empty():
    rows = read(table_csv(products_table(realistic_report()), language="de"), ";")

    assert rows[0][4] == "Refund rate (%)"
    course = next(row for row in rows if row[0] == "Sauerteig für Anfänger" and row[7] == "EUR")
    assert course == [
        "Sauerteig für Anfänger", "Course", "131", "5", "3,82", "118", "64",
        "EUR", "6123,00", "247,00",
    ]  # fmt: skip
    membership = rows[1]
    assert membership[5:7] == ["", ""]  # started, finished: courses only


@pytest.mark.django_db
@pytest.mark.parametrize(
    "table", ["now", "revenue", "months", "members", "mrr", "products", "providers"]
)
def test_every_table_downloads_with_a_dated_name(creator_client, served, table):  # noqa: F811
    response = creator_client.get(f"/admin/dashboard/{table}.csv", HTTP_ACCEPT_LANGUAGE="de")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="dashboard-{table}-2026-12-02.csv"'
    )
    assert response.content.startswith(UTF8_BOM)
    assert ";" in response.content.decode("utf-8").splitlines()[0]


@pytest.mark.django_db
def test_the_members_export_in_full(creator_client, served):  # noqa: F811
    served.report = small_report()

    rows = read(creator_client.get("/admin/dashboard/members.csv?test=1").content, ",")

    assert served.calls[0]["include_test"] is True
    assert rows[0] == ["Month", "New customers", "New subscriptions", "Churned",
                       "Live at start", "Churn rate (%)", "Currency", "ARPU", "LTV"]  # fmt: skip
    assert rows[2] == ["2026-11", "0", "2", "1", "4", "25.00", "EUR", "1234.56", "4938.24"]
    assert rows[1][-2:] == ["", ""]  # no ARPU or LTV that month
