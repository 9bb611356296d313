"""The Connect payments page: webhook addresses to copy and a live check per provider; the
product form no longer shows technical set-up."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from billing.models import ProviderEvent
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

URL = "/admin/connect-payments/"


def test_linked_from_the_admin_index(creator_client):
    html = creator_client.get(reverse("admin:index")).content.decode()
    assert f'href="{URL}"' in html
    assert reverse("admin:connect_payments") == URL


def test_shows_the_webhook_addresses_with_copy_buttons(creator_client, settings):
    settings.SITE_URL = "https://members.example.com"

    html = creator_client.get(URL).content.decode()

    for url in (
        "https://members.example.com/billing/webhooks/stripe/",
        "https://members.example.com/billing/webhooks/digistore24/",
    ):
        assert f'readonly value="{url}"' in html
    assert html.count("data-copy-target=") == 2
    assert "Last paid day" in html
    assert "charge.dispute.created" in html


def test_live_check_reports_secrets_mode_and_last_event_per_provider(creator_client, settings):
    settings.STRIPE_WEBHOOK_SECRET = "whsec_configured_secret_123"
    settings.DIGISTORE24_IPN_PASSPHRASE = "   "
    settings.STRIPE_SECRET_KEY = "sk_live_abc"
    for received, status in [(1, "processed"), (2, "failed")]:
        ProviderEvent.objects.create(
            provider="stripe", event_id=f"evt_{received}", event_type=f"type.{status}",
            payload={}, status=status, received_at=datetime(2026, 3, received, tzinfo=UTC),
        )  # fmt: skip

    html = creator_client.get(URL).content.decode()
    stripe, digistore24 = html.split('data-provider="stripe"')[1].split('data-provider="digisto')

    assert "configured" in stripe
    assert "<code>type.failed</code>" in stripe
    assert "failed" in stripe
    assert "type.processed" not in stripe
    assert "set but blank: every delivery is refused" in digistore24
    assert "none yet" in digistore24
    assert '<strong class="stripe-mode">live</strong>' in html


def test_development_site_shows_the_offline_test_checkout(creator_client, settings):
    settings.DEBUG = True
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""

    html = creator_client.get(URL).content.decode()

    assert "offline test checkout" in html
    assert "not set: every delivery is refused" in html


def test_members_cannot_open_it(client):
    assert client.get(URL).status_code == 302  # to the admin login


def test_product_form_no_longer_shows_webhook_urls_or_variable_names(creator_client, settings):
    settings.SITE_URL = "https://members.example.com"
    product = ProductFactory()

    html = creator_client.get(
        reverse("admin:products_product_change", args=[product.pk])
    ).content.decode()

    assert "/billing/webhooks/" not in html
    assert "DIGISTORE24_IPN_PASSPHRASE" not in html
    assert f'href="{URL}"' in html
