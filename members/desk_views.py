"""The admin's member page and its support actions (registered by ``members.admin.UserAdmin``).

Thin: the page asks ``members.desk`` for its rows, each action form feeds one support service.
A service's ``SupportError`` becomes the form's error; the service is atomic, so nothing changed.
Viewing needs the "view user" permission, acting the "change access grant" permission.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from billing.services.refunds import request_stripe_refund
from members import credit, support, support_emails, upgrade
from members.desk import LIST_LIMIT, member_page, preview
from members.desk_forms import ACTION_FORMS, PreviewForm, ReasonForm
from members.models import User
from members.preview import DEFAULT_DAYS
from products.money import to_minor_units

ACT_PERMISSION = "members.change_accessgrant"


def _until(form: ReasonForm):
    day = form.cleaned_data.get("until")
    return None if day is None else support.end_of_day(day, member=form.member)


def _summaries(changes) -> str:
    return "; ".join(change.summary for change in changes)


def _grant(form: ReasonForm, audit: dict) -> str:
    data = form.cleaned_data
    changes = support.grant_complimentary(
        member=form.member, product=data["product"], until=_until(form), **audit
    )
    return _summaries(changes)


def _extend(form: ReasonForm, audit: dict) -> str:
    data = form.cleaned_data
    return support.extend_access(
        member=form.member, product=data["product"], days=data["days"], until=_until(form),
        **audit,
    ).summary  # fmt: skip


def _give_anyway(form: ReasonForm, audit: dict) -> str:
    grant = form.cleaned_data["grant"]
    return support.give_access_anyway(grant_pk=grant.pk, until=_until(form), **audit).summary


def _swap(form: ReasonForm, audit: dict) -> str:
    data = form.cleaned_data
    changes = support.swap_product(
        member=form.member, from_product=data["from_product"], to_product=data["to_product"],
        **audit,
    )  # fmt: skip
    return _summaries(changes)


def _upgrade(form: ReasonForm, audit: dict) -> str:
    data = form.cleaned_data
    offer, created = upgrade.offer_upgrade(
        member=form.member, from_product=data["from_product"], to_product=data["to_product"],
        **audit,
    )  # fmt: skip
    text = (
        _("an offer for %(amount)s is on its way to %(email)s")
        if created
        else _("an offer for %(amount)s is already open for %(email)s")
    )
    return text % {"amount": upgrade.offer_display(offer), "email": form.member.email}


def _credit(form: ReasonForm, audit: dict) -> str:
    data = form.cleaned_data
    currency = credit.normalize_currency(data["currency"])
    amount = credit.to_minor_units(data["amount"], currency)
    change = credit.add_store_credit(member=form.member, amount=amount, currency=currency, **audit)
    return f"{change.summary}; {_('balance')} {change.balance.display}"


def _refund(form: ReasonForm, audit: dict) -> str:
    payment = form.cleaned_data["payment"]
    amount = form.cleaned_data.get("amount")
    minor = None if amount is None else to_minor_units(amount, payment.currency)
    request_stripe_refund(member=form.member, payment_pk=payment.pk, amount=minor, **audit)
    return _("Stripe was asked to refund %(payment)s; access follows its confirmation.") % {
        "payment": payment.provider_ref
    }


def _login_link(form: ReasonForm, audit: dict) -> str:
    support_emails.send_fresh_login_link(member=form.member, **audit)
    return _("A fresh login link is on its way to %(email)s.") % {"email": form.member.email}


def _welcome(form: ReasonForm, audit: dict) -> str:
    support_emails.resend_welcome_email(
        member=form.member, order_ref=form.cleaned_data["order"], **audit
    )
    return _("The welcome e-mail is on its way to %(email)s.") % {"email": form.member.email}


def _invoice(form: ReasonForm, audit: dict) -> str:
    document = support_emails.resend_document(
        member=form.member, number=form.cleaned_data["number"], **audit
    )
    return _("%(number)s is on its way to %(email)s.") % {
        "number": document.number,
        "email": document.buyer_email,
    }


RUNNERS: dict[str, Callable[[ReasonForm, dict], str]] = {
    "grant": _grant,
    "extend": _extend,
    "give-anyway": _give_anyway,
    "swap": _swap,
    "upgrade": _upgrade,
    "credit": _credit,
    "refund": _refund,
    "login-link": _login_link,
    "welcome": _welcome,
    "invoice": _invoice,
}


def _member_or_404(pk: int) -> User:
    member = User.objects.filter(pk=pk).first()
    if member is None:
        raise Http404
    return member


def _render(request, admin_site, *, member: User, bound: ReasonForm | None, now: datetime):
    preview_form = PreviewForm(request.GET if "days" in request.GET else None)
    days = preview_form.cleaned_data["days"] if preview_form.is_valid() else DEFAULT_DAYS
    show_all = request.GET.get("all") == "1"
    page = member_page(member=member, now=now, limit=None if show_all else LIST_LIMIT)
    forms = {
        name: (bound if bound is not None and bound.prefix == name else form(member=member,
                                                                            prefix=name))
        for name, form in ACTION_FORMS.items()
    }  # fmt: skip
    context = {
        **admin_site.each_context(request),
        "opts": User._meta,
        "title": _("Member %(email)s") % {"email": member.email},
        "subtitle": None,
        "member": member,
        "page": page,
        "preview": preview(page, days=days),
        "preview_form": preview_form
        if preview_form.is_bound
        else PreviewForm(initial={"days": days}),
        "preview_days": days,
        "action_forms": forms,
        "can_act": request.user.has_perm(ACT_PERMISSION),
    }
    status = 400 if bound is not None else 200
    return TemplateResponse(request, "admin/members/member_page.html", context, status=status)


def member_page_view(request: HttpRequest, object_id: int, *, admin_site) -> HttpResponse:
    if not request.user.has_perm("members.view_user"):
        raise PermissionDenied
    member = _member_or_404(object_id)
    return _render(request, admin_site, member=member, bound=None, now=timezone.now())


@require_POST
def member_action_view(
    request: HttpRequest, object_id: int, action: str, *, admin_site
) -> HttpResponse:
    """One support action (CSRF-checked by the admin view wrapper); back to the page."""
    if not request.user.has_perm(ACT_PERMISSION):
        raise PermissionDenied
    member = _member_or_404(object_id)
    if action not in ACTION_FORMS:
        raise Http404
    form = ACTION_FORMS[action](request.POST, member=member, prefix=action)
    now = timezone.now()
    if form.is_valid():
        audit = {
            "actor": request.user,
            "reason": form.cleaned_data["reason"],
            "now": now,
        }
        try:
            summary = RUNNERS[action](form, audit)
        except support.SupportError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"{form.title}: {summary}")
            return redirect("admin:members_user_member", object_id=member.pk)
    return _render(request, admin_site, member=member, bound=form, now=now)
