"""Builders for invoice tests: payments are created directly with billing's models."""

from __future__ import annotations

import io
import itertools
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

from django.db import connection
from pypdf import PdfReader

from billing.models import Order, Payment
from billing.providers.base import Buyer
from invoices.models import SellerSettings
from tests.factories import ProductFactory, UserFactory

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
_refs = itertools.count(1)


def make_seller(**overrides) -> SellerSettings:
    fields = {
        "legal_name": "Calm Money GmbH",
        "address": "Hauptstraße 5\n10115 Berlin",
        "vat_id": "DE999999999",
        "tax_number": "30/111/22222",
        "default_vat_rate": Decimal("19.00"),
        "footer": "Calm Money GmbH, HRB 1",
    }
    fields.update(overrides)
    return SellerSettings.objects.create(**fields)


def make_payment(
    *,
    member=None,
    amount: int = 4900,
    provider: str = "stripe",
    product=None,
    currency: str = "EUR",
    paid_at: datetime = NOW,
    invoice_url: str = "",
) -> Payment:
    member = member or UserFactory()
    product = product or ProductFactory(name="Six-day habit course")
    number = next(_refs)
    order = Order.objects.create(
        member=member,
        product=product,
        provider=provider,
        provider_ref=f"order_{number}",
        status=Order.Status.PAID,
        amount=amount,
        currency=currency,
        invoice_url=invoice_url,
    )
    return Payment.objects.create(
        order=order,
        provider=provider,
        provider_ref=f"cs_test_{number}",
        amount=amount,
        currency=currency,
        paid_at=paid_at,
    )


def checkout_buyer(**overrides) -> Buyer:
    fields = {
        "email": "ada@example.test",
        "name": "Ada Lovelace",
        "address": ("12 Analytical Lane", "EC1A 1BB London"),
        # Billing country as the seller's (DE): these tests are about the domestic rate. Buyers
        # elsewhere (OSS, outside the EU, reverse charge) are in test_vat_by_country.py.
        "country": "DE",
        "vat_id": "GB123456789",
    }
    fields.update(overrides)
    return Buyer(**fields)


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def run_concurrently(function: Callable[[int], object], *, times: int) -> tuple[list, list]:
    """Start ``times`` threads at one barrier; returns (results, errors)."""
    barrier = threading.Barrier(times)
    results: list = []
    errors: list = []
    lock = threading.Lock()

    def worker(index: int) -> None:
        try:
            barrier.wait()
            value = function(index)
            with lock:
                results.append(value)
        except Exception as error:  # noqa: BLE001 - collected and asserted by the test
            with lock:
                errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors
