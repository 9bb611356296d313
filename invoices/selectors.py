"""Reads: the member's documents, the admin totals and the tax advisor's export."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Count, QuerySet, Sum
from django.http import Http404

from billing.models import Order
from dashboard.exports import BOM, safe_text, uses_decimal_comma
from invoices.models import Document, DocumentKind, PendingDocument
from products.money import to_decimal

if TYPE_CHECKING:
    from members.models import User

MERCHANT_OF_RECORD_PROVIDERS = ("digistore24",)

EXPORT_HEADER = (
    "number",
    "type",
    "date",
    "buyer",
    "buyer_email",
    "buyer_vat_id",
    "net",
    "vat_rate",
    "vat",
    "gross",
    "currency",
    "payment_reference",
    "corrects",
)


def member_documents(*, member: User) -> QuerySet[Document]:
    """The member's invoices and credit notes, newest first (one query)."""
    return (
        Document.objects.filter(member=member)
        .select_related("corrects", "file")
        .order_by("-issued_at", "-pk")
    )


def member_document_or_404(*, member: User, number: str) -> Document:
    """The member's own document by number; anybody else's is indistinguishable from none."""
    document = (
        Document.objects.filter(member=member, number=number)
        .select_related("corrects", "member")
        .first()
    )
    if document is None:
        raise Http404
    return document


def member_pending_invoices(*, member: User) -> QuerySet[PendingDocument]:
    return PendingDocument.objects.filter(
        payment__order__member=member, kind=DocumentKind.INVOICE, document__isnull=True
    ).select_related("payment__order__product")


def merchant_of_record_orders(*, member: User) -> QuerySet[Order]:
    """Orders invoiced by the provider itself (Digistore24), newest first."""
    return (
        Order.objects.filter(member=member, provider__in=MERCHANT_OF_RECORD_PROVIDERS)
        .exclude(status=Order.Status.PENDING)
        .select_related("product")
        .order_by("-created_at", "-pk")
    )


def documents_in_range(*, start: date, end: date) -> QuerySet[Document]:
    """Documents issued from ``start`` to ``end`` inclusive, in number order per series; the
    tax advisor's export, so test-mode documents are left out."""
    return (
        Document.objects.filter(issue_date__gte=start, issue_date__lte=end, series__is_test=False)
        .select_related("corrects")
        .order_by("issue_date", "kind", "series__year", "sequence")
    )


def document_totals(*, documents: QuerySet[Document]) -> list[dict]:
    """Sums of net, VAT and gross per currency (a credit note counts negative)."""
    return list(
        documents.order_by()
        .values("currency")
        .annotate(
            count=Count("pk"),
            net=Sum("net_total"),
            vat=Sum("vat_total"),
            gross=Sum("gross_total"),
        )
        .order_by("currency")
    )


def export_rows(*, documents: Iterable[Document], comma: bool = False) -> Iterator[list[str]]:
    """The invoice list for a spreadsheet: amounts as decimal numbers of the currency (with a
    decimal comma when ``comma``), buyer-typed text defused against formulas."""

    def number(value: Decimal) -> str:
        return str(value).replace(".", ",") if comma else str(value)

    yield list(EXPORT_HEADER)
    for document in documents:
        currency = document.currency
        yield [
            document.number,
            document.kind,
            document.issue_date.isoformat(),
            safe_text(document.buyer_name),
            safe_text(document.buyer_email),
            safe_text(document.buyer_vat_id),
            number(to_decimal(document.net_total, currency)),
            number(document.vat_rate),
            number(to_decimal(document.vat_total, currency)),
            number(to_decimal(document.gross_total, currency)),
            currency,
            safe_text(document.payment_reference),
            document.corrects.number if document.corrects_id else "",
        ]


class _Echo:
    def write(self, value: str) -> str:
        return value


def export_csv_lines(
    *, documents: Iterable[Document], language: str | None = None
) -> Iterator[str]:
    """CSV text line by line (for a streaming response), as German or Dutch Excel opens it:
    UTF-8 with a byte-order mark, and in those languages ``;`` between cells and a decimal
    comma (the same rules as the dashboard's exports)."""
    comma = uses_decimal_comma(language)
    writer = csv.writer(_Echo(), delimiter=";" if comma else ",", lineterminator="\r\n")
    yield BOM
    for row in export_rows(documents=documents, comma=comma):
        yield writer.writerow(row)
