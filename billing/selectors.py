"""Read-only billing queries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.http import Http404

from billing import stripe_api
from billing.models import CheckoutLink, Customer, Order, PlanGroup, Subscription
from billing.providers.stripe_test_checkout import is_available as test_checkout_is_available
from magazine.models import Tier
from members.access import LIVE_STATES
from members.models import AccessGrant, User
from membership_site.rows import Precompiled
from products.models import Price
from products.selectors import products_granted_by


def order_for_checkout(*, provider: str, checkout_ref: str) -> Order | None:
    """The order a completed checkout produced (directly, or through its subscription)."""
    if not checkout_ref:
        return None
    linked = CheckoutLink.objects.filter(provider=provider, checkout_ref=checkout_ref).values(
        "order_ref"
    )
    return (
        Order.objects.filter(provider=provider)
        .filter(Q(provider_ref=checkout_ref) | Q(provider_ref__in=linked))
        .first()
    )


def checkout_has_access(*, provider: str, checkout_ref: str) -> bool:
    """True once the checkout's order exists and its buyer holds live access to what it sold."""
    order = order_for_checkout(provider=provider, checkout_ref=checkout_ref)
    if order is None:
        return False
    products = [product.pk for product in products_granted_by(order.product)]
    return AccessGrant.objects.filter(
        member_id=order.member_id, product_id__in=products, state__in=LIVE_STATES
    ).exists()


def stripe_customer_for(*, member: User) -> Customer | None:
    return Customer.objects.filter(member=member, provider="stripe").order_by("-pk").first()


# --- the member's own billing (dashboard and profile) ---------------------------------------

DIGISTORE24_HOSTS = ("digistore24.com",)
OPEN_STATUSES = (
    Subscription.Status.ACTIVE,
    Subscription.Status.TRIALING,
    Subscription.Status.PAST_DUE,
)


def provider_page_url(url: str, *, provider: str) -> str:
    """``url`` if it is an https page of the provider's own site, else "" (never rendered).

    The URL arrived in a signed IPN, but a link we render must not become a way to send members
    elsewhere (a typo, a ``javascript:`` value, another host): only Digistore24's hosts pass.
    """
    if provider != "digistore24" or not url:
        return ""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:  # a malformed host or port
        return ""
    on_host = any(host == name or host.endswith("." + name) for name in DIGISTORE24_HOSTS)
    plain = not parts.username and port in (None, 443) and url.isprintable() and " " not in url
    return url if parts.scheme == "https" and on_host and plain else ""


def support_email(*, brand=None) -> str:
    """The branding's support address (admin → Branding), else the ``SUPPORT_EMAIL`` setting.

    Pass the request's ``brand`` (``branding.selectors.request_brand``) to save a cache read."""
    from branding.selectors import current_brand

    return (brand or current_brand()).support_email or settings.SUPPORT_EMAIL


def can_change_at_stripe(*, is_test: bool) -> bool:
    """Cancel and resume work through Stripe's API, or in offline test mode for test purchases."""
    return stripe_api.is_configured() or (is_test and test_checkout_is_available())


@dataclass(frozen=True)
class BillingLine:
    """One subscription as its member sees it, with what actually works for its provider."""

    ref: str  # Subscription.public_ref: the only handle member pages use
    provider: str
    plan: str
    price: Price | None
    status: str
    period_end: datetime | None
    cancel_at_period_end: bool
    is_test: bool
    has_customer: bool
    started_at: datetime | None = None
    receipt_url: str = ""
    invoice_url: str = ""
    rebilling_stop_url: str = ""
    in_plan_group: bool = False  # the product has alternatives (``PlanGroup``)
    paused_since: datetime | None = None

    @property
    def is_paused(self) -> bool:
        return self.is_open and self.paused_since is not None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_cancelling(self) -> bool:
        return self.is_open and self.cancel_at_period_end

    @property
    def is_stripe(self) -> bool:
        return self.provider == "stripe"

    @property
    def can_open_portal(self) -> bool:
        if not (self.is_stripe and self.has_customer):
            return False
        return stripe_api.is_configured() or (self.is_test and test_checkout_is_available())

    @property
    def can_cancel(self) -> bool:
        return (
            self.is_stripe
            and self.is_open
            and not self.cancel_at_period_end
            and can_change_at_stripe(is_test=self.is_test)
        )

    @property
    def can_change_plan(self) -> bool:
        """ "Change plan": an open Stripe subscription whose product has alternatives."""
        return self.in_plan_group and self.can_cancel

    @property
    def can_resume(self) -> bool:
        return self.is_stripe and self.is_cancelling and can_change_at_stripe(is_test=self.is_test)

    @property
    def cancel_url(self) -> str:
        """Digistore24's own page that stops the rebilling (while it still rebills)."""
        return self.rebilling_stop_url if self.is_open and not self.cancel_at_period_end else ""

    @property
    def can_fix_billing(self) -> bool:
        """Something on this page can settle a missed payment."""
        return self.is_open and (self.can_open_portal or bool(self.receipt_url))

    @property
    def needs_support(self) -> bool:
        """Nothing online works for this subscription: the support e-mail is shown instead."""
        return not (self.can_open_portal or self.can_cancel or self.cancel_url or self.receipt_url)


def _line(*, subscription_values: dict, order: Order, in_plan_group: bool = False) -> BillingLine:
    provider = order.provider
    return BillingLine(
        in_plan_group=bool(in_plan_group),
        paused_since=subscription_values.get("paused_since"),
        ref=subscription_values["public_ref"],
        provider=provider,
        plan=order.product.name,
        price=order.price,
        status=subscription_values["status"],
        period_end=subscription_values["current_period_end"],
        cancel_at_period_end=subscription_values["cancel_at_period_end"],
        started_at=subscription_values["created_at"],
        is_test=order.is_test,
        has_customer=order.customer_id is not None,
        receipt_url=provider_page_url(order.receipt_url, provider=provider),
        invoice_url=provider_page_url(order.invoice_url, provider=provider),
        rebilling_stop_url=provider_page_url(order.rebilling_stop_url, provider=provider),
    )


SUBSCRIPTION_FIELDS = (
    "public_ref",
    "status",
    "current_period_end",
    "cancel_at_period_end",
    "created_at",
    "paused_since",
)


def with_subscription_of_order(grants: QuerySet[AccessGrant]) -> QuerySet[AccessGrant]:
    """The grants with their order (product, price) and that order's subscription, in the same
    query (annotations ``subscription_<field>``): the dashboard stays at a fixed query count."""
    subscription = Subscription.objects.filter(order_id=OuterRef("order_id")).order_by("-pk")
    annotations = {
        f"subscription_{name}": Subquery(subscription.values(name)[:1])
        for name in SUBSCRIPTION_FIELDS
    }
    return grants.select_related("order__product", "order__price").annotate(
        **annotations, order_in_plan_group=_in_plan_group("order__product_id")
    )


def _in_plan_group(product_field: str) -> ExpressionWrapper:
    """Whether the product has alternatives to change to, inside the page's own query: a plan
    group, or another tier of its magazine (a magazine's tiers are always alternatives)."""
    grouped = Exists(PlanGroup.products.through.objects.filter(product_id=OuterRef(product_field)))
    other_tiers = Exists(
        Tier.objects.filter(magazine__tiers__product_id=OuterRef(product_field)).exclude(
            product_id=OuterRef(product_field)
        )
    )
    return ExpressionWrapper(Q(grouped) | Q(other_tiers), output_field=BooleanField())


def billing_line_for_grant(grant: AccessGrant) -> BillingLine | None:
    """The billing line of a grant loaded through ``with_subscription_of_order``."""
    if grant.order is None or not getattr(grant, "subscription_public_ref", None):
        return None
    values = {name: getattr(grant, f"subscription_{name}") for name in SUBSCRIPTION_FIELDS}
    in_group = getattr(grant, "order_in_plan_group", False)
    return _line(subscription_values=values, order=grant.order, in_plan_group=in_group)


def open_billing_lines(lines: Iterable[BillingLine | None]) -> list[BillingLine]:
    """The open subscriptions among grants' billing lines (``billing_line_for_grant``, which
    the dashboard's items carry), once each: a bundle's grants share one."""
    found: dict[str, BillingLine] = {}
    for line in lines:
        if line is not None and line.is_open:
            found.setdefault(line.ref, line)
    return list(found.values())


def _member_subscriptions(*, member_pk: int) -> QuerySet[Subscription]:
    return (
        Subscription.objects.filter(member_id=member_pk)
        .select_related("order__product", "order__price")
        .annotate(in_plan_group=_in_plan_group("order__product_id"))
        .order_by("-created_at", "-pk")
    )


# The profile's statement, compiled once per process (issue 20: compiling it cost more than
# running it).
_MEMBER_SUBSCRIPTIONS = Precompiled(_member_subscriptions, member_pk=int)


def member_billing_lines(*, member: User) -> list[BillingLine]:
    """Every subscription of the member, open ones first, newest first (the profile)."""
    subscriptions = _MEMBER_SUBSCRIPTIONS.run(member_pk=member.pk)
    lines = [
        _line(
            subscription_values={name: getattr(sub, name) for name in SUBSCRIPTION_FIELDS},
            order=sub.order,
            in_plan_group=sub.in_plan_group,
        )
        for sub in subscriptions
    ]
    return sorted(lines, key=lambda line: not line.is_open)


def subscription_of_member_or_404(*, member: User, ref: str) -> Subscription:
    """The member's own subscription by its public reference; anything else is a 404."""
    subscription = (
        Subscription.objects.select_related("order__customer", "order__price", "order__product")
        .filter(member=member, public_ref=ref)
        .first()
    )
    if subscription is None:
        raise Http404
    return subscription


def billing_line(subscription: Subscription) -> BillingLine:
    values = {name: getattr(subscription, name) for name in SUBSCRIPTION_FIELDS}
    return _line(subscription_values=values, order=subscription.order)
