"""Provider events, customers, orders, subscriptions and payments."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from membership_site.model_loading import FastFromDb
from products.models import Price, Product


class ProviderEvent(models.Model):
    """A webhook delivery as received: stored once per (provider, event id), then processed."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("received")
        PROCESSING = "processing", _("processing")
        PROCESSED = "processed", _("processed")
        FAILED = "failed", _("failed")
        IGNORED = "ignored", _("ignored")

    provider = models.CharField(_("provider"), max_length=20)
    event_id = models.CharField(_("event id"), max_length=255)
    event_type = models.CharField(_("type"), max_length=100, db_index=True)
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.RECEIVED
    )
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    is_test = models.BooleanField(_("test mode"), default=False)
    received_at = models.DateTimeField(_("received"))
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    queued_at = models.DateTimeField(
        _("last re-queued"),
        null=True,
        blank=True,
        help_text=_("Set when the periodic job or an admin queued the event again."),
    )
    next_attempt_at = models.DateTimeField(
        _("next attempt"),
        null=True,
        blank=True,
        help_text=_("A failed event is retried from this moment (exponential backoff)."),
    )

    class Meta:
        verbose_name = _("provider event")
        verbose_name_plural = _("provider events")
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="provider_event_once"),
        ]
        indexes = [models.Index(fields=["status", "received_at"], name="event_status_idx")]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_type} {self.event_id}"


class Customer(models.Model):
    """A member as a provider knows them (Stripe ``cus_…``, a Digistore24 buyer)."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="customers"
    )
    provider = models.CharField(_("provider"), max_length=20)
    provider_customer_id = models.CharField(_("provider customer id"), max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_customer_id"], name="customer_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.provider_customer_id}"


class Order(FastFromDb, models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        PAID = "paid", _("paid")
        REFUNDED = "refunded", _("refunded")
        CHARGED_BACK = "charged_back", _("charged back")

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders"
    )
    # A product that has orders cannot be deleted, only unpublished.
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="orders")
    price = models.ForeignKey(
        Price, on_delete=models.PROTECT, related_name="orders", null=True, blank=True
    )
    provider = models.CharField(_("provider"), max_length=20)
    provider_ref = models.CharField(_("provider reference"), max_length=255)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="orders", null=True, blank=True
    )
    amount = models.PositiveIntegerField(_("amount (minor units)"), default=0)
    currency = models.CharField(max_length=3)
    is_test = models.BooleanField(_("test mode"), default=False)
    invoice_url = models.URLField(
        _("provider invoice URL"),
        max_length=500,
        blank=True,
        help_text=_("Digistore24 invoices its buyers."),
    )
    reversed_at = models.DateTimeField(
        _("refunded or charged back at"),
        null=True,
        blank=True,
        help_text=_(
            "When the provider refunded or charged back this order, ending its access. A payment "
            "made before this moment never reopens it; only a newer one does."
        ),
    )
    # Digistore24's own pages for the buyer (from the IPN): stop the rebilling, the receipt.
    rebilling_stop_url = models.URLField(_("provider cancel URL"), max_length=500, blank=True)
    receipt_url = models.URLField(_("provider receipt URL"), max_length=500, blank=True)
    # The buyer's waiver of the withdrawal right (``billing.waiver``): which text, when, from where.
    withdrawal_waiver_version = models.CharField(
        _("withdrawal waiver (text version)"),
        max_length=40,
        blank=True,
        help_text=_("Empty: the buyer did not agree that access starts before the 14 days end."),
    )
    withdrawal_waiver_at = models.DateTimeField(_("withdrawal waiver given"), null=True, blank=True)
    withdrawal_waiver_ip = models.GenericIPAddressField(
        _("withdrawal waiver IP address"), null=True, blank=True
    )
    welcome_sent_at = models.DateTimeField(
        _("welcome e-mail sent"),
        null=True,
        blank=True,
        help_text=_("The welcome or purchase e-mail goes out once per order."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            models.UniqueConstraint(fields=["provider", "provider_ref"], name="order_once"),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.provider_ref}"


def new_public_ref() -> str:
    """An unguessable reference for the member's own pages (never the provider's id or a pk)."""
    return secrets.token_urlsafe(16)


class Subscription(FastFromDb, models.Model):
    class Status(models.TextChoices):
        INCOMPLETE = "incomplete", _("incomplete")
        TRIALING = "trialing", _("trialing")
        ACTIVE = "active", _("active")
        PAST_DUE = "past_due", _("past due")
        CANCELED = "canceled", _("ended")

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="subscriptions"
    )
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="subscriptions")
    provider = models.CharField(_("provider"), max_length=20)
    provider_ref = models.CharField(_("provider reference"), max_length=255)
    public_ref = models.CharField(
        _("member page reference"), max_length=32, unique=True, default=new_public_ref
    )
    status = models.CharField(max_length=20, choices=Status.choices)
    current_period_end = models.DateTimeField(_("current period end"), null=True, blank=True)
    cancel_at_period_end = models.BooleanField(_("cancels at period end"), default=False)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    price = models.ForeignKey(
        Price,
        on_delete=models.PROTECT,
        related_name="subscriptions",
        null=True,
        blank=True,
        help_text=_("The plan billed now (a plan change at the provider changes it)."),
    )
    mrr = models.PositiveIntegerField(
        _("monthly value (minor units)"),
        default=0,
        help_text=_("The plan's price normalised to a month: yearly / 12, weekly x 52 / 12."),
    )
    paying_mrr = models.PositiveIntegerField(
        _("counted MRR (minor units)"),
        default=0,
        help_text=_("What the MRR figures count for it now: its monthly value while it pays."),
    )
    paused_since = models.DateTimeField(
        _("paused since"),
        null=True,
        blank=True,
        help_text=_("Payment collection is paused: access stays, nothing new opens."),
    )
    provider_updated_at = models.DateTimeField(
        _("provider state as of"),
        null=True,
        blank=True,
        help_text=_("When the provider produced the newest state we applied; older events drop."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        constraints = [
            models.UniqueConstraint(fields=["provider", "provider_ref"], name="subscription_once"),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.provider_ref} ({self.status})"


class Payment(models.Model):
    """Money received (or a zero-amount trial start). Amounts are integers in minor units."""

    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", _("succeeded")
        REFUNDED = "refunded", _("refunded")
        PARTIALLY_REFUNDED = "partially_refunded", _("partially refunded")
        DISPUTED = "disputed", _("disputed")
        CHARGED_BACK = "charged_back", _("charged back")

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    # Copies of the order's buyer, product and test mode (which never change), so the
    # dashboard's aggregates over every payment need no join with the orders; ``save`` fills
    # them in from the order.
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        verbose_name=_("member"),
    )
    product = models.ForeignKey(
        Product,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        verbose_name=_("product"),
    )
    is_test = models.BooleanField(_("test mode"), default=False)
    provider = models.CharField(_("provider"), max_length=20)
    provider_ref = models.CharField(
        _("provider reference"), max_length=255, help_text=_("in_…, cs_… or a Digistore24 id")
    )
    payment_intent_ref = models.CharField(max_length=255, blank=True, db_index=True)
    charge_ref = models.CharField(max_length=255, blank=True, db_index=True)
    amount = models.PositiveIntegerField(_("amount (minor units)"))
    amount_refunded = models.PositiveIntegerField(_("refunded (minor units)"), default=0)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SUCCEEDED)
    paid_at = models.DateTimeField(_("paid at"))
    period_end = models.DateTimeField(_("pays for access until"), null=True, blank=True)
    dispute_closed_at = models.DateTimeField(
        _("last dispute closed at"),
        null=True,
        blank=True,
        help_text=_("A dispute opened before this moment arrived late: it changes nothing."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.UniqueConstraint(fields=["provider", "provider_ref"], name="payment_once"),
            models.CheckConstraint(
                condition=models.Q(amount_refunded__lte=models.F("amount")),
                name="payment_refund_within_amount",
            ),
        ]
        indexes = [
            # covering (PostgreSQL): the dashboard's sums and counts over a year of payments
            # read this index alone (an index-only scan), not the wide payment rows
            models.Index(
                fields=["paid_at"],
                include=[
                    "is_test",
                    "amount",
                    "currency",
                    "member",
                    "product",
                    "provider",
                    "order",
                ],
                name="payment_paid_covering_idx",
            ),
            # whether a buyer paid for a product in the months (the dashboard's course buyers)
            models.Index(
                fields=["member", "product", "paid_at"], name="payment_buyer_product_paid_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.provider_ref} {self.amount} {self.currency}"

    def save(self, *args, **kwargs) -> None:
        if self._state.adding and self.order_id is not None:
            self.copy_order_fields()
        super().save(*args, **kwargs)

    def copy_order_fields(self) -> None:
        """Take the buyer, product and test mode from the order (bulk_create does not save)."""
        order = self.order
        self.member_id = order.member_id
        self.product_id = order.product_id
        self.is_test = order.is_test


class CheckoutLink(models.Model):
    """Which order a completed checkout produced, when the order is keyed by something else.

    A subscription's order is keyed by the subscription; its Checkout Session only names it.
    The success page looks the buyer's session up here to show the member-area link.
    """

    provider = models.CharField(_("provider"), max_length=20)
    checkout_ref = models.CharField(_("checkout reference"), max_length=255)
    order_ref = models.CharField(_("order reference"), max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("checkout link")
        verbose_name_plural = _("checkout links")
        constraints = [
            models.UniqueConstraint(fields=["provider", "checkout_ref"], name="checkout_link_once"),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.checkout_ref} -> {self.order_ref}"


class CancellationFeedback(models.Model):
    """Why a member cancelled (optional), asked by our own cancel flow before it cancels."""

    class Reason(models.TextChoices):
        TOO_EXPENSIVE = "too_expensive", _("It is too expensive")
        NOT_USING = "not_using", _("I do not use it enough")
        DONE = "done", _("I got what I needed")
        MISSING = "missing", _("Something I need is missing")
        PROBLEMS = "problems", _("Technical problems")
        OTHER = "other", _("Another reason")

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="cancellation_feedback"
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cancellation_feedback"
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices, blank=True)
    detail = models.TextField(_("in their words"), max_length=1000, blank=True)
    access_until = models.DateTimeField(_("access until"), null=True, blank=True)
    created_at = models.DateTimeField(_("given at"))

    class Meta:
        verbose_name = _("cancellation reason")
        verbose_name_plural = _("cancellation reasons")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.subscription} {self.reason or '-'}"


# Reconcile runs and findings live in their own module; imported here so Django finds them.
from billing.plan_models import PlanGroup  # noqa: E402
from billing.reconcile_models import ReconcileFinding, ReconcileFix, ReconcileRun  # noqa: E402
from billing.revenue_models import PaymentReversal, SubscriptionMovement  # noqa: E402

__all__ = [
    "CancellationFeedback",
    "CheckoutLink",
    "Customer",
    "Order",
    "Payment",
    "PaymentReversal",
    "PlanGroup",
    "ProviderEvent",
    "ReconcileFinding",
    "ReconcileFix",
    "ReconcileRun",
    "Subscription",
    "SubscriptionMovement",
]


class PaidOrder(models.Model):
    """An order's first and last payment above zero, with the payments' copies of its buyer,
    product, provider, currency and test mode: one narrow row per paying order, so the
    creator's dashboard counts orders and buyers over months (and finds each member's first
    purchase) from about a third of the rows, without sorting every payment of the year.

    Kept only by database triggers on ``billing_payment`` (billing 0015): every insert, update
    and delete of a payment (save, bulk_create, update(), raw SQL) keeps it right. Nothing in
    Python writes it."""

    order_id = models.BigIntegerField(primary_key=True)
    member_id = models.BigIntegerField()
    product_id = models.BigIntegerField()
    provider = models.CharField(max_length=20)
    currency = models.CharField(max_length=3)
    is_test = models.BooleanField()
    first_paid_at = models.DateTimeField()
    last_paid_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["last_paid_at"], name="paidorder_last_paid_idx")]

    def __str__(self) -> str:
        return (
            f"order {self.order_id}: {self.first_paid_at:%Y-%m-%d} – {self.last_paid_at:%Y-%m-%d}"
        )
