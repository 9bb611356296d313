"""Coupons in the admin: saving one creates or updates its Stripe coupon and promotion code."""

from __future__ import annotations

import logging

import stripe
from django.contrib import admin, messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from offers.models import (
    BumpPurchase,
    Coupon,
    CouponAmount,
    OrderBump,
    Redemption,
    StripeCode,
    UpsellAttempt,
    UpsellOffer,
)
from offers.stripe_sync import is_in_sync, sync_coupon
from products.money import format_money

logger = logging.getLogger(__name__)

STRIPE_NOTE = _(
    "Saving creates the coupon and its promotion code at Stripe (when a Stripe key is set). "
    "Stripe cannot change a coupon's discount, currency or duration, nor a promotion code's "
    "code, limit or end date: changing any of them makes a new Stripe coupon and/or promotion "
    "code and switches the old promotion code off. Orders already paid keep their discount. "
    "The name and 'active' change in place. The product list is checked by this site's "
    "checkout."
)


class CouponAmountInline(admin.TabularInline):
    model = CouponAmount
    extra = 1
    verbose_name_plural = _("Amounts off (fixed coupons only, minor units: 500 = 5.00)")


class StripeCodeInline(admin.TabularInline):
    model = StripeCode
    extra = 0
    can_delete = False
    fields = ["promotion_code_ref", "coupon_ref", "is_active", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Coupon)
class CouponAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "discount",
        "duration",
        "valid_from",
        "valid_until",
        "redeemed",
        "over_limit_count",
        "is_active",
        "at_stripe",
    ]
    list_filter = ["is_active", "kind", "duration"]
    search_fields = ["code", "name"]
    filter_horizontal = ["products"]
    inlines = [CouponAmountInline, StripeCodeInline]
    fieldsets = [
        (None, {"fields": ["code", "name", "is_active"], "description": STRIPE_NOTE}),
        (_("Discount"), {"fields": ["kind", "percent_off", "duration"]}),
        (_("Where and when"), {"fields": ["products", "valid_from", "valid_until"]}),
        (_("Limit"), {"fields": ["max_redemptions"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Coupon]:
        return (
            super()
            .get_queryset(request)
            .prefetch_related("amounts", "stripe_codes")
            .annotate(
                counted=Count("redemptions", filter=Q(redemptions__over_limit=False)),
                over=Count("redemptions", filter=Q(redemptions__over_limit=True)),
            )
        )

    @admin.display(description=_("discount"))
    def discount(self, coupon: Coupon) -> str:
        if coupon.kind == Coupon.Kind.PERCENT:
            return f"{coupon.percent_off.normalize():f} %"
        return ", ".join(format_money(row.amount, row.currency) for row in coupon.amounts.all())

    @admin.display(description=_("redeemed"))
    def redeemed(self, coupon: Coupon) -> str:
        limit = coupon.max_redemptions
        return f"{coupon.counted} / {limit}" if limit else str(coupon.counted)

    @admin.display(description=_("over the limit"))
    def over_limit_count(self, coupon: Coupon) -> int:
        return coupon.over

    @admin.display(description=_("at Stripe"), boolean=True)
    def at_stripe(self, coupon: Coupon) -> bool | None:
        codes = list(coupon.stripe_codes.all())
        if not codes:
            return None
        return is_in_sync(coupon, max(codes, key=lambda row: row.pk))

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        """After the amounts and products are saved: bring Stripe in line (``sync_coupon``)."""
        super().save_related(request, form, formsets, change)
        coupon = form.instance
        if coupon.kind == Coupon.Kind.FIXED and not coupon.amounts.exists():
            messages.error(
                request,
                _("A fixed coupon needs an amount in at least one currency before it works."),
            )
            return
        try:
            sync_coupon(coupon=coupon, now=timezone.now())
        except stripe.StripeError as error:
            logger.warning("Stripe refused coupon %s: %s", coupon.pk, error)
            messages.error(
                request,
                _(
                    "The coupon is saved, but Stripe refused it (%(error)s). Checkout refuses "
                    "the code until it is in sync: save it again to retry."
                )
                % {"error": getattr(error, "user_message", None) or str(error)},
            )


@admin.register(Redemption)
class RedemptionAdmin(admin.ModelAdmin):
    list_display = ["redeemed_at", "coupon", "order", "member", "amount_display", "over_limit"]
    list_filter = ["over_limit", "coupon"]
    search_fields = ["coupon__code", "member__email", "order__provider_ref"]
    list_select_related = ["coupon", "order", "member"]
    date_hierarchy = "redeemed_at"

    @admin.display(description=_("discount"))
    def amount_display(self, redemption: Redemption) -> str:
        return format_money(redemption.amount, redemption.currency)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(UpsellOffer)
class UpsellOfferAdmin(admin.ModelAdmin):
    list_display = ["product", "price", "amount_display", "is_active", "created_at"]
    list_filter = ["is_active"]
    list_select_related = ["product", "price__product"]
    fields = ["product", "price", "amount", "headline", "description", "is_active"]

    @admin.display(description=_("charged"))
    def amount_display(self, offer: UpsellOffer) -> str:
        return format_money(offer.charge_amount, offer.price.currency)


@admin.register(UpsellAttempt)
class UpsellAttemptAdmin(admin.ModelAdmin):
    list_display = ["offered_at", "offer", "member", "status", "failure", "payment_intent_ref"]
    list_filter = ["status", "failure"]
    list_select_related = ["offer__product", "offer__price__product", "member"]
    search_fields = ["member__email", "payment_intent_ref"]
    readonly_fields = [field.name for field in UpsellAttempt._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


BUMP_NOTE = _(
    "The checkbox shown in the product's checkout (one-off prices in this currency only). "
    "Ticked, both are bought in one Stripe Checkout: each becomes its own order and invoice "
    "line. A coupon the buyer uses takes its discount off both lines, as Stripe applies it. "
    "A partial refund of exactly the bump's amount revokes only the bump's product."
)


@admin.register(OrderBump)
class OrderBumpAdmin(admin.ModelAdmin):
    list_display = ["product", "bump_product", "price_display", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["product__name", "bump_product__name"]
    list_select_related = ["product", "bump_product"]
    autocomplete_fields = ["product", "bump_product"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "product",
                    "bump_product",
                    "amount",
                    "currency",
                    "headline",
                    "is_active",
                ],
                "description": BUMP_NOTE,
            },
        )
    ]

    @admin.display(description=_("special price"))
    def price_display(self, bump: OrderBump) -> str:
        return format_money(bump.amount, bump.currency)


@admin.register(BumpPurchase)
class BumpPurchaseAdmin(admin.ModelAdmin):
    list_display = ["order", "payment", "amount_display", "refunded_at"]
    search_fields = ["order__provider_ref", "order__member__email"]
    list_select_related = ["order", "payment"]

    @admin.display(description=_("paid"))
    def amount_display(self, purchase: BumpPurchase) -> str:
        return format_money(purchase.amount, purchase.currency)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
