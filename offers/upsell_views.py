"""The one-click upsell on the success page: thin views over ``offers.upsell``.

Every URL names the attempt by its random token, and only the browser session that was shown
the offer (or the order's member, logged in) may see or take it; anyone else gets a 404."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import stripe
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from billing.providers.stripe_test_checkout import TestCheckoutUnavailable
from offers import upsell
from products.sellable import test_checkout_is_available

logger = logging.getLogger(__name__)


def success_page_context(request: HttpRequest, order) -> dict:
    """The success page's upsell (called from ``billing.views``): {} when nothing is offered."""
    attempt = upsell.offer_for_success_page(
        order=order, session=request.session, member=request.user, now=timezone.now()
    )
    return _context(attempt) if attempt is not None else {}


def _context(attempt) -> dict:
    return {
        "upsell": attempt,
        "upsell_state": upsell.state_of(attempt, now=timezone.now()),
        "upsell_product": attempt.offer.price.product,
        "upsell_test_mode": test_checkout_is_available(),
    }


def _attempt_or_404(request: HttpRequest, token: str):
    attempt = upsell.attempt_for(token=token, session=request.session, member=request.user)
    if attempt is None:
        raise Http404
    return attempt


def _back(request: HttpRequest) -> HttpResponse:
    """To the success page the form came from (our own path, the session id as a parameter)."""
    session_ref = request.POST.get("session_id", "")[:255]
    return redirect(
        f"{reverse('billing:checkout_success')}?{urlencode({'session_id': session_ref})}"
    )


@require_POST
def take(request: HttpRequest, token: str) -> HttpResponse:
    """The one click: charge the saved card (once, however often it is clicked)."""
    attempt = _attempt_or_404(request, token)
    try:
        state = upsell.take_upsell(
            attempt=attempt, now=timezone.now(), test_card=request.POST.get("test_card", "")
        )
    except TestCheckoutUnavailable as error:
        logger.error("the upsell's test event could not reach the webhook: %s", error)
        messages.error(request, _("The test checkout could not reach the webhook."))
        return _back(request)
    if state == "expired":
        messages.error(request, _("This offer has expired."))
    return _back(request)


@require_POST
def dismiss(request: HttpRequest, token: str) -> HttpResponse:
    upsell.dismiss_upsell(attempt=_attempt_or_404(request, token), now=timezone.now())
    return _back(request)


@require_GET
def status(request: HttpRequest, token: str) -> HttpResponse:
    """The offer's part of the page, polled while the payment is processed."""
    attempt = _attempt_or_404(request, token)
    context = {**_context(attempt), "session_ref": request.GET.get("session_id", "")[:255]}
    return render(request, "offers/_upsell.html", context)


@require_POST
def checkout(request: HttpRequest, token: str) -> HttpResponse:
    """After a declined card or one that needs authentication: a Checkout page instead."""
    attempt = _attempt_or_404(request, token)
    if attempt.status != upsell.Status.FAILED:
        return _back(request)
    try:
        return redirect(upsell.fallback_checkout_url(attempt=attempt))
    except stripe.StripeError:
        logger.exception("Checkout Session for upsell attempt %s failed", attempt.pk)
        messages.error(request, _("Checkout is not available right now. Please try again."))
        return _back(request)
