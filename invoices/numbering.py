"""Gap-free numbers: one counter row per series and year, locked inside the issuing transaction.

A database sequence would skip numbers when a transaction rolls back. The counter row instead is
updated in the same transaction as the document, so a rollback takes the number back with it, and
the row lock (``SELECT … FOR UPDATE``) makes concurrent issuers wait for each other in turn.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from invoices.models import InvoiceSeries, SellerSettings


@dataclass(frozen=True)
class AllocatedNumber:
    series: InvoiceSeries
    sequence: int
    number: str


def allocate_number(*, kind: str, year: int, seller: SellerSettings) -> AllocatedNumber:
    """Take the next number of ``kind`` in ``year``. Must run inside the issuing transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Numbers are taken inside the transaction that issues the document.")
    series, _created = InvoiceSeries.objects.select_for_update().get_or_create(kind=kind, year=year)
    series.last_number += 1
    series.save(update_fields=["last_number"])
    text = seller.number_format_for(kind).format(year=year, number=series.last_number)
    return AllocatedNumber(series=series, sequence=series.last_number, number=text)
