"""The provider registry: webhook intake and processing find a provider by its name.

Adding a provider is one line in ``PROVIDERS`` (its dotted class path); the class implements
``billing.providers.base.Provider``.
"""

from __future__ import annotations

from functools import cache

from django.utils.module_loading import import_string

from billing.providers.base import Provider

PROVIDERS: dict[str, str] = {
    "stripe": "billing.providers.stripe.StripeProvider",
    "digistore24": "billing.providers.digistore24.Digistore24Provider",
}


class UnknownProvider(LookupError):
    pass


@cache
def get_provider(name: str) -> Provider:
    """The provider instance registered as ``name`` (one per process)."""
    try:
        path = PROVIDERS[name]
    except KeyError:
        raise UnknownProvider(f"no payment provider is registered as {name!r}") from None
    return import_string(path)()
