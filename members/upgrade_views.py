"""The member's page of an upgrade offer (``members.upgrade``): what they get, for how much, and
a button that starts the checkout. Only the member the offer was made to sees it."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from billing import stripe_api
from members.models import UpgradeOffer
from members.upgrade import SupportError, offer_display, start_upgrade_checkout
from members.views import member_view


@member_view
@require_http_methods(["GET", "POST"])
def upgrade_offer(request: HttpRequest, token: str) -> HttpResponse:
    offer = (
        UpgradeOffer.objects.select_related("from_product", "to_product")
        .filter(token=token, member=request.user)
        .first()
    )
    if offer is None:
        raise Http404
    error = ""
    if request.method == "POST":
        try:
            return redirect(start_upgrade_checkout(offer=offer))
        except (SupportError, stripe_api.StripeNotConfigured):
            error = "unavailable"
    context = {"offer": offer, "amount": offer_display(offer), "error": error}
    return render(request, "members/upgrade_offer.html", context, status=400 if error else 200)
