"""Money is kept in minor units (integers) and formatted by the active locale."""

from __future__ import annotations

from decimal import Decimal

from django.utils import formats
from django.utils.translation import get_language

# Currencies without minor units (ISO 4217 exponent 0) that our providers support.
ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW", "VND", "CLP", "ISK"})
SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF", "JPY": "¥"}


def exponent(currency: str) -> int:
    """Digits after the decimal point in the currency's minor unit (EUR 2, JPY 0)."""
    return 0 if currency.upper() in ZERO_DECIMAL_CURRENCIES else 2


def to_decimal(amount: int, currency: str) -> Decimal:
    return Decimal(amount).scaleb(-exponent(currency))


def to_minor_units(value: Decimal, currency: str) -> int:
    """29 EUR -> 2900, 29.9 EUR -> 2990, 29 JPY -> 29. The caller checks the decimal places."""
    return int(value.scaleb(exponent(currency)))


def format_money(amount: int, currency: str) -> str:
    """49.00 € in German and Dutch, €49.00 in English; a minus leads (-€49.00, -49.00 €).

    The space before a symbol is a no-break space: a line never ends between amount and "€".

    Never goes through floats.
    """
    currency = currency.upper()
    value = to_decimal(abs(amount), currency)
    places = exponent(currency)
    number = formats.number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)
    symbol = SYMBOLS.get(currency, currency)
    sign = "-" if amount < 0 else ""
    if (get_language() or "en").startswith("en"):
        return f"{sign}{symbol}{number}" if len(symbol) == 1 else f"{sign}{symbol}\u00a0{number}"
    return f"{sign}{number}\u00a0{symbol}"
