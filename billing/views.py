"""Checkout, the local test checkout, the success page and the customer portal: thin views."""

from __future__ import annotations

import logging

import stripe
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing import stripe_api
from billing.providers.stripe_test_checkout import (
    TestCheckoutUnavailable,
    complete_test_checkout,
)
from billing.providers.stripe_test_checkout import is_available as test_checkout_is_available
from billing.selectors import checkout_has_access, order_for_checkout
from billing.services.checkout import portal_url, start_checkout
from products.models import Price

logger = logging.getLogger(__name__)


def _sellable_price(price_pk: int) -> Price:
    return get_object_or_404(
        Price.objects.select_related("product").exclude(stripe_price_id=None),
        pk=price_pk,
        is_active=True,
        product__is_published=True,
    )


def _member(request: HttpRequest):
    return request.user if request.user.is_authenticated else None


@require_POST
def checkout(request: HttpRequest, price_pk: int) -> HttpResponse:
    """The buy button: off to Stripe Checkout (or to the local test checkout without a key)."""
    price = _sellable_price(price_pk)
    if test_checkout_is_available():
        return redirect("billing:test_checkout", price_pk=price.pk)
    if not stripe_api.is_configured():
        logger.error("checkout for price %s: STRIPE_SECRET_KEY is not set", price.pk)
        messages.error(request, _("Checkout is not available right now. Please try again."))
        return redirect(price.product.get_catalog_url())
    try:
        url = start_checkout(price=price, member=_member(request))
    except stripe.StripeError:
        logger.exception("Stripe Checkout Session for price %s failed", price.pk)
        messages.error(request, _("Checkout is not available right now. Please try again."))
        return redirect(price.product.get_catalog_url())
    return redirect(url)


class TestCheckoutForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("E-mail address"))
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200, required=False)


@require_http_methods(["GET", "POST"])
def test_checkout(request: HttpRequest, price_pk: int) -> HttpResponse:
    """Offline test mode only: "pay" locally; signed Stripe-shaped events reach our webhook."""
    if not test_checkout_is_available():
        raise Http404
    price = _sellable_price(price_pk)
    member = _member(request)
    initial = {"email": member.email, "name": member.name} if member else {}
    form = TestCheckoutForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            session_ref = complete_test_checkout(
                price=price, email=form.cleaned_data["email"], name=form.cleaned_data["name"]
            )
        except TestCheckoutUnavailable as error:
            logger.error("local test checkout failed: %s", error)
            messages.error(request, _("The test checkout could not reach the webhook."))
        else:
            return redirect(f"{reverse('billing:checkout_success')}?session_id={session_ref}")
    return render(request, "billing/test_checkout.html", {"price": price, "form": form})


def _status_context(request: HttpRequest) -> dict:
    session_ref = request.GET.get("session_id", "")[:255]
    ready = checkout_has_access(provider="stripe", checkout_ref=session_ref)
    order = order_for_checkout(provider="stripe", checkout_ref=session_ref) if ready else None
    return {"session_ref": session_ref, "ready": ready, "order": order}


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
