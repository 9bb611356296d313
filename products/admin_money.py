"""Money in the admin: amounts typed and shown in major units, stored in minor units.

"29" for a EUR price stores 2900; "29,90" in German (or Dutch) stores 2990; "29" for a JPY price
stores 29. A negative, non-numeric or too precise amount is a form error, so nothing is saved.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from products.models import Price
from products.money import SYMBOLS, exponent, to_decimal, to_minor_units

# PositiveIntegerField's upper bound on every database we support.
LARGEST_MINOR_AMOUNT = 2_147_483_647
_PLAIN_NUMBER = re.compile(r"\d+(\.\d+)?")
_CURRENCY_MARKS = "".join(symbol for symbol in SYMBOLS.values() if len(symbol) == 1)


def _normalize(text: str) -> str:
    """The typed amount as a plain "1234.50", read with the active language's separators."""
    text = re.sub(r"[\s\u00a0\u202f]", "", text).strip(_CURRENCY_MARKS)
    text = re.sub(r"^[A-Za-z]{3}|[A-Za-z]{3}$", "", text)  # "EUR 29", "29 EUR"
    if formats.get_format("DECIMAL_SEPARATOR") == ",":
        if re.fullmatch(r"\d{1,3}(\.\d{3})+(,\d+)?", text):  # 1.234,50
            text = text.replace(".", "")
        return text.replace(",", ".")
    if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", text):  # 1,234.50
        text = text.replace(",", "")
    return text


class MoneyAmountField(forms.Field):
    """An amount in major units as the creator types it; cleans to a non-negative Decimal."""

    default_error_messages = {
        "invalid": _("Enter an amount such as 29 or 29.90."),
        "negative": _("Enter an amount of 0 or more."),
    }

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "decimal", "size": 8, "class": "money"})
        )
        super().__init__(**kwargs)

    def to_python(self, value) -> Decimal | None:  # type: ignore[override]
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal):
            return value
        text = str(value).strip()[:40]
        if not text:
            return None
        if text.lstrip(_CURRENCY_MARKS + " ").startswith(("-", "\u2212")):
            raise ValidationError(self.error_messages["negative"], code="negative")
        normalized = _normalize(text)
        if not _PLAIN_NUMBER.fullmatch(normalized):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            return Decimal(normalized)
        except InvalidOperation:  # pragma: no cover - the pattern above admits only numbers
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None

    def has_changed(self, initial, data) -> bool:
        try:
            return self.to_python(initial) != self.to_python(data)
        except ValidationError:
            return True


def major_units_text(amount: int, currency: str) -> str:
    """2900 EUR as "29.00" ("29,00" in German), 29 JPY as "29": what the field shows."""
    places = exponent(currency)
    return formats.number_format(to_decimal(amount, currency), decimal_pos=places, use_l10n=True)


class PriceForm(forms.ModelForm):
    """The Price inline's form: the amount in major units next to its currency."""

    amount = MoneyAmountField(
        label=_("amount"),
        help_text=_("As the buyer pays it, e.g. 29 or 29.90; stored exactly, in cents."),
    )

    class Meta:
        model = Price
        fields = [
            "nickname", "amount", "currency", "billing_type", "interval", "interval_count",
            "trial_days", "stripe_price_id", "is_active",
        ]  # fmt: skip
        # Narrow inputs: the Prices inline fits a 1280 px screen.
        widgets = {
            "nickname": forms.TextInput(attrs={"size": 12}),
            "currency": forms.TextInput(attrs={"size": 3}),
            "stripe_price_id": forms.TextInput(attrs={"size": 18}),
            "interval_count": forms.NumberInput(attrs={"class": "vIntegerField", "min": 1}),
            "trial_days": forms.NumberInput(attrs={"class": "vIntegerField", "min": 0}),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None and self.instance.amount is not None:
            self.initial["amount"] = major_units_text(self.instance.amount, self.instance.currency)

    def clean(self) -> dict:
        cleaned = super().clean()
        value, currency = cleaned.get("amount"), (cleaned.get("currency") or "").upper()
        if value is None or not currency:
            return cleaned
        places = exponent(currency)
        if value != value.quantize(Decimal(1).scaleb(-places)):
            message = (
                _("%(currency)s has no cents: enter a whole amount.")
                if places == 0
                else _("Enter at most %(places)d digits after the decimal point.")
            )
            self.add_error("amount", message % {"currency": currency, "places": places})
            return cleaned
        minor = to_minor_units(value, currency)
        if minor > LARGEST_MINOR_AMOUNT:
            self.add_error("amount", _("This amount is too large."))
            return cleaned
        cleaned["amount"] = minor
        return cleaned
