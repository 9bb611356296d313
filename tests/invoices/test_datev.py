"""The tax advisor's DATEV file (EXTF Buchungsstapel, format version 13), checked against DATEV's
format description: the 31-field header, the 125 column headings, Windows-1252, decimal comma,
Belegdatum DDMM, one booking per document, and totals that match the invoices to the cent."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db.models import Sum

from invoices.datev import DatevExportError, booking_row, datev_export, encode, revenue_account
from invoices.models import Document, SellerSettings
from invoices.services import issue_credit_note_for_refund, issue_invoice_for_payment
from tests.invoices.helpers import NOW, checkout_buyer, make_payment, make_seller

pytestmark = pytest.mark.django_db

MARCH = {"start": date(2026, 3, 1), "end": date(2026, 3, 31)}
DATEV_SELLER = {"datev_consultant_number": 29098, "datev_client_number": 55003}
# Positions (1-based) and headings from DATEV's format description, Buchungsstapel version 13.
PUBLISHED_HEADINGS = {
    1: "Umsatz (ohne Soll/Haben-Kz)",
    2: "Soll/Haben-Kennzeichen",
    3: "WKZ Umsatz",
    7: "Konto",
    8: "Gegenkonto (ohne BU-Schlüssel)",
    9: "BU-Schlüssel",
    10: "Belegdatum",
    11: "Belegfeld 1",
    14: "Buchungstext",
    40: "EU-Land u. UStID (Bestimmung)",
    41: "EU-Steuersatz (Bestimmung)",
    114: "Festschreibung",
    115: "Leistungsdatum",
    125: "Abw. Skontokonto",
}


def parse(content: bytes) -> tuple[list[str], list[str], list[list[str]]]:
    text = content.decode("cp1252")
    header, headings, *rows = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    return header, headings, rows


@pytest.fixture
def march():
    """March: 49.00 at 19 % to a buyer with umlauts, a 10.00 credit note on it, 19.00 at 7 %;
    April: one more invoice that a March export leaves out."""
    seller = make_seller(**DATEV_SELLER)
    first = make_payment(amount=4900)
    buyer = checkout_buyer(name="Jürgen Müßig-Öztürk")
    issue_invoice_for_payment(payment=first, now=NOW, buyer=buyer)
    issue_credit_note_for_refund(payment=first, amount=1000, now=NOW + timedelta(days=5))
    seller.default_vat_rate = Decimal("7.00")
    seller.save()
    later = datetime(2026, 3, 31, 21, tzinfo=UTC)  # 31 March, 23:00 in Berlin
    issue_invoice_for_payment(
        payment=make_payment(amount=1900, paid_at=later), now=later, buyer=checkout_buyer()
    )
    april = datetime(2026, 4, 2, 10, tzinfo=UTC)
    issue_invoice_for_payment(payment=make_payment(amount=2500, paid_at=april), now=april)


def test_the_datev_file_follows_the_published_format(march):
    batch = datev_export(**MARCH, now=NOW, exported_by="creator@example.test")
    header, headings, rows = parse(batch.content)

    assert batch.filename == "EXTF_Buchungsstapel_20260301_20260331.csv"
    assert not batch.content.startswith(b"\xef\xbb\xbf")  # Windows-1252 has no BOM
    assert batch.content.count(b"\r\n") == 2 + 3
    assert len(header) == 31
    assert header[:6] == ["EXTF", "700", "21", "Buchungsstapel", "13", "20260310103000000"]
    assert header[7:16] == [
        "RE", "creator@example.test", "", "29098", "55003", "20260101", "4", "20260301",
        "20260331",
    ]  # fmt: skip
    assert (header[16], header[18], header[20], header[21], header[26]) == (
        "01.03.2026-31.03.2026", "1", "0", "EUR", "03",
    )  # fmt: skip
    assert len(headings) == 125
    assert {position: headings[position - 1] for position in PUBLISHED_HEADINGS} == (
        PUBLISHED_HEADINGS
    )
    assert [len(row) for row in rows] == [125, 125, 125]
    assert [row[:14] for row in rows] == [
        ["49,00", "S", "EUR", "", "", "", "1360", "8400", "", "1003", "RE-2026-000001", "", "",
         "Jürgen Müßig-Öztürk"],
        ["10,00", "H", "EUR", "", "", "", "1360", "8400", "", "1503", "GS-2026-000001", "", "",
         "RE-2026-000001 Jürgen Müßig-Öztürk"],
        ["19,00", "S", "EUR", "", "", "", "1360", "8300", "", "3103", "RE-2026-000002", "", "",
         "Ada Lovelace"],
    ]  # fmt: skip
    assert all(set(row[14:]) == {""} for row in rows)


def test_umlauts_are_written_in_windows_1252_and_text_fields_are_quoted(march):
    content = datev_export(**MARCH, now=NOW).content

    assert '"Jürgen Müßig-Öztürk"'.encode("cp1252") in content
    assert ";49,00;" not in content.decode("cp1252")  # the amount opens the line, unquoted
    assert content.decode("cp1252").splitlines()[2].startswith('49,00;"S";"EUR";;;;1360;8400;')
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")  # ü as one byte, as DATEV reads it


def test_a_month_export_matches_the_invoices_to_the_cent():
    make_seller(**DATEV_SELLER)
    amounts = [3333, 1, 1999, 4999, 12345, 99999, 2, 7777]
    for day, amount in enumerate(amounts, start=1):
        when = datetime(2026, 5, day, 12, tzinfo=UTC)
        payment = make_payment(amount=amount, paid_at=when)
        issue_invoice_for_payment(payment=payment, now=when)
        if amount > 1000:
            issue_credit_note_for_refund(payment=payment, amount=amount // 3, now=when)
    outside = datetime(2026, 6, 1, 8, tzinfo=UTC)
    issue_invoice_for_payment(payment=make_payment(amount=500, paid_at=outside), now=outside)

    batch = datev_export(start=date(2026, 5, 1), end=date(2026, 5, 31), now=NOW)
    _header, _headings, rows = parse(batch.content)

    def cents(row: list[str]) -> int:
        value = int(Decimal(row[0].replace(",", ".")) * 100)
        return value if row[1] == "S" else -value

    may = Document.objects.filter(issue_date__month=5)
    assert batch.count == len(rows) == may.count() == 14
    assert sum(cents(row) for row in rows) == may.aggregate(total=Sum("gross_total"))["total"]
    assert sum(cents(row) for row in rows) == 130455 - (1111 + 666 + 1666 + 4115 + 33333 + 2592)
    assert sorted(row[10] for row in rows) == sorted(may.values_list("number", flat=True))


def test_domestic_revenue_accounts_follow_the_rate():
    seller = SellerSettings(**DATEV_SELLER)

    def document(rate: str, note: str = "", treatment: str = "domestic") -> SimpleNamespace:
        return SimpleNamespace(
            number="RE-9", vat_rate=Decimal(rate), small_business_note=note, tax_treatment=treatment
        )

    assert revenue_account(document("19.00"), seller) == "8400"
    assert revenue_account(document("7.00"), seller) == "8300"
    # A document without a recorded treatment (none since invoices 0005) goes by its note.
    assert revenue_account(document("0.00", "Gemäß § 19 UStG …", ""), seller) == "8195"
    with pytest.raises(DatevExportError, match=r"No revenue account for RE-9 \(VAT rate 20 %"):
        revenue_account(document("20.00"), seller)


@pytest.mark.parametrize(
    ("treatment", "rate", "account"),
    [
        ("domestic", "19.00", "8400"),
        ("reverse_charge", "0.00", "8336"),
        ("export", "0.00", "8338"),
        ("small_business", "0.00", "8195"),
        ("oss", "21.00", "8320"),  # "other": every OSS rate without its own account
        ("oss", "20.00", "8321"),
    ],
)
def test_revenue_accounts_follow_the_tax_treatment(treatment, rate, account):
    seller = SellerSettings(**DATEV_SELLER, datev_oss_accounts={"20": "8321", "other": "8320"})
    stand_in = SimpleNamespace(
        number="RE-1", vat_rate=Decimal(rate), small_business_note="", tax_treatment=treatment
    )

    assert revenue_account(stand_in, seller) == account


def test_an_unknown_tax_treatment_is_refused_by_name():
    stand_in = SimpleNamespace(
        number="RE-7", vat_rate=Decimal(19), small_business_note="", tax_treatment="mystery"
    )

    with pytest.raises(DatevExportError, match="RE-7 has an unknown tax treatment “mystery”"):
        revenue_account(stand_in, SellerSettings(**DATEV_SELLER))


def test_oss_and_reverse_charge_bookings_carry_the_buyers_country_or_vat_id():
    seller = SellerSettings(**DATEV_SELLER, datev_clearing_accounts={"stripe": "1361"})
    common = {
        "kind": "invoice", "corrects_id": None, "buyer_name": "Émilie", "buyer_email": "e@x.test",
        "gross_total": 12000, "currency": "EUR", "payment": SimpleNamespace(provider="stripe"),
        "issue_date": date(2026, 3, 2), "number": "RE-2026-000009", "small_business_note": "",
    }  # fmt: skip
    oss = SimpleNamespace(
        **common, tax_treatment="oss", vat_rate=Decimal("20.00"), buyer_country="fr",
        buyer_vat_id="",
    )  # fmt: skip
    business = SimpleNamespace(
        **common, tax_treatment="reverse_charge", vat_rate=Decimal("0.00"), buyer_country="FR",
        buyer_vat_id="FR 40 303265045",
    )  # fmt: skip

    oss_row, business_row = booking_row(oss, seller), booking_row(business, seller)

    assert (oss_row[6], oss_row[7], oss_row[39], oss_row[40]) == ("1361", "8320", '"FR"', "20,00")
    assert (business_row[7], business_row[39], business_row[40]) == (
        "8336", '"FR40303265045"', "",
    )  # fmt: skip


def test_characters_outside_windows_1252_lose_their_accent_or_become_a_question_mark():
    assert encode("Łódź Müller ő €") == "?ódz Müller o €".encode("cp1252")


def test_a_formula_in_a_buyer_name_is_defused_and_a_quote_doubled():
    make_seller(**DATEV_SELLER)
    buyer = checkout_buyer(name='=HYPERLINK("x")')
    issue_invoice_for_payment(payment=make_payment(), now=NOW, buyer=buyer)

    content = datev_export(**MARCH, now=NOW).content.decode("cp1252")
    _header, _headings, rows = parse(content.encode("cp1252"))

    assert '"\'=HYPERLINK(""x"")"' in content
    assert rows[0][13] == '\'=HYPERLINK("x")'


@pytest.mark.parametrize(
    ("overrides", "start", "end", "message"),
    [
        ({"datev_client_number": None}, "2026-03-01", "2026-03-31", "client number"),
        ({}, "2026-03-31", "2026-03-01", "must not be after"),
        ({}, "2025-12-01", "2026-01-31", "one fiscal year and one calendar year"),
        ({"datev_fiscal_year_start_month": 7}, "2026-06-01", "2026-07-31", "one fiscal year"),
    ],
)
def test_the_export_refuses_what_datev_would_reject(overrides, start, end, message):
    make_seller(**{**DATEV_SELLER, **overrides})

    with pytest.raises(DatevExportError, match=message):
        datev_export(start=date.fromisoformat(start), end=date.fromisoformat(end), now=NOW)


def test_a_fiscal_year_from_july_starts_the_header_in_july():
    make_seller(**DATEV_SELLER, datev_fiscal_year_start_month=7)

    header, _headings, rows = parse(
        datev_export(start=date(2026, 3, 1), end=date(2026, 3, 31), now=NOW).content
    )

    assert header[12] == "20250701"
    assert rows == []
