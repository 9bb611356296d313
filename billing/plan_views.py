"""The member's "Change plan" page: the other plans, and a confirmed POST (thin view)."""

from __future__ import annotations

import stripe
from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from billing.providers.stripe_test_checkout import TestCheckoutUnavailable
from billing.selectors import billing_line, subscription_of_member_or_404
from billing.services.plan_changes import UPGRADE
from billing.services.plan_switch import PlanChangeRefused, change_plan, plan_choices
from billing.services.self_service import BillingUnavailable
from billing.views import RETURN_PAGES, _throttled, _unavailable
from members.views import member_view
from products.money import format_money


class ChangePlanForm(forms.Form):
    price = forms.TypedChoiceField(
        label=gettext_lazy("New plan"), coerce=int, widget=forms.RadioSelect
    )
    confirm = forms.BooleanField(
        label=gettext_lazy("Yes, change my plan"),
        error_messages={"required": gettext_lazy("Please confirm the change.")},
    )
    back = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, prices, **kwargs):
        super().__init__(*args, **kwargs)
        self.prices = {price.pk: price for price in prices}
        self.fields["price"].choices = [
            (price.pk, f"{price.product.name}: {_price_label(price)}") for price in prices
        ]


def _price_label(price) -> str:
    amount = format_money(price.amount, price.currency)
    return f"{amount} / {price.get_interval_display()}"


@require_http_methods(["GET", "POST"])
@member_view
def change_plan_view(request: HttpRequest, ref: str) -> HttpResponse:
    subscription = subscription_of_member_or_404(member=request.user, ref=ref)
    line = billing_line(subscription)
    back = request.POST.get("back") or request.GET.get("back") or "dashboard"
    back = back if back in RETURN_PAGES else "dashboard"
    prices = plan_choices(subscription=subscription) if line.can_cancel else []
    form = ChangePlanForm(
        request.POST if request.method == "POST" else None,
        prices=prices,
        initial={"back": back},
    )
    if request.method == "POST" and prices and form.is_valid():
        if _throttled(request):
            return redirect("billing:change_plan", ref=ref)
        to_price = form.prices[form.cleaned_data["price"]]
        try:
            way = change_plan(
                member=request.user, subscription=subscription, to_price=to_price,
                now=timezone.now(),
            )  # fmt: skip
        except PlanChangeRefused:
            messages.error(request, _("This plan is not available for your subscription."))
            return redirect("billing:change_plan", ref=ref)
        except (BillingUnavailable, TestCheckoutUnavailable, stripe.StripeError) as error:
            _unavailable(request, subscription, error)
            return redirect("billing:change_plan", ref=ref)
        if way == UPGRADE:
            message = _("Your plan is changing to %(plan)s. Your access follows in a moment.")
        else:
            message = _(
                "Your plan changes to %(plan)s at the end of the current period. Until then "
                "you keep your current plan."
            )
        messages.success(request, message % {"plan": to_price.product.name})
        return redirect(RETURN_PAGES[back])
    context = {"line": line, "form": form, "prices": prices, "back": back}
    return render(request, "billing/change_plan.html", context)
