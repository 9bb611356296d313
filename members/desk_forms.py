"""Forms of the support actions on the admin's member page: each parses input and names the
service it feeds (``members.desk_views``); every one asks for a reason."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from billing.models import Payment
from members.models import AccessGrant, User
from members.preview import DEFAULT_DAYS, MAX_DAYS
from products.models import Product
from products.money import format_money


class QuickSelect(forms.Select):
    """A select whose options are written in Python, not one template render per option.

    The member page shows eight of these, with a member's every payment and grant and the
    whole catalogue: Django's per-option templates were most of the page's render time.
    """

    def render(self, name, value, attrs=None, renderer=None):
        final_attrs = {**self.build_attrs(self.attrs, attrs), "name": name}
        selected = set(self.format_value(value))
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (option_value, " selected" if str(option_value) in selected else "", label)
                for option_value, label in self.choices
            ),
        )
        return format_html("<select{}>{}</select>", flatatt(final_attrs), options)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=400,
        help_text=_("Kept in the audit trail with your name."),
    )

    def __init__(self, *args, member: User, **kwargs) -> None:
        self.member = member
        super().__init__(*args, **kwargs)


def _products() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=_("Product"),
        queryset=Product.objects.order_by("name"),
        empty_label=None,
        widget=QuickSelect,
    )


def _member_products(member: User):
    return Product.objects.filter(grants__member=member).order_by("name")


class GrantForm(ReasonForm):
    title = _("Grant a product (complimentary)")
    product = _products()
    until = forms.DateField(
        label=_("Until (date)"),
        required=False,
        help_text=_("Empty: lifetime. Access lasts to the end of that day in the member's zone."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    field_order = ["product", "until", "reason"]


class ExtendForm(ReasonForm):
    title = _("Extend access")
    product = _products()
    days = forms.IntegerField(label=_("By days"), required=False, min_value=1, max_value=3660)
    until = forms.DateField(
        label=_("Or until (date)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    field_order = ["product", "days", "until", "reason"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = _member_products(self.member)

    def clean(self):
        data = super().clean()
        if (data.get("days") is None) == (data.get("until") is None) and not self.errors:
            raise forms.ValidationError(_("Give either a number of days or an until-date."))
        return data


class GiveAnywayForm(ReasonForm):
    title = _("Give access anyway")
    grant = forms.ModelChoiceField(
        label=_("Access"), queryset=AccessGrant.objects.none(), widget=QuickSelect
    )
    until = forms.DateField(
        label=_("Until (date)"),
        required=False,
        help_text=_("Only needed when the paid-through date has passed."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    field_order = ["grant", "until", "reason"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        grants = AccessGrant.objects.filter(member=self.member).select_related("product")
        self.fields["grant"].queryset = grants.order_by("product__name")
        self.fields["grant"].label_from_instance = lambda grant: grant.product.name


class SwapForm(ReasonForm):
    title = _("Swap a product (same price)")
    from_product = _products()
    to_product = _products()
    field_order = ["from_product", "to_product", "reason"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["from_product"].label = _("From")
        self.fields["from_product"].queryset = _member_products(self.member)
        self.fields["to_product"].label = _("To")


class UpgradeForm(SwapForm):
    title = _("Upgrade against a surcharge")
    help = _("The member gets a link by e-mail to pay the difference; on payment they swap.")


class CreditForm(ReasonForm):
    title = _("Add store credit")
    amount = forms.DecimalField(label=_("Amount"), min_value=Decimal("0.01"), decimal_places=2)
    currency = forms.CharField(label=_("Currency"), min_length=3, max_length=3, initial="EUR")
    field_order = ["amount", "currency", "reason"]


class RefundForm(ReasonForm):
    title = _("Refund a Stripe payment")
    payment = forms.ModelChoiceField(
        label=_("Payment"), queryset=Payment.objects.none(), widget=QuickSelect
    )
    amount = forms.DecimalField(
        label=_("Amount"),
        required=False,
        decimal_places=2,
        help_text=_(
            "Empty: everything not yet refunded. Access and the credit note follow when "
            "Stripe confirms the refund."
        ),
    )
    field_order = ["payment", "amount", "reason"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        payments = Payment.objects.filter(order__member=self.member).order_by("-paid_at", "-pk")
        self.fields["payment"].queryset = payments
        self.fields["payment"].label_from_instance = lambda payment: (
            f"{payment.provider_ref} · {format_money(payment.amount, payment.currency)}"
            f" · {payment.get_status_display()}"
        )


class LoginLinkForm(ReasonForm):
    title = _("Send a fresh login link")


class WelcomeForm(ReasonForm):
    title = _("Resend the welcome e-mail")
    order = forms.CharField(
        label=_("Order id"),
        required=False,
        max_length=255,
        help_text=_("Empty: the latest order."),
    )
    field_order = ["order", "reason"]


class InvoiceForm(ReasonForm):
    title = _("Resend an invoice or credit note")
    number = forms.CharField(
        label=_("Number"), max_length=60, help_text=_("As in the list of invoices.")
    )
    field_order = ["number", "reason"]


class PreviewForm(forms.Form):
    days = forms.IntegerField(
        label=_("Days ahead"), min_value=1, max_value=MAX_DAYS, initial=DEFAULT_DAYS
    )


ACTION_FORMS: dict[str, type[ReasonForm]] = {
    "grant": GrantForm,
    "extend": ExtendForm,
    "give-anyway": GiveAnywayForm,
    "swap": SwapForm,
    "upgrade": UpgradeForm,
    "credit": CreditForm,
    "refund": RefundForm,
    "login-link": LoginLinkForm,
    "welcome": WelcomeForm,
    "invoice": InvoiceForm,
}
