"""Demo seller settings for ``manage.py seed_demo``, so a newcomer's first purchase is invoiced."""

from __future__ import annotations

from decimal import Decimal

from invoices.models import SellerSettings

DEMO_SELLER = {
    "legal_name": "Demo Creator GmbH",
    "address": "Musterstraße 1\n10115 Berlin\nGermany",
    "vat_id": "DE123456789",
    "tax_number": "30/123/45678",
    "email": "creator@example.com",
    "default_vat_rate": Decimal("19.00"),
    "small_business": False,
    "footer": "Demo Creator GmbH · Amtsgericht Berlin HRB 000000 · This is demo data.",
    "currency": "EUR",
    # DATEV's own demo consultant and client (as in its sample data), so the export works.
    "datev_consultant_number": 29098,
    "datev_client_number": 55003,
}


def seed_demo_seller_settings() -> SellerSettings:
    """Create the settings row if there is none; an existing row (the creator's) is kept."""
    seller = SellerSettings.objects.order_by("pk").first()
    if seller is None:
        seller = SellerSettings.objects.create(**DEMO_SELLER)
    return seller
