from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from billing.providers.stripe import webhook_secrets
from billing.providers.stripe_test_checkout import is_available as test_checkout_is_available
from branding.services import seed_demo_branding
from invoices.demo import seed_demo_seller_settings
from magazine.demo import seed_demo_magazine
from members.login_links import mark_address_verified
from products.demo import (
    DEMO_CREATOR_EMAIL,
    DEMO_CREATOR_PASSWORD,
    DEMO_MEMBER_EMAIL,
    DEMO_MEMBER_PASSWORD,
    seed_demo_catalog,
    seed_demo_member_products,
)


class Command(BaseCommand):
    help = "Create a demo creator login, a demo member and the demo catalog (safe to repeat)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--on-a-live-site",
            action="store_true",
            help="Run with DEBUG off too (it creates a superuser whose password is published).",
        )

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        if not (settings.DEBUG or options["on_a_live_site"]):
            raise CommandError(
                "seed_demo creates a superuser with a published password; it runs with "
                "DJANGO_DEBUG=1 (make run) only, or with --on-a-live-site if you mean it"
            )
        user_model = get_user_model()
        if not user_model.objects.filter(email__iexact=DEMO_CREATOR_EMAIL).exists():
            user_model.objects.create_superuser(
                DEMO_CREATOR_EMAIL, DEMO_CREATOR_PASSWORD, name="Demo Creator"
            )
        if not user_model.objects.filter(email__iexact=DEMO_MEMBER_EMAIL).exists():
            user_model.objects.create_user(
                DEMO_MEMBER_EMAIL, DEMO_MEMBER_PASSWORD, name="Demo Member"
            )
        for email in (DEMO_CREATOR_EMAIL, DEMO_MEMBER_EMAIL):
            mark_address_verified(member=user_model.objects.get(email__iexact=email))
        products = seed_demo_catalog()
        seed_demo_magazine(products=products, now=timezone.now())
        seed_demo_seller_settings()  # before the demo subscription, whose payment is invoiced
        seed_demo_branding()
        member = user_model.objects.get(email__iexact=DEMO_MEMBER_EMAIL)
        seed_demo_member_products(member=member, products=products, now=timezone.now())
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
        """How this site sells through Stripe and which signature its webhook accepts, as set."""
        webhook = f"{settings.SITE_URL}/billing/webhooks/stripe/"
        secrets = webhook_secrets()
        if settings.STRIPE_SECRET_KEY:
            mode = "API key set: checkout through Stripe"
        elif test_checkout_is_available():
            mode = "offline test mode: buy on any product page"
        else:
            mode = (
                "no STRIPE_SECRET_KEY: checkout is off and live events are ignored "
                "(set a live key, rk_live_ is enough)"
            )
        if not secrets:
            accepts = f"STRIPE_WEBHOOK_SECRET is not set, so {webhook} refuses every event"
        elif secrets == [settings.STRIPE_OFFLINE_WEBHOOK_SECRET]:
            accepts = (
                f"{webhook} accepts events signed with {settings.STRIPE_OFFLINE_WEBHOOK_SECRET}"
            )
        else:
            accepts = f"{webhook} accepts events signed with your STRIPE_WEBHOOK_SECRET"
        return f"{mode}; {accepts}"

    @staticmethod
    def _digistore24_mode() -> str:
        url = f"{settings.SITE_URL}/billing/webhooks/digistore24/"
        if settings.DIGISTORE24_IPN_PASSPHRASE:
            return f"IPN URL {url} (passphrase from DIGISTORE24_IPN_PASSPHRASE)"
        return f"set DIGISTORE24_IPN_PASSPHRASE to accept IPNs at {url}"
