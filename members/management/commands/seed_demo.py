from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

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
        __import__("invoices.demo", fromlist=["x"]).seed_demo_seller_settings()
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
