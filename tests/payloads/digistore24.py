"""Digistore24-shaped IPN bodies, signed with the real ``sha_sign`` algorithm, for tests.

``build_ipn(event, **fields)`` returns the fields in the order Digistore24 posts them, most of
them empty as in real IPNs; ``sign(fields, passphrase)`` computes ``sha_sign`` independently of
the app's code (both are pinned by the contract's test vectors); ``signed_body(...)`` is the
form-encoded body with ``sha_sign`` appended; ``encode(fields)`` encodes without signing.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Mapping
from urllib.parse import urlencode

PASSPHRASE = "ipn-passphrase-for-tests"
URL = "/billing/webhooks/digistore24/"
FORM = "application/x-www-form-urlencoded"
_counter = itertools.count(1)

# Every field Digistore24 sends with an IPN of version 1.2 that matters to us, and a sample of
# those it sends empty more often than not.
TEMPLATE: dict[str, str] = {
    "api_mode": "live",
    "ipn_version": "1.2",
    "event": "",
    "event_label": "",
    "order_id": "",
    "order_date": "2025-03-01",
    "order_time": "10:15:00",
    "order_date_time": "2025-03-01 10:15:00",
    "order_type": "",
    "transaction_id": "",
    "parent_transaction_id": "",
    "transaction_date": "2025-03-01 10:15:00",
    "transaction_type": "",
    "transaction_amount": "49.00",
    "transaction_currency": "EUR",
    "transaction_vat_amount": "",
    "product_id": "510001",
    "product_name": "Habit course",
    "product_name_intern": "",
    "product_ids": "",
    "quantity": "1",
    "email": "buyer@example.test",
    "buyer_email": "buyer@example.test",
    "buyer_first_name": "Jörg",
    "buyer_last_name": "Müller",
    "buyer_id": "",
    "address_salutation": "",
    "address_title": "",
    "address_first_name": "Jörg",
    "address_last_name": "Müller",
    "address_company": "",
    "address_street": "Hauptstraße 5",
    "address_street2": "",
    "address_zipcode": "10115",
    "address_city": "Berlin",
    "address_state": "",
    "address_country": "DE",
    "address_phone_no": "",
    "address_tax_id": "",
    "language": "de",
    "amount": "49.00",
    "amount_netto": "41.18",
    "amount_vat": "7.82",
    "vat_rate": "19.00",
    "currency": "EUR",
    "pay_method": "creditcard",
    "billing_type": "single_payment",
    "pay_sequence_no": "0",
    "number_of_installments": "",
    "next_payment_at": "",
    "billing_status": "completed",
    "rebilling_stop_url": "",
    "invoice_url": "https://www.digistore24.com/invoice/ORDTEST1",
    "receipt_url": "",
    "affiliate_name": "",
    "affiliate_id": "",
    "campaignkey": "",
    "coupon_code": "",
    "custom": "",
    "license_key": "",
    "upsell_no": "0",
    "upsell_path": "",
    "voucher_code": "",
    "orderform_id": "",
    "merchant_id": "",
    "merchant_name": "",
    "is_gdpr_country": "Y",
    "newsletter_choice": "",
    "ipn_config_id": "",
}


def new_order_id() -> str:
    """An 8-character order id like Digistore24's (``ORD00001``...)."""
    return f"ORD{next(_counter):05d}"


def sign(fields: Mapping[str, str], passphrase: str = PASSPHRASE) -> str:
    """``sha_sign``: SHA-512 over sorted ``KEY=VALUE<passphrase>`` of the non-empty fields."""
    joined = "".join(
        f"{key}={value}{passphrase}"
        for key, value in sorted(fields.items())
        if key not in ("sha_sign", "SHASIGN") and value != ""
    )
    return hashlib.sha512(joined.encode("utf-8")).hexdigest().upper()


def build_ipn(event: str, **fields: str) -> dict[str, str]:
    """An IPN's fields: the template, the event and the given fields (all strings).

    ``on_payment`` gets a fresh ``transaction_id`` unless given; other events keep it empty.
    """
    payload = dict(TEMPLATE, event=event)
    payload["order_id"] = fields.pop("order_id", None) or new_order_id()
    if event in ("on_payment", "on_refund", "on_chargeback") and "transaction_id" not in fields:
        payload["transaction_id"] = f"{next(_counter) + 70_000_000}"
    # Fields outside the template go at the end, as Digistore24 adds fields over versions.
    payload.update({key: str(value) for key, value in fields.items()})
    return payload


def subscription_payment(sequence: int, next_payment_at: str, **fields: str) -> dict[str, str]:
    """``on_payment`` of a monthly subscription: 1 is the first payment, 2+ rebills."""
    defaults = {
        "billing_type": "subscription",
        "pay_sequence_no": str(sequence),
        "next_payment_at": next_payment_at,
        "billing_status": "paying",
        "product_id": "510003",
        "product_name": "Inner circle",
        "transaction_amount": "29.00",
        "amount": "29.00",
    }
    return build_ipn("on_payment", **{**defaults, **fields})


def encode(fields: Mapping[str, str]) -> str:
    """The form-encoded body, UTF-8, as Digistore24 posts it."""
    return urlencode(list(fields.items()), encoding="utf-8")


def signed(fields: Mapping[str, str], passphrase: str = PASSPHRASE) -> dict[str, str]:
    """The fields with their ``sha_sign`` appended."""
    return {**fields, "sha_sign": sign(fields, passphrase)}


def signed_body(fields: Mapping[str, str], passphrase: str = PASSPHRASE) -> str:
    return encode(signed(fields, passphrase))
