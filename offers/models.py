"""Coupons: a code the buyer types at checkout, its Stripe counterparts and its redemptions.

A coupon's discount lives at Stripe as a coupon (percent or amount off, duration) with one
promotion code (the code the buyer types, its limit and its end date). Stripe keeps both
immutable except name, metadata and ``active``, so every change of the terms makes a new
``StripeCode`` row (a new Stripe coupon and/or promotion code) and deactivates the old promotion
code; the old rows stay, so a payment made with an older code is still recognised.

``Redemption`` counts a coupon once per order (unique ``order``), recorded from the paid webhook;
``PaymentDiscount`` is what one payment was given off (the invoice shows it as its own line).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from products.models import Product


class Coupon(models.Model):
    class Kind(models.TextChoices):
        PERCENT = "percent", _("percent off")
        FIXED = "fixed", _("fixed amount off")

    class Duration(models.TextChoices):
        ONCE = "once", _("first payment only")
        FOREVER = "forever", _("every payment (forever)")

    code = models.CharField(
        _("code"),
        max_length=40,
        help_text=_(
            "What the buyer types, e.g. SPRING25. Letters, digits, - and _; upper and lower "
            "case count as the same code."
        ),
    )
    name = models.CharField(_("name"), max_length=40, blank=True, help_text=_("Shown at Stripe."))
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.PERCENT)
    percent_off = models.DecimalField(
        _("percent off"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0.01), MaxValueValidator(100)],
        help_text=_("For a percent coupon: 1 to 100."),
    )
    products = models.ManyToManyField(
        Product,
        blank=True,
        related_name="coupons",
        verbose_name=_("products"),
        help_text=_("Leave empty for a coupon that applies to every product."),
    )
    duration = models.CharField(
        _("applies to"),
        max_length=10,
        choices=Duration.choices,
        default=Duration.ONCE,
        help_text=_(
            "For a subscription: the first payment only, or every renewal too. Stripe accepts "
            "'forever' only for percent coupons."
        ),
    )
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    max_redemptions = models.PositiveIntegerField(
        _("maximum redemptions"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Paid orders that may use the code; empty for no limit."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("coupon")
        verbose_name_plural = _("coupons")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(Lower("code"), name="coupon_code_unique_any_case"),
            models.CheckConstraint(
                condition=models.Q(kind="fixed") | models.Q(percent_off__isnull=False),
                name="coupon_percent_has_percent",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def save(self, *args, **kwargs) -> None:
        self.code = (self.code or "").strip().upper()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        self.code = (self.code or "").strip().upper()
        errors = {}
        if self.code and not all(char.isalnum() or char in "-_" for char in self.code):
            errors["code"] = _("Use letters, digits, - and _ only.")
        if self.kind == self.Kind.PERCENT and self.percent_off is None:
            errors["percent_off"] = _("A percent coupon needs its percentage.")
        if self.kind == self.Kind.FIXED and self.percent_off is not None:
            errors["percent_off"] = _(
                "A fixed coupon takes amounts per currency, not a percentage."
            )
        if self.kind == self.Kind.FIXED and self.duration == self.Duration.FOREVER:
            errors["duration"] = _(
                "Stripe accepts a fixed amount for the first payment only (since API "
                "2025-03-31). Use a percent coupon for every payment."
            )
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            errors["valid_until"] = _("The end must be after the start.")
        if errors:
            raise ValidationError(errors)


class CouponAmount(models.Model):
    """A fixed coupon's amount in one currency (minor units: 500 = 5.00 EUR)."""

    coupon = models.ForeignKey(Coupon, on_delete=models.CASCADE, related_name="amounts")
    currency = models.CharField(_("currency"), max_length=3)
    amount = models.PositiveIntegerField(
        _("amount off (minor units)"), validators=[MinValueValidator(1)]
    )

    class Meta:
        verbose_name = _("amount off")
        verbose_name_plural = _("amounts off (fixed coupons)")
        ordering = ["currency"]
        constraints = [
            models.UniqueConstraint(fields=["coupon", "currency"], name="coupon_amount_once"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"

    def save(self, *args, **kwargs) -> None:
        self.currency = (self.currency or "").strip().upper()
        super().save(*args, **kwargs)


class StripeCode(models.Model):
    """One Stripe coupon + promotion code pair made for a coupon's terms at the time."""

    coupon = models.ForeignKey(Coupon, on_delete=models.PROTECT, related_name="stripe_codes")
    coupon_ref = models.CharField(_("Stripe coupon"), max_length=255)
    promotion_code_ref = models.CharField(_("Stripe promotion code"), max_length=255, unique=True)
    coupon_terms = models.JSONField(default=dict)
    code_terms = models.JSONField(default=dict)
    name = models.CharField(_("name at Stripe"), max_length=40, blank=True)
    is_active = models.BooleanField(_("active at Stripe"), default=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("Stripe promotion code")
        verbose_name_plural = _("Stripe promotion codes")
        ordering = ["-pk"]

    def __str__(self) -> str:
        return self.promotion_code_ref


class Redemption(models.Model):
    """A coupon used by one paid order; counted against the limit unless ``over_limit``."""

    coupon = models.ForeignKey(Coupon, on_delete=models.PROTECT, related_name="redemptions")
    order = models.OneToOneField(
        "billing.Order", on_delete=models.PROTECT, related_name="coupon_redemption"
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="coupon_redemptions"
    )
    amount = models.PositiveIntegerField(_("discount (minor units)"))
    currency = models.CharField(_("currency"), max_length=3)
    over_limit = models.BooleanField(
        _("over the limit"),
        default=False,
        help_text=_(
            "Paid after the coupon had reached its maximum (checked at checkout, used up "
            "before payment). The buyer keeps the discount they were shown; not counted."
        ),
    )
    redeemed_at = models.DateTimeField(_("redeemed at"))

    class Meta:
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        ordering = ["-redeemed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.coupon} · {self.order_id}"


class PaymentDiscount(models.Model):
    """What a payment was given off by a coupon: the invoice's discount line."""

    payment = models.OneToOneField(
        "billing.Payment", on_delete=models.PROTECT, related_name="coupon_discount"
    )
    coupon = models.ForeignKey(
        Coupon, on_delete=models.PROTECT, related_name="payment_discounts", null=True, blank=True
    )
    code = models.CharField(_("code"), max_length=255, blank=True)
    subtotal = models.PositiveIntegerField(_("before discount (minor units)"))
    amount = models.PositiveIntegerField(_("discount (minor units)"))
    coupon_ref = models.CharField(_("Stripe coupon"), max_length=255, blank=True)
    promotion_code_ref = models.CharField(_("Stripe promotion code"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("payment discount")
        verbose_name_plural = _("payment discounts")

    def __str__(self) -> str:
        return f"{self.code or self.coupon_ref}: {self.amount}"


class UpsellOffer(models.Model):
    """After buying ``product``, the success page offers ``price`` (of another product) once,
    charged with one click to the card the first Checkout saved (``offers.upsell``)."""

    product = models.ForeignKey(
        Product,
        on_delete=models.CASCADE,
        related_name="upsell_offers",
        verbose_name=_("after buying"),
    )
    price = models.ForeignKey(
        "products.Price",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("offer this price"),
        help_text=_("A one-off price of the product to offer."),
    )
    amount = models.PositiveIntegerField(
        _("special amount (minor units)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("In the price's currency (900 = 9.00). Empty: the price's own amount."),
    )
    headline = models.CharField(
        _("headline"),
        max_length=200,
        blank=True,
        help_text=_("Empty: a translated default naming the product and the amount."),
    )
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("one-click upsell")
        verbose_name_plural = _("one-click upsells")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["product"],
                condition=models.Q(is_active=True),
                name="one_active_upsell_per_product",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product} → {self.price.product}"

    @property
    def charge_amount(self) -> int:
        return self.amount or self.price.amount

    def clean(self) -> None:
        super().clean()
        if self.price_id is None or self.product_id is None:
            return
        errors = {}
        if self.price.is_recurring:
            errors["price"] = _("A one-click upsell is a one-off payment: choose a one-off price.")
        elif self.price.product_id == self.product_id:
            errors["price"] = _("Offer another product than the one just bought.")
        if errors:
            raise ValidationError(errors)


class UpsellAttempt(models.Model):
    """The upsell of one paid order: offered once, taken (charged off-session) at most once.

    ``token`` names it in URLs (never the pk) and is kept in the buyer's session when the
    success page first shows it; access comes from the ``payment_intent.succeeded`` webhook."""

    class Status(models.TextChoices):
        OFFERED = "offered", _("offered")
        DISMISSED = "dismissed", _("declined by the buyer")
        CHARGING = "charging", _("charged, waiting for the payment")
        FAILED = "failed", _("card not charged")

    order = models.OneToOneField(
        "billing.Order", on_delete=models.PROTECT, related_name="upsell_attempt"
    )
    offer = models.ForeignKey(UpsellOffer, on_delete=models.PROTECT, related_name="attempts")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="upsell_attempts"
    )
    token = models.CharField(max_length=64, unique=True)
    amount = models.PositiveIntegerField(_("amount (minor units)"))
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OFFERED
    )
    failure = models.CharField(_("why not charged"), max_length=40, blank=True)
    payment_intent_ref = models.CharField(
        _("Stripe payment intent"), max_length=255, blank=True, db_index=True
    )
    offered_at = models.DateTimeField(_("offered at"))
    expires_at = models.DateTimeField(_("expires at"))
    clicked_at = models.DateTimeField(_("taken at"), null=True, blank=True)

    class Meta:
        verbose_name = _("upsell attempt")
        verbose_name_plural = _("upsell attempts")
        ordering = ["-offered_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.offer} · {self.order_id} · {self.status}"


class OrderBump(models.Model):
    """A second product offered at a special price in a product's checkout: one checkbox.

    Only for one-off prices (a payment-mode Checkout Session) in the bump's currency. Both
    lines are bought in one Checkout Session; each becomes its own order (``BumpPurchase``).
    """

    product = models.OneToOneField(
        Product,
        on_delete=models.CASCADE,
        related_name="order_bump",
        verbose_name=_("offered in the checkout of"),
    )
    bump_product = models.ForeignKey(
        Product,
        on_delete=models.PROTECT,
        related_name="bumped_in",
        verbose_name=_("product offered"),
    )
    amount = models.PositiveIntegerField(
        _("special price (minor units)"),
        validators=[MinValueValidator(1)],
        help_text=_("900 = 9.00"),
    )
    currency = models.CharField(
        _("currency"),
        max_length=3,
        default="EUR",
        help_text=_("Offered with prices in this currency only."),
    )
    headline = models.CharField(
        _("headline"),
        max_length=200,
        blank=True,
        help_text=_(
            "The checkbox text. Leave empty for 'Add {product} for {price}' in the buyer's "
            "language."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("order bump")
        verbose_name_plural = _("order bumps")

    def __str__(self) -> str:
        return f"{self.product} + {self.bump_product}"

    def save(self, *args, **kwargs) -> None:
        self.currency = (self.currency or "").strip().upper()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        if self.product_id and self.product_id == self.bump_product_id:
            raise ValidationError(
                {"bump_product": _("Offer another product than the one being bought.")}
            )


class BumpPurchase(models.Model):
    """The bump line of one checkout: its own order (its own product, amount and refund), paid
    by the same payment as the main order (one Checkout Session, one charge)."""

    payment = models.OneToOneField(
        "billing.Payment", on_delete=models.PROTECT, related_name="bump_purchase"
    )
    order = models.OneToOneField(
        "billing.Order", on_delete=models.PROTECT, related_name="bump_purchase"
    )
    bump = models.ForeignKey(
        OrderBump, on_delete=models.SET_NULL, null=True, blank=True, related_name="purchases"
    )
    list_amount = models.PositiveIntegerField(_("special price (minor units)"))
    amount = models.PositiveIntegerField(_("paid after discount (minor units)"))
    currency = models.CharField(_("currency"), max_length=3)
    refunded_at = models.DateTimeField(_("refunded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("order bump purchase")
        verbose_name_plural = _("order bump purchases")

    def __str__(self) -> str:
        return f"{self.order} ({self.payment})"
