"""Gap-free numbers: one counter row per series and year (or one for all years when the
format has no ``{year}``), locked inside the issuing transaction.

A database sequence would skip numbers when a transaction rolls back. The counter row instead is
updated in the same transaction as the document, so a rollback takes the number back with it, and
the row lock (``SELECT … FOR UPDATE``) makes concurrent issuers wait for each other in turn.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from invoices.models import InvoiceSeries, SellerSettings

CONTINUOUS = 0  # the counter "year" of a number format without {year}
TEST_PREFIX = "TEST-"


@dataclass(frozen=True)
class AllocatedNumber:
    series: InvoiceSeries
    sequence: int
    number: str


def allocate_number(
    *, kind: str, year: int, seller: SellerSettings, is_test: bool = False
) -> AllocatedNumber:
    """Take the next number of ``kind`` in ``year``. Must run inside the issuing transaction.

    Test-mode purchases (a creator trying Stripe's test mode, the local test checkout) count in
    their own series and read ``TEST-…``: the real series stays gap-free and free of them.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Numbers are taken inside the transaction that issues the document.")
    number_format = seller.number_format_for(kind)
    # A format without the year numbers on across years: one counter (year 0) for all of them.
    counter_year = year if "{year" in number_format else CONTINUOUS
    series, _created = InvoiceSeries.objects.select_for_update().get_or_create(
        kind=kind, year=counter_year, is_test=is_test
    )
    series.last_number += 1
    series.save(update_fields=["last_number"])
    text = number_format.format(year=year, number=series.last_number)
    if is_test:
        text = TEST_PREFIX + text
    return AllocatedNumber(series=series, sequence=series.last_number, number=text)
