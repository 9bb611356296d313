"""The "Connect payments" admin page: webhook addresses to copy, and a live check per provider.

The technical set-up (webhook URLs, environment variable names, which events to enable) lives
here instead of on the product form. The check reads what is configured now: whether each
signing secret is set (``billing.providers.secrets``), the Stripe mode, and the last event each
provider delivered with its status.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _

from billing.models import ProviderEvent
from billing.providers import secrets
from billing.providers.stripe import site_is_live
from billing.providers.stripe_test_checkout import is_available as test_checkout_is_available

DIGISTORE24_EVENTS = (
    "Payment",
    "Missed payment",
    "Refund",
    "Chargeback",
    "Rebilling cancelled",
    "Rebilling resumed",
    "Last paid day",
)
STRIPE_EVENTS = (
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "invoice.paid",
    "invoice.payment_failed",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "charge.refunded",
    "charge.dispute.created",
    "charge.dispute.closed",
)


@dataclass(frozen=True)
class SecretState:
    setting: str
    is_ok: bool
    text: str


@dataclass(frozen=True)
class ProviderCheck:
    name: str
    webhook_url: str
    secret: SecretState
    last_event: ProviderEvent | None
    events: tuple[str, ...]


def _secret_state(configured: secrets.ConfiguredSecrets) -> SecretState:
    if configured.secrets:
        return SecretState(configured.setting, True, _("configured"))
    if configured.is_blank:
        return SecretState(configured.setting, False, _("set but blank: every delivery is refused"))
    return SecretState(configured.setting, False, _("not set: every delivery is refused"))


def stripe_mode() -> str:
    if test_checkout_is_available():
        return _("offline test checkout (development site, no STRIPE_SECRET_KEY)")
    if not settings.STRIPE_SECRET_KEY:
        return _("no STRIPE_SECRET_KEY: Payment Links only, no checkout from the sales page")
    return _("live") if site_is_live() else _("test mode (test key)")


def _last_event(provider: str) -> ProviderEvent | None:
    return (
        ProviderEvent.objects.filter(provider=provider)
        .defer("payload")
        .order_by("-received_at", "-pk")
        .first()
    )


def provider_checks() -> list[ProviderCheck]:
    site = settings.SITE_URL
    return [
        ProviderCheck(
            name="Stripe",
            webhook_url=f"{site}{reverse('billing:stripe_webhook')}",
            secret=_secret_state(secrets.stripe_webhook_secrets()),
            last_event=_last_event("stripe"),
            events=STRIPE_EVENTS,
        ),
        ProviderCheck(
            name="Digistore24",
            webhook_url=f"{site}{reverse('billing:digistore24_webhook')}",
            secret=_secret_state(secrets.digistore24_passphrase()),
            last_event=_last_event("digistore24"),
            events=DIGISTORE24_EVENTS,
        ),
    ]


def connect_payments(request: HttpRequest) -> HttpResponse:
    context = {
        **admin.site.each_context(request),
        "title": _("Connect payments"),
        "checks": provider_checks(),
        "stripe_mode": stripe_mode(),
        "stripe_key_is_set": bool(settings.STRIPE_SECRET_KEY),
        "events_url": reverse("admin:billing_providerevent_changelist"),
    }
    return TemplateResponse(request, "admin/billing/connect_payments.html", context)


def register(site: admin.AdminSite) -> None:
    """Add ``admin:connect_payments`` (``/admin/connect-payments/``) to the admin's own URLs."""
    original = site.get_urls

    def get_urls():
        view = site.admin_view(connect_payments)
        return [path("connect-payments/", view, name="connect_payments"), *original()]

    site.get_urls = get_urls
