"""Writing the branding row; every write forgets the cached brand after commit."""

from __future__ import annotations

from django.db import transaction

from branding.models import Branding
from branding.selectors import forget_brand

DEMO_BRANDING = {
    "site_name": "Coach Demo Academy",
    "accent_colour": "#0f766e",
    "support_email": "support@example.com",
    "imprint_url": "https://example.com/imprint",
    "privacy_url": "https://example.com/privacy",
    "terms_url": "https://example.com/terms",
}


def brand_changed() -> None:
    """Call after saving or deleting the row: pages show the new brand from the next request."""
    transaction.on_commit(forget_brand)


@transaction.atomic
def seed_demo_branding() -> Branding:
    """Create the demo branding if there is none; a creator's own row is never overwritten."""
    row, _created = Branding.objects.get_or_create(slot=1, defaults=DEMO_BRANDING)
    brand_changed()
    return row
