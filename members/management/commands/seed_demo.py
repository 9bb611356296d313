from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from invoices.demo import seed_demo_seller_settings
from products.demo import (
    DEMO_CREATOR_EMAIL,
    DEMO_CREATOR_PASSWORD,
    DEMO_MEMBER_EMAIL,
    DEMO_MEMBER_PASSWORD,
    seed_demo_catalog,
)


class Command(BaseCommand):
    help = "Create a demo creator login, a demo member and the demo catalog (safe to repeat)."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        user_model = get_user_model()
        if not user_model.objects.filter(email__iexact=DEMO_CREATOR_EMAIL).exists():
            user_model.objects.create_superuser(
                DEMO_CREATOR_EMAIL, DEMO_CREATOR_PASSWORD, name="Demo Creator"
            )
        if not user_model.objects.filter(email__iexact=DEMO_MEMBER_EMAIL).exists():
            user_model.objects.create_user(
                DEMO_MEMBER_EMAIL, DEMO_MEMBER_PASSWORD, name="Demo Member"
            )
        products = seed_demo_catalog()
        seed_demo_seller_settings()
        self.stdout.write(self.style.SUCCESS(f"Demo catalog: {len(products)} products."))
        self.stdout.write(f"Site:         {settings.SITE_URL}/")
        self.stdout.write(
            f"Creator:      {settings.SITE_URL}/admin/  "
            f"{DEMO_CREATOR_EMAIL} / {DEMO_CREATOR_PASSWORD}"
        )
        self.stdout.write(
            f"Member:       {settings.SITE_URL}/members/  "
            f"{DEMO_MEMBER_EMAIL} / {DEMO_MEMBER_PASSWORD}"
        )
        self.stdout.write(f"Stripe:       {self._stripe_mode()}")
        self.stdout.write(f"Digistore24:  {self._digistore24_mode()}")

    @staticmethod
    def _stripe_mode() -> str:
        webhook = f"{settings.SITE_URL}/billing/webhooks/stripe/"
        if settings.STRIPE_SECRET_KEY:
            return f"API key set; point the webhook endpoint at {webhook}"
        if settings.STRIPE_WEBHOOK_SECRET == settings.STRIPE_OFFLINE_WEBHOOK_SECRET:
            return (
                "offline test mode: buy on any product page; "
                f"{webhook} accepts events signed with {settings.STRIPE_OFFLINE_WEBHOOK_SECRET}"
            )
        return "no STRIPE_SECRET_KEY: checkout is off"

    @staticmethod
    def _digistore24_mode() -> str:
        url = f"{settings.SITE_URL}/billing/webhooks/digistore24/"
        if settings.DIGISTORE24_IPN_PASSPHRASE:
            return f"IPN URL {url} (passphrase from DIGISTORE24_IPN_PASSPHRASE)"
        return f"set DIGISTORE24_IPN_PASSPHRASE to accept IPNs at {url}"
