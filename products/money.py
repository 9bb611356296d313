"""Money is kept in minor units (integers) and formatted by the active locale."""

from __future__ import annotations

from decimal import Decimal

from django.utils import formats
from django.utils.translation import get_language

# Currencies without minor units (ISO 4217 exponent 0) that our providers support.
ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW", "VND", "CLP", "ISK"})
SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF", "JPY": "¥"}


def to_decimal(amount: int, currency: str) -> Decimal:
    exponent = 0 if currency.upper() in ZERO_DECIMAL_CURRENCIES else 2
    return Decimal(amount).scaleb(-exponent)


def format_money(amount: int, currency: str) -> str:
    """49.00 € in German and Dutch, €49.00 in English; a minus leads (-€49.00, -49.00 €).

    The space before a symbol is a no-break space: a line never ends between amount and "€".

    Never goes through floats.
    """
    currency = currency.upper()
    value = to_decimal(abs(amount), currency)
    places = 0 if currency in ZERO_DECIMAL_CURRENCIES else 2
    number = formats.number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)
    symbol = SYMBOLS.get(currency, currency)
    sign = "-" if amount < 0 else ""
    if (get_language() or "en").startswith("en"):
        return f"{sign}{symbol}{number}" if len(symbol) == 1 else f"{sign}{symbol}\u00a0{number}"
    return f"{sign}{number}\u00a0{symbol}"
