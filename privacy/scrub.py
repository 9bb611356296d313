"""Removing a person's identifiers from free text and from stored JSON (webhook payloads,
reconcile evidence, outbox payloads) without changing anything else in them."""

from __future__ import annotations

import re
from typing import Any

ERASED = "[erased]"

# Keys whose value is about the buyer as a person in Stripe's and Digistore24's payloads. The
# country stays: it is the VAT location evidence the invoices keep.
PERSONAL_KEYS = frozenset(
    {
        "email", "customer_email", "receipt_email", "buyer_email", "email_address",
        "name", "customer_name", "first_name", "last_name", "phone", "address_phone_no",
        "line1", "line2", "city", "postal_code", "state", "address",
        "ip", "ip_address", "client_ip", "customer_ip", "user_agent",
    }
)  # fmt: skip
PERSONAL_PREFIXES = ("address_", "billing_address_", "shipping_")
KEPT_SUFFIXES = ("country", "country_code")


def needles(*values: str) -> list[str]:
    """The identifiers to look for: each non-empty value, longest first (an e-mail before the
    name inside it). Names shorter than three letters would match innocent words; skipped."""
    found = {value.strip() for value in values if value and len(value.strip()) >= 3}
    return sorted(found, key=len, reverse=True)


def scrub_text(text: str, identifiers: list[str]) -> str:
    for identifier in identifiers:
        text = re.sub(re.escape(identifier), ERASED, text, flags=re.IGNORECASE)
    return text


def _personal_key(key: str) -> bool:
    lowered = key.lower()
    if lowered.endswith(KEPT_SUFFIXES):
        return False
    return lowered in PERSONAL_KEYS or lowered.startswith(PERSONAL_PREFIXES)


def scrub_json(value: Any, identifiers: list[str]) -> Any:
    """A copy of ``value`` with personal keys' values and every mention of an identifier
    replaced by ``[erased]``; ids, amounts, dates and countries stay as they were."""
    if isinstance(value, dict):
        return {
            key: (
                _erase_leaf(item)
                if isinstance(key, str) and _personal_key(key)
                else scrub_json(item, identifiers)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [scrub_json(item, identifiers) for item in value]
    if isinstance(value, str):
        return scrub_text(value, identifiers)
    return value


def _erase_leaf(value: Any) -> Any:
    if value is None or value == "":
        return value
    if isinstance(value, dict):
        return {
            key: item if str(key).lower().endswith(KEPT_SUFFIXES) else _erase_leaf(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_erase_leaf(item) for item in value]
    if isinstance(value, str):
        return ERASED
    return None
