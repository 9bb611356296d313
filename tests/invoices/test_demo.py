import pytest
from django.core.management import call_command

from invoices.models import SellerSettings
from invoices.services import issue_invoice_for_payment, seller_settings
from tests.invoices.helpers import NOW, make_payment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _development_site(settings):
    """seed_demo runs on a development site (make run sets DJANGO_DEBUG=1)."""
    settings.DEBUG = True


def test_seed_demo_fills_seller_settings_so_the_first_purchase_is_invoiced(capsys):
    call_command("seed_demo")
    call_command("seed_demo")  # safe to repeat

    assert SellerSettings.objects.count() == 1
    assert seller_settings().legal_name == "Demo Creator GmbH"
    invoice = issue_invoice_for_payment(payment=make_payment(amount=4900), now=NOW)
    assert invoice.number == "RE-2026-000001"


def test_seed_demo_keeps_the_creators_own_settings():
    SellerSettings.objects.create(legal_name="Real Seller", address="Street 1")

    call_command("seed_demo")

    assert list(SellerSettings.objects.values_list("legal_name", flat=True)) == ["Real Seller"]
