"""Public pages of a lead magnet: the sign-up (form, "check your inbox") and the confirmation
link (GET shows a button, so mail scanners that open links confirm nothing; POST confirms)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from leads.forms import SignUpForm
from leads.models import SignUp
from leads.selectors import accepts_signups, signup_product
from leads.services import (
    ConfirmationError,
    SignUpRequest,
    confirm_signup,
    consent_text_for,
    request_signup,
)
from leads.tokens import read_token
from members import throttle
from membership_site.text import clean_text
from products.models import Product

SIGNUPS_PER_CLIENT_PER_HOUR = 10


def _user_agent(request: HttpRequest) -> str:
    # A header may carry NUL, which PostgreSQL cannot store (a 500): replaced by U+FFFD.
    return clean_text(request.META.get("HTTP_USER_AGENT", "")[:300])


def _form_page(request: HttpRequest, product: Product, form: SignUpForm, status: int = 200):
    return render(request, "leads/signup.html", {"product": product, "form": form}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest, slug: str) -> HttpResponse:
    """The sign-up form on its own page; its POST (also from the sales page) answers "check
    your inbox" whether or not the address is known, or shows what to correct."""
    product = signup_product(slug=slug)
    if product is None:
        raise Http404
    consent_text = consent_text_for(product)
    if request.method == "GET":
        return _form_page(request, product, SignUpForm(consent_text=consent_text))
    form = SignUpForm(request.POST, consent_text=consent_text)
    ip = throttle.client_ip(request)
    if throttle.count(f"lead-signup-ip:{ip}", period=3600) > SIGNUPS_PER_CLIENT_PER_HOUR:
        form.is_valid()
        form.add_error(
            None, _("Too many sign-ups from your connection. Please wait an hour and try again.")
        )
        return _form_page(request, product, form, status=429)
    if form.is_trapped():
        # A neutral refusal rather than a fake success: a person whose browser filled the
        # hidden field learns what to do; a program learns nothing about our addresses.
        form.is_valid()
        form.add_error(
            None,
            _(
                "We could not accept this sign-up. If your browser fills in forms "
                "automatically, type your details yourself and try again."
            ),
        )
        return _form_page(request, product, form, status=400)
    if not form.is_valid():
        return _form_page(request, product, form)
    request_signup(
        signup=SignUpRequest(
            product=product,
            email=form.cleaned_data["email"],
            name=form.cleaned_data["name"],
            consent_text=consent_text,
            language=translation.get_language() or "",
            ip_address=ip if ip != "unknown" else None,
            user_agent=_user_agent(request),
        ),
        now=timezone.now(),
    )
    context = {"product": product, "email": form.cleaned_data["email"]}
    return render(request, "leads/check_inbox.html", context)


def _landing(product: Product) -> str:
    """Where a confirmed member lands: the product, or their products for a bundle."""
    return reverse("members:dashboard") if product.is_bundle else product.get_absolute_url()


def _link_invalid(request: HttpRequest, product: Product | None, *, used: bool) -> HttpResponse:
    """An expired, used or broken link: sign up again for a new one (same form, same limits)."""
    if product is not None and not accepts_signups(product):
        product = None
    form = SignUpForm(consent_text=consent_text_for(product)) if product else None
    context = {"product": product, "form": form, "used": used}
    return render(request, "leads/link_invalid.html", context, status=410)


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET: a page with a button (opening the link confirms nothing). POST: confirm once, log
    in and go to the product in the member area."""
    link = read_token(token)
    if link is None:
        return _link_invalid(request, None, used=False)
    signup = (
        SignUp.objects.select_related("product")
        .filter(pk=link.signup_pk, product_id=link.product_pk)
        .first()
    )
    product = signup.product if signup else Product.objects.filter(pk=link.product_pk).first()
    if signup is not None and signup.confirmed_at is not None:
        if request.user.is_authenticated and request.user.pk == signup.member_id:
            return redirect(_landing(product))
        return _link_invalid(request, product, used=True)
    if signup is None or link.expired or not accepts_signups(product):
        return _link_invalid(request, product, used=False)
    if request.method == "GET":
        return render(request, "leads/confirm.html", {"signup": signup, "product": product})
    ip = throttle.client_ip(request)
    try:
        result = confirm_signup(
            signup_pk=signup.pk, ip_address=ip if ip != "unknown" else None, now=timezone.now()
        )
    except ConfirmationError:
        return _link_invalid(request, product, used=False)
    if not result.newly_confirmed:  # a parallel request (a double click) confirmed it first
        return _link_invalid(request, product, used=True)
    login(request, result.member, backend="django.contrib.auth.backends.ModelBackend")
    messages.success(
        request,
        _("Your address is confirmed: “%(product)s” is now in your products.")
        % {"product": product.name},
    )
    return redirect(_landing(product))
