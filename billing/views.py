"""Checkout, the local test checkout, the success page, and the member's own billing (customer
portal, cancel with a reason, resume, the offline stand-in for the portal): thin views."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import stripe
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing import stripe_api
from billing.models import CancellationFeedback, Subscription
from billing.providers.base import WaiverConsent
from billing.providers.stripe_test_checkout import (
    TestCheckoutUnavailable,
    complete_test_checkout,
)
from billing.providers.stripe_test_checkout import is_available as test_checkout_is_available
from billing.selectors import (
    billing_line,
    checkout_has_access,
    order_for_checkout,
    subscription_of_member_or_404,
    support_email,
)
from billing.services.checkout import portal_url, start_checkout, store_credit_discount
from billing.services.self_service import (
    BillingUnavailable,
    cancel_subscription,
    portal_destination,
    set_cancellation,
)
from billing.waiver import WAIVER_VERSION, clean_ip, waiver_needed, waiver_text
from members import throttle
from members.views import member_view
from offers.bumps import BumpRefused, bump_for_checkout, bump_offered_with, coupon_with_bump
from offers.selectors import CheckoutCoupon, CouponRefused, coupon_for_checkout, normalize_code
from offers.upsell_views import success_page_context as upsell_success_context
from products.models import Price

logger = logging.getLogger(__name__)


def _sellable_price(price_pk: int) -> Price:
    """An active price of a published product with a buy button (see products.sellable)."""
    prices = Price.objects.select_related("product")
    if not test_checkout_is_available():
        prices = prices.exclude(stripe_price_id=None)
    return get_object_or_404(prices, pk=price_pk, is_active=True, product__is_published=True)


def _member(request: HttpRequest):
    return request.user if request.user.is_authenticated else None


COUPON_TRIES_PER_PERIOD = 30  # codes tried per client address
COUPON_TRY_PERIOD_SECONDS = 10 * 60


def _checked_coupon(request: HttpRequest, price: Price, code: str) -> CheckoutCoupon | None:
    """The buyer's coupon for this price (None without a code); ``CouponRefused`` with the
    buyer's message when it cannot be used. Tries are rate limited: codes can be guessed."""
    if not normalize_code(code):
        return None
    key = f"coupon-try:{throttle.client_ip(request)}"
    if throttle.count(key, period=COUPON_TRY_PERIOD_SECONDS) > COUPON_TRIES_PER_PERIOD:
        raise CouponRefused(_("Too many codes tried. Please try again in a few minutes."))
    return coupon_for_checkout(
        code=code, price=price, now=timezone.now(), needs_stripe=not test_checkout_is_available()
    )


def _ip_country(request: HttpRequest) -> str:
    """The buyer's country from the proxy's geo-IP header (``settings.IP_COUNTRY_HEADER``, such
    as Cloudflare's CF-IPCountry), for the invoice's OSS evidence; "" when none is set."""
    header = settings.IP_COUNTRY_HEADER
    value = request.headers.get(header, "").strip().upper() if header else ""
    return value if len(value) == 2 and value.isalpha() and value != "XX" else ""


def _back_to_product(price: Price, code: str) -> HttpResponse:
    url = price.product.get_catalog_url()
    code = normalize_code(code)
    return redirect(f"{url}?{urlencode({'coupon': code})}" if code else url)


@require_POST
def checkout(request: HttpRequest, price_pk: int) -> HttpResponse:
    """The buy button: off to Stripe Checkout (or to the local test checkout without a key).

    A coupon code is checked before anything is created; a refused code goes back to the
    product page with the reason and the code still in its field."""
    price = _sellable_price(price_pk)
    code = request.POST.get("coupon", "")
    bump_id = request.POST.get("bump", "")[:20]  # the order bump's checkbox (offers.bumps)
    if test_checkout_is_available():
        url = reverse("billing:test_checkout", kwargs={"price_pk": price.pk})
        query = {
            name: value
            for name, value in [("coupon", normalize_code(code)), ("bump", bump_id)]
            if value
        }
        return redirect(f"{url}?{urlencode(query)}" if query else url)
    if not stripe_api.is_configured():
        logger.error("checkout for price %s: STRIPE_SECRET_KEY is not set", price.pk)
        messages.error(request, _("Checkout is not available right now. Please try again."))
        return redirect(price.product.get_catalog_url())
    try:
        coupon = _checked_coupon(request, price, code)
        bump = bump_for_checkout(price=price, bump_id=bump_id)
    except (CouponRefused, BumpRefused) as refusal:
        messages.error(request, str(refusal))
        return _back_to_product(price, code)
    try:
        url = start_checkout(
            price=price,
            member=_member(request),
            coupon=coupon,
            bump=bump,
            ip_country=_ip_country(request),
        )
    except stripe.StripeError:
        logger.exception("Stripe Checkout Session for price %s failed", price.pk)
        messages.error(request, _("Checkout is not available right now. Please try again."))
        return redirect(price.product.get_catalog_url())
    return redirect(url)


class TestCheckoutForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("E-mail address"))
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200, required=False)
    coupon = forms.CharField(
        label=gettext_lazy("Coupon code (optional)"), max_length=40, required=False
    )
    bump = forms.BooleanField(required=False)  # labelled with the order bump's headline
    # The withdrawal-right waiver (``billing.waiver``), as Stripe Checkout's required box.
    withdrawal_waiver = forms.BooleanField(
        required=True,
        error_messages={
            "required": gettext_lazy("Please agree that your access starts at once, to buy.")
        },
    )

    def __init__(self, *args, bump=None, needs_waiver: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.offered_bump = bump
        if bump is None:
            del self.fields["bump"]
        else:
            self.fields["bump"].label = bump.headline
        if needs_waiver:
            self.fields["withdrawal_waiver"].label = waiver_text()
        else:
            del self.fields["withdrawal_waiver"]


def _test_checkout_coupon(request: HttpRequest, form: TestCheckoutForm, price: Price):
    """The coupon of a valid form (None without a code); a refused code becomes the field's
    error."""
    try:
        return _checked_coupon(request, price, form.cleaned_data["coupon"])
    except CouponRefused as refusal:
        form.add_error("coupon", str(refusal))
        return None


@require_http_methods(["GET", "POST"])
def test_checkout(request: HttpRequest, price_pk: int) -> HttpResponse:
    """Offline test mode only: "pay" locally; signed Stripe-shaped events reach our webhook."""
    if not test_checkout_is_available():
        raise Http404
    price = _sellable_price(price_pk)
    member = _member(request)
    initial = {"email": member.email, "name": member.name} if member else {}
    initial["coupon"] = normalize_code(request.GET.get("coupon", ""))
    initial["bump"] = bool(request.GET.get("bump"))
    form = TestCheckoutForm(
        request.POST or None,
        initial=initial,
        bump=bump_offered_with(price),
        needs_waiver=waiver_needed(product=price.product, amount=price.amount),
    )
    if request.method == "POST" and form.is_valid():
        coupon = _test_checkout_coupon(request, form, price)
        if form.is_valid():  # the coupon's error, if any, is on the form now
            response = _pay_test_checkout(request, form, price, member, coupon)
            if response is not None:
                return response
    coupon, total = None, price.amount
    if request.method == "GET" and initial["coupon"]:
        coupon = _preview_coupon(request, price, initial["coupon"])
        # Opened with the bump ticked: the code takes its share off both lines, as Stripe does.
        bump = form.offered_bump if initial["bump"] else None
        coupon = coupon_with_bump(coupon, price=price, bump=bump)
        total += bump.amount if bump and coupon else 0
    context = {
        "price": price,
        "form": form,
        "coupon": coupon,
        "coupon_total": total - coupon.amount if coupon else None,
        "store_credit": store_credit_discount(price=price, member=member),
    }
    return render(request, "billing/test_checkout.html", context)


def _preview_coupon(request: HttpRequest, price: Price, code: str) -> CheckoutCoupon | None:
    """A prefilled code (``?coupon=``) shows what it takes off, or why it is refused."""
    try:
        return _checked_coupon(request, price, code)
    except CouponRefused as refusal:
        messages.error(request, str(refusal))
        return None


def _pay_test_checkout(request, form, price, member, coupon) -> HttpResponse | None:
    email = form.cleaned_data["email"]
    # The member's store credit, as on Stripe (only when they buy for their own address);
    # a coupon takes the session's one discount instead.
    buyer = member if member and member.email.lower() == email.lower() else None
    credit = None if coupon is not None else store_credit_discount(price=price, member=buyer)
    bump = form.offered_bump if form.cleaned_data.get("bump") else None
    waiver = None
    if form.cleaned_data.get("withdrawal_waiver"):
        ip = clean_ip(throttle.client_ip(request)) or ""
        waiver = WaiverConsent(version=WAIVER_VERSION, at=timezone.now(), ip=ip)
    try:
        session_ref = complete_test_checkout(
            price=price,
            email=email,
            name=form.cleaned_data["name"],
            credit=credit,
            coupon=coupon_with_bump(coupon, price=price, bump=bump),
            bump=bump,
            waiver=waiver,
        )
    except TestCheckoutUnavailable as error:
        logger.error("local test checkout failed: %s", error)
        messages.error(request, _("The test checkout could not reach the webhook."))
        return None
    return redirect(f"{reverse('billing:checkout_success')}?session_id={session_ref}")


def _status_context(request: HttpRequest) -> dict:
    session_ref = request.GET.get("session_id", "")[:255]
    ready = checkout_has_access(provider="stripe", checkout_ref=session_ref)
    order = order_for_checkout(provider="stripe", checkout_ref=session_ref) if ready else None
    context = {"session_ref": session_ref, "ready": ready, "order": order}
    return {**context, **upsell_success_context(request, order)}  # the one-click upsell


@require_GET
def checkout_success(request: HttpRequest) -> HttpResponse:
    """ "Check your e-mail"; the member-area link shows as soon as access exists."""
    return render(request, "billing/checkout_success.html", _status_context(request))


@require_GET
def checkout_status(request: HttpRequest) -> HttpResponse:
    """The part of the success page that polls until access exists."""
    return render(request, "billing/_checkout_status.html", _status_context(request))


@login_required
@require_POST
def portal(request: HttpRequest) -> HttpResponse:
    """ "Manage billing": a Stripe customer portal session for the member."""
    try:
        url = portal_url(member=request.user)
    except stripe.StripeError:
        logger.exception("Stripe portal session for member %s failed", request.user.pk)
        url = None
    if url is None:
        messages.error(request, _("Billing cannot be managed online right now."))
        return redirect("members:dashboard")
    return redirect(url)


# --- the member's own subscriptions -----------------------------------------------------------

CHANGES_PER_PERIOD = 20  # portal sessions, cancels and resumes per member
CHANGE_PERIOD_SECONDS = 10 * 60
RETURN_PAGES = {"profile": "members:profile", "dashboard": "members:dashboard"}


def _return_path(request: HttpRequest) -> str:
    """Back to the member page the action came from (a fixed list: never an open redirect)."""
    return reverse(RETURN_PAGES.get(request.POST.get("back", ""), "members:dashboard"))


def _throttled(request: HttpRequest) -> bool:
    """Count one change; True (and the member told) past the limit: each change calls Stripe."""
    used = throttle.count(f"billing-change:{request.user.pk}", period=CHANGE_PERIOD_SECONDS)
    if used <= CHANGES_PER_PERIOD:
        return False
    messages.error(
        request, _("Too many changes in a short time. Please try again in a few minutes.")
    )
    return True


def _unavailable(request: HttpRequest, subscription: Subscription, error: Exception) -> None:
    logger.warning("billing change for subscription %s failed: %s", subscription.pk, error)
    message = _("Billing cannot be managed online right now.")
    if support_email():
        message = _("Billing cannot be managed online right now. Please write to %(email)s.") % {
            "email": support_email()
        }
    messages.error(request, message)


@require_POST
@member_view
def subscription_portal(request: HttpRequest, ref: str) -> HttpResponse:
    """ "Manage subscription": Stripe's customer portal (offline: the local stand-in)."""
    subscription = subscription_of_member_or_404(member=request.user, ref=ref)
    back = _return_path(request)
    if _throttled(request):
        return redirect(back)
    try:
        return redirect(portal_destination(subscription=subscription, return_path=back))
    except (BillingUnavailable, stripe.StripeError) as error:
        _unavailable(request, subscription, error)
    return redirect(back)


class CancelForm(forms.Form):
    reason = forms.ChoiceField(
        label=gettext_lazy("Why are you cancelling?"),
        help_text=gettext_lazy("Optional. It helps us improve."),
        choices=[
            ("", gettext_lazy("I would rather not say")),
            *CancellationFeedback.Reason.choices,
        ],
        widget=forms.RadioSelect,
        required=False,
    )
    detail = forms.CharField(
        label=gettext_lazy("Anything you would like to tell us?"),
        help_text=gettext_lazy("Optional."),
        widget=forms.Textarea(attrs={"rows": 4, "aria-describedby": "id_detail_helptext"}),
        max_length=1000,
        required=False,
    )


@require_http_methods(["GET", "POST"])
@member_view
def cancel(request: HttpRequest, ref: str) -> HttpResponse:
    """Ask why (optional), then cancel at the period end; access stays until then."""
    subscription = subscription_of_member_or_404(member=request.user, ref=ref)
    line = billing_line(subscription)
    if not line.can_cancel:
        return redirect("members:profile")
    form = CancelForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        back = _return_path(request)
        if _throttled(request):
            return redirect(back)
        try:
            subscription = cancel_subscription(
                subscription=subscription,
                member=request.user,
                reason=form.cleaned_data["reason"],
                detail=form.cleaned_data["detail"],
                now=timezone.now(),
            )
        except (BillingUnavailable, TestCheckoutUnavailable, stripe.StripeError) as error:
            _unavailable(request, subscription, error)
            return redirect(back)
        messages.success(request, _cancelled_message(subscription))
        return redirect(back)
    context = {"line": line, "form": form, "back": request.GET.get("back", "dashboard")}
    return render(request, "billing/cancel.html", context)


def _cancelled_message(subscription: Subscription) -> str:
    """In the member's zone (``member_view``), the day the paid period ends."""
    if subscription.current_period_end is None:
        return _("Your subscription is cancelled.")
    day = date_format(timezone.localtime(subscription.current_period_end), "DATE_FORMAT")
    return _("Your subscription is cancelled. Your access continues until %(date)s.") % {
        "date": day
    }


@require_POST
@member_view
def resume(request: HttpRequest, ref: str) -> HttpResponse:
    """Undo a cancellation before the period ends: the subscription renews again."""
    subscription = subscription_of_member_or_404(member=request.user, ref=ref)
    back = _return_path(request)
    if not billing_line(subscription).can_resume or _throttled(request):
        return redirect(back)
    try:
        set_cancellation(
            subscription=subscription, cancel=False, member=request.user, now=timezone.now()
        )
    except (BillingUnavailable, TestCheckoutUnavailable, stripe.StripeError) as error:
        _unavailable(request, subscription, error)
        return redirect(back)
    messages.success(request, _("Your subscription continues. Nothing else changes."))
    return redirect(back)


@require_http_methods(["GET", "POST"])
@member_view
def test_portal(request: HttpRequest, ref: str) -> HttpResponse:
    """Offline test mode only: a stand-in for Stripe's customer portal. Like Stripe's, its cancel
    asks why; its buttons send signed ``customer.subscription.updated`` events to our own webhook,
    as the test checkout does, so the real processing runs."""
    if not test_checkout_is_available():
        raise Http404
    subscription = subscription_of_member_or_404(member=request.user, ref=ref)
    if subscription.provider != "stripe" or not subscription.order.is_test:
        raise Http404
    form = CancelForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        action = request.POST.get("action")
        if action in ("cancel", "resume") and form.is_valid() and not _throttled(request):
            try:
                _test_portal_change(request, subscription, action=action, form=form)
            except TestCheckoutUnavailable as error:
                logger.error("the portal stand-in could not reach the webhook: %s", error)
                messages.error(request, _("The test checkout could not reach the webhook."))
        return redirect("billing:test_portal", ref=ref)
    context = {"line": billing_line(subscription), "form": form}
    return render(request, "billing/test_portal.html", context)


def _test_portal_change(request: HttpRequest, subscription, *, action: str, form) -> None:
    now = timezone.now()
    if action == "resume":
        set_cancellation(subscription=subscription, cancel=False, member=request.user, now=now)
        return
    cancel_subscription(
        subscription=subscription,
        member=request.user,
        reason=form.cleaned_data["reason"],
        detail=form.cleaned_data["detail"],
        now=now,
    )
