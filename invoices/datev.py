"""The tax advisor's DATEV file: a "Buchungsstapel" in DATEV-Format (EXTF), one booking per
invoice and credit note issued in a date range.

Layout (DATEV-Format, header version 700, category 21, format version 13): line 1 is the
31-field header (consultant and client number, fiscal-year start, account length, the batch's
first and last day, label, lock flag, currency, chart of accounts); line 2 the 125 column
headings; then one line per document. Fields are separated by ``;``, text fields are quoted, amounts
are unsigned with a decimal comma (``49,00``) and the side says the sign: an invoice debits the
clearing account (``S``), a credit note credits it (``H``). Belegdatum is ``DDMM``; DATEV takes
the year from the header, so one batch never spans two calendar or fiscal years.

Encoding: Windows-1252 (ANSI), without a byte-order mark. It is DATEV's default character set,
read by every import path (Kanzlei-Rechnungswesen, Unternehmen online, older versions), while
UTF-8 is only recognised by newer versions and only with a BOM. Windows-1252 holds every German,
Dutch and French letter (ä ö ü ß é ë …); a character it lacks (ł, ő, emoji) is written without its
accent where one comes off (``ő`` → ``o``), otherwise as ``?``.

The revenue account per document is chosen in one place, ``revenue_account``.
"""

from __future__ import annotations

import string
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.translation import gettext as _

from dashboard.exports import safe_text
from invoices.datev_settings import account_for_rate
from invoices.models import Document, DocumentKind, SellerSettings
from invoices.selectors import documents_in_range
from products.money import to_decimal

if TYPE_CHECKING:
    from collections.abc import Iterable

ENCODING = "cp1252"
HEADER_FIELD_COUNT = 31
COLUMNS = (
    "Umsatz (ohne Soll/Haben-Kz)", "Soll/Haben-Kennzeichen", "WKZ Umsatz", "Kurs",
    "Basis-Umsatz", "WKZ Basis-Umsatz", "Konto", "Gegenkonto (ohne BU-Schlüssel)",
    "BU-Schlüssel", "Belegdatum", "Belegfeld 1", "Belegfeld 2", "Skonto", "Buchungstext",
    "Postensperre", "Diverse Adressnummer", "Geschäftspartnerbank", "Sachverhalt", "Zinssperre",
    "Beleglink",
    *(f"Beleginfo - {part} {n}" for n in range(1, 9) for part in ("Art", "Inhalt")),
    "KOST1 - Kostenstelle", "KOST2 - Kostenstelle", "Kost-Menge",
    "EU-Land u. UStID (Bestimmung)", "EU-Steuersatz (Bestimmung)", "Abw. Versteuerungsart",
    "Sachverhalt L+L", "Funktionsergänzung L+L", "BU 49 Hauptfunktionstyp",
    "BU 49 Hauptfunktionsnummer", "BU 49 Funktionsergänzung",
    *(
        heading
        for n in range(1, 21)
        for heading in (f"Zusatzinformation - Art {n}", f"Zusatzinformation- Inhalt {n}")
    ),
    "Stück", "Gewicht", "Zahlweise", "Forderungsart", "Veranlagungsjahr",
    "Zugeordnete Fälligkeit", "Skontotyp", "Auftragsnummer", "Buchungstyp",
    "USt-Schlüssel (Anzahlungen)", "EU-Land (Anzahlungen)", "Sachverhalt L+L (Anzahlungen)",
    "EU-Steuersatz (Anzahlungen)", "Erlöskonto (Anzahlungen)", "Herkunft-Kz", "Buchungs GUID",
    "KOST-Datum", "SEPA-Mandatsreferenz", "Skontosperre", "Gesellschaftername",
    "Beteiligtennummer", "Identifikationsnummer", "Zeichnernummer", "Postensperre bis",
    "Bezeichnung SoBil-Sachverhalt", "Kennzeichen SoBil-Buchung", "Festschreibung",
    "Leistungsdatum", "Datum Zuord. Steuerperiode", "Fälligkeit", "Generalumkehr (GU)",
    "Steuersatz", "Land", "Abrechnungsreferenz", "BVV-Position", "EU-Land u. UStID (Ursprung)",
    "EU-Steuersatz (Ursprung)", "Abw. Skontokonto",
)  # fmt: skip
AMOUNT, SIDE, CURRENCY, ACCOUNT, CONTRA_ACCOUNT, DATE, RECEIPT, TEXT = 0, 1, 2, 6, 7, 9, 10, 13
EU_ID, EU_RATE = 39, 40
RECEIPT_CHARACTERS = frozenset(string.ascii_letters + string.digits + "$&%*+-/")


class DatevExportError(Exception):
    """The export cannot be written; the message tells the creator what to fix."""


@dataclass(frozen=True)
class DatevFile:
    filename: str
    content: bytes
    count: int


def revenue_account(document: Document, settings: SellerSettings) -> str:
    """The revenue account (Gegenkonto) a document is booked to.

    The tax treatment decides (``Document.tax_treatment``: domestic, oss,
    reverse_charge, export, small_business); without it the VAT rate does: 0 % under the
    small-business note goes to the § 19 account, any other rate to the domestic rate map.
    Raises ``DatevExportError`` naming the document when no account is configured.
    """
    treatment = document.tax_treatment or ""
    rate = Decimal(document.vat_rate)
    named = {
        "reverse_charge": settings.datev_reverse_charge_account,
        "export": settings.datev_export_account,
        "small_business": settings.datev_small_business_account,
    }
    if treatment in named:
        account = named[treatment]
    elif treatment == "oss":
        account = account_for_rate(settings.datev_oss_accounts, rate)
    elif treatment in ("", "domestic"):
        if treatment == "" and rate == 0 and document.small_business_note:
            account = settings.datev_small_business_account
        else:
            account = account_for_rate(settings.datev_revenue_accounts, rate)
    else:
        raise DatevExportError(
            _("%(number)s has an unknown tax treatment “%(treatment)s”.")
            % {"number": document.number, "treatment": treatment}
        )
    if not account:
        raise DatevExportError(
            _(
                "No revenue account for %(number)s (VAT rate %(rate)s %%, %(treatment)s): add "
                "one in the seller settings under DATEV."
            )
            % {
                "number": document.number,
                "rate": f"{rate.normalize():f}",
                "treatment": treatment or _("by rate"),
            }
        )
    return account


def clearing_account(document: Document, settings: SellerSettings) -> str:
    """The account a document's booking runs against: per provider, else the single one."""
    by_provider = settings.datev_clearing_accounts or {}
    return by_provider.get(document.payment.provider) or settings.datev_clearing_account


def fiscal_year_start(day: date, *, start_month: int) -> date:
    year = day.year if day.month >= start_month else day.year - 1
    return date(year, start_month, 1)


def check_export(*, settings: SellerSettings | None, start: date, end: date) -> SellerSettings:
    """The seller settings if a batch for ``start``..``end`` can be written, else the reason."""
    if settings is None:
        raise DatevExportError(_("Fill in the seller settings first."))
    if not (settings.datev_consultant_number and settings.datev_client_number):
        raise DatevExportError(
            _(
                "Enter the DATEV consultant number and client number in the seller settings "
                "(your tax advisor has them)."
            )
        )
    if start > end:
        raise DatevExportError(_("The start date must not be after the end date."))
    month = settings.datev_fiscal_year_start_month
    if start.year != end.year or fiscal_year_start(start, start_month=month) != fiscal_year_start(
        end, start_month=month
    ):
        raise DatevExportError(
            _(
                "A DATEV batch covers one fiscal year and one calendar year: split the range at "
                "the turn of the year."
            )
        )
    return settings


def _text(value: str, *, limit: int) -> str:
    """A quoted text field: one line, at most ``limit`` characters, quotes doubled."""
    cleaned = " ".join(value.split())[:limit]
    return '"' + cleaned.replace('"', '""') + '"'


def _amount(value: Decimal) -> str:
    return f"{abs(value):.2f}".replace(".", ",")


def _receipt_number(number: str) -> str:
    """Belegfeld 1 allows letters, digits and $&%*+-/, up to 36 (the end of a number is kept)."""
    return "".join(char for char in number if char in RECEIPT_CHARACTERS)[-36:]


def booking_row(document: Document, settings: SellerSettings) -> list[str]:
    """The 125 fields of one document's booking."""
    row = [""] * len(COLUMNS)
    treatment = document.tax_treatment or ""
    buyer = document.buyer_name or document.buyer_email
    if document.kind == DocumentKind.CREDIT_NOTE and document.corrects_id:
        buyer = f"{document.corrects.number} {buyer}"
    row[AMOUNT] = _amount(to_decimal(document.gross_total, document.currency))
    row[SIDE] = '"H"' if document.kind == DocumentKind.CREDIT_NOTE else '"S"'
    row[CURRENCY] = _text(document.currency, limit=3)
    row[ACCOUNT] = clearing_account(document, settings)
    row[CONTRA_ACCOUNT] = revenue_account(document, settings)
    row[DATE] = document.issue_date.strftime("%d%m")
    row[RECEIPT] = _text(_receipt_number(document.number), limit=36)
    row[TEXT] = _text(safe_text(buyer.strip()), limit=60)  # a spreadsheet may open the file
    if treatment == "reverse_charge" and document.buyer_vat_id:
        row[EU_ID] = _text("".join(document.buyer_vat_id.split()).upper(), limit=15)
    elif treatment == "oss":
        row[EU_ID] = _text(document.buyer_country.upper(), limit=15)
        row[EU_RATE] = _amount(Decimal(document.vat_rate))
    return row


def header_row(
    *, settings: SellerSettings, start: date, end: date, now: datetime, exported_by: str
) -> list[str]:
    """The 31 fields of DATEV's header line (Vorlaufsatz) for a Buchungsstapel."""
    created = timezone.localtime(now)
    fiscal_start = fiscal_year_start(start, start_month=settings.datev_fiscal_year_start_month)
    return [
        '"EXTF"', "700", "21", '"Buchungsstapel"', "13",
        created.strftime("%Y%m%d%H%M%S") + f"{created.microsecond // 1000:03d}",
        "", '"RE"', _text(exported_by, limit=25), '""',
        str(settings.datev_consultant_number), str(settings.datev_client_number),
        fiscal_start.strftime("%Y%m%d"), str(settings.datev_account_length),
        start.strftime("%Y%m%d"), end.strftime("%Y%m%d"),
        _text(f"{start:%d.%m.%Y}-{end:%d.%m.%Y}", limit=30), '""',
        "1", "0", "0",  # financial accounting; any purpose; not locked: the advisor checks
        _text(settings.currency, limit=3), "", '""', "", "",
        _text(settings.datev_chart_of_accounts, limit=2), "", "", '""', '""',
    ]  # fmt: skip


def encode(text: str) -> bytes:
    """Windows-1252; a character it lacks loses its accent if it can, else becomes ``?``."""
    out = bytearray()
    for char in text:
        try:
            out += char.encode(ENCODING)
        except UnicodeEncodeError:
            base = "".join(
                part
                for part in unicodedata.normalize("NFKD", char)
                if not unicodedata.combining(part)
            )
            out += base.encode(ENCODING, errors="replace") if base else b"?"
    return bytes(out)


def write_batch(
    *,
    documents: Iterable[Document],
    settings: SellerSettings,
    start: date,
    end: date,
    now: datetime,
    exported_by: str = "",
) -> DatevFile:
    lines = [
        header_row(settings=settings, start=start, end=end, now=now, exported_by=exported_by),
        list(COLUMNS),
    ]
    lines += [booking_row(document, settings) for document in documents]
    text = "".join(";".join(line) + "\r\n" for line in lines)
    filename = f"EXTF_Buchungsstapel_{start:%Y%m%d}_{end:%Y%m%d}.csv"
    return DatevFile(filename=filename, content=encode(text), count=len(lines) - 2)


def datev_export(*, start: date, end: date, now: datetime, exported_by: str = "") -> DatevFile:
    """The DATEV batch of every real (not test-mode) document issued from ``start`` to ``end``.

    Reads only; raises ``DatevExportError`` with a message for the creator when the seller
    settings, the range or an account do not allow a correct file.
    """
    settings = check_export(
        settings=SellerSettings.objects.order_by("pk").first(), start=start, end=end
    )
    documents = documents_in_range(start=start, end=end).select_related("payment")
    return write_batch(
        documents=documents,
        settings=settings,
        start=start,
        end=end,
        now=now,
        exported_by=exported_by,
    )
